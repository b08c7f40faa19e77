#if canImport(Glibc)
import Glibc
#endif

/// The configuration the C init reads from its descriptor 3: NUL-terminated
/// tokens, each key followed by its values (see `proctor-init/config.c`).
struct InitConfiguration {
    var tokens: [String] = []

    /// Everything init needs for `spec` in slot `identity`, root mounted on
    /// `rootDirectory`; `networkNamespace` is a path to the slot's kept
    /// namespace (see ``NetworkMode/none``) for init to join.
    /// `rootless`: in a user namespace mapping only `uid` and `gid` (the caller's), where the
    /// process count is bounded by `RLIMIT_NPROC` (counted per user namespace) instead of a cgroup.
    /// `filterCache`: where a one-run process keeps the compiled seccomp filter for the next (see ``FilterCache``).
    init(spec: SandboxSpec, uid: UInt32, gid: UInt32, rootDirectory: String, networkNamespace: String?, cgroupProcs: [String],
         rootless: Bool = false, filterCache: String? = nil) throws {
        add("root", rootDirectory)
        add("uid", String(uid))
        add("gid", String(gid))
        if rootless { add("userns", String(uid), String(gid)) }
        add("cwd", "/workspace")
        add("loopback", spec.network == .loopback ? "1" : "0")
        if spec.network == .none, let networkNamespace { add("netns", networkNamespace) }
        add("output", String(spec.limits.output))
        add("owner", String(geteuid()), String(getegid()))
        add("copy_ms", String(UInt64(((spec.limits.wallTime + Self.copyBackGrace) * 1000).rounded(.up))))
        add("copyback", String(spec.limits.disk), String(Self.copyBackEntries), String(Self.copyBackDepth))
        if let workspace = spec.workspace { add("workspace", workspace) }
        for file in cgroupProcs { add("cgroup", file) }
        for argument in spec.command { add("argv", argument) }
        for entry in Self.environment(for: spec) { add("env", entry) }
        let limits = spec.limits
        for (name, value) in [("nofile", limits.openFiles), ("fsize", limits.fileSize), ("stack", limits.stack), ("core", 0)] {
            add("rlimit", name, String(value))
        }
        // The namespace's helper and init count too.
        if rootless { add("rlimit", "nproc", String(limits.processes + 2)) }
        add("seccomp", Self.hex(try SeccompFilter.program(for: spec.network, cacheDirectory: filterCache)))
        for step in MountPlan(uid: uid, gid: gid).steps(for: spec) { tokens += step.tokens }
    }

    /// A clean environment: a minimal PATH, HOME and LANG, then the spec's own
    /// entries (which may override them). Nothing of the caller's leaks in.
    static func environment(for spec: SandboxSpec) -> [String] {
        var entries = ["PATH=/usr/local/bin:/usr/bin:/bin", "HOME=/workspace", "LANG=C.UTF-8", "TMPDIR=/tmp"]
        for entry in spec.environment {
            let name = entry.prefix { $0 != "=" }
            entries.removeAll { $0.hasPrefix(name + "=") }
            entries.append(entry)
        }
        return entries
    }

    /// At most this many files and directories come back from a workspace.
    static let copyBackEntries = 10_000
    /// Directories nested deeper than this do not come back.
    static let copyBackDepth = 32
    /// Seconds past the wall-time limit that copying the workspace back may take.
    static let copyBackGrace = 1.0

    private mutating func add(_ values: String...) { tokens += values }

    private static func hex(_ bytes: [UInt8]) -> String {
        let digits = Array("0123456789abcdef".utf8)
        var out: [UInt8] = []
        out.reserveCapacity(bytes.count * 2)
        for byte in bytes { out += [digits[Int(byte >> 4)], digits[Int(byte & 15)]] }
        return String(decoding: out, as: UTF8.self)
    }

    /// The bytes to write: every token followed by a NUL.
    var bytes: [UInt8] {
        var out: [UInt8] = []
        for token in tokens {
            out += token.utf8
            out.append(0)
        }
        return out
    }
}
