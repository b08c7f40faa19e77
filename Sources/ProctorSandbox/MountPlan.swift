/// One step of building the sandbox's root, carried out in order by the C init.
enum MountStep: Equatable {
    case directory(String, mode: UInt32)
    case bind(source: String, destination: String, writable: Bool, devices: Bool = false)
    case tmpfs(String, options: String, devices: Bool = false)
    case symlink(target: String, path: String)
    case file(String, mode: UInt32, contents: String)
    case proc(String)

    /// The tokens of this step in the init configuration format.
    var tokens: [String] {
        switch self {
        case .directory(let path, let mode): ["mkdir", path, String(mode)]
        case .bind(let source, let destination, let writable, let devices):
            ["bind", source, destination, (writable ? "rw" : "ro") + (devices ? ",dev" : "")]
        case .tmpfs(let path, let options, let devices): ["tmpfs", path, devices ? "dev" : "nodev", options]
        case .symlink(let target, let path): ["symlink", target, path]
        case .file(let path, let mode, let contents): ["file", path, String(mode), contents]
        case .proc(let path): ["proc", path]
        }
    }
}

/// Turns a spec into the allow-list root filesystem: system directories
/// read-only, a safe part of `/etc`, fresh `/proc`, a minimal `/dev`, private
/// size-limited tmpfs mounts, then the spec's own binds and devices. Nothing
/// else of the host (`/home`, `/root`, `/var`, `/run`, …) exists inside.
struct MountPlan {
    /// System directories bound read-only when the host has them; a host
    /// symlink (`/bin -> usr/bin`) is reproduced as the same symlink.
    static let systemPaths = ["/usr", "/bin", "/sbin", "/lib", "/lib32", "/lib64", "/libx32", "/opt/conda"]
    /// The part of `/etc` programs need to start and that holds no secret.
    static let etcEntries = [
        "alternatives", "ld.so.cache", "ld.so.conf", "ld.so.conf.d", "localtime", "nsswitch.conf",
        "os-release", "debian_version", "mime.types", "protocols", "services", "ssl", "ca-certificates",
        "fonts", "python3", "python3.11", "python3.12", "matplotlibrc", "terminfo", "gai.conf",
    ]
    static let deviceNodes = ["null", "zero", "full", "random", "urandom"]

    var uid: UInt32
    var gid: UInt32
    /// Looks a host path up; injectable so tests need no particular host layout.
    var inspect: (String) -> (exists: Bool, linkTarget: String?) = SandboxPath.inspect

    func steps(for spec: SandboxSpec) -> [MountStep] {
        var steps: [MountStep] = []
        // The system comes from the host, or from the spec's own tree.
        let system = spec.rootfs ?? ""
        for path in Self.systemPaths { steps += hostEntry(system + path, at: path) }
        steps.append(.directory("/etc", mode: 0o755))
        for name in Self.etcEntries { steps += hostEntry(system + "/etc/" + name, at: "/etc/" + name) }
        steps.append(.file("/etc/passwd", mode: 0o644, contents: """
            root:x:0:0:root:/root:/bin/sh
            proctor:x:\(uid):\(gid):proctor:/workspace:/bin/sh
            nobody:x:65534:65534:nobody:/nonexistent:/usr/sbin/nologin

            """))
        steps.append(.file("/etc/group", mode: 0o644, contents: "root:x:0:\nproctor:x:\(gid):\nnogroup:x:65534:\n"))
        steps.append(.file("/etc/hosts", mode: 0o644, contents: "127.0.0.1 localhost proctor\n::1 localhost\n"))
        steps.append(.file("/etc/hostname", mode: 0o644, contents: "proctor\n"))
        steps.append(.proc("/proc"))
        steps.append(.tmpfs("/dev", options: "size=64k,nr_inodes=128,mode=0755", devices: true))
        for node in Self.deviceNodes {
            steps.append(.bind(source: "/dev/" + node, destination: "/dev/" + node, writable: true, devices: true))
        }
        for device in spec.devices {
            steps.append(.bind(source: device, destination: device, writable: true, devices: true))
        }
        for (name, target) in [("fd", "/proc/self/fd"), ("stdin", "/proc/self/fd/0"), ("stdout", "/proc/self/fd/1"), ("stderr", "/proc/self/fd/2")] {
            steps.append(.symlink(target: target, path: "/dev/" + name))
        }
        let disk = spec.limits.disk
        let inodes = min(max(disk / 4096, 1024), 1_000_000)
        steps.append(.tmpfs("/dev/shm", options: "size=\(disk),nr_inodes=\(inodes),mode=1777"))
        steps.append(.tmpfs("/tmp", options: "size=\(disk),nr_inodes=\(inodes),mode=1777"))
        steps.append(.tmpfs("/workspace", options: "size=\(disk),nr_inodes=\(inodes),mode=0755,uid=\(uid),gid=\(gid)"))
        for path in spec.scratch {
            steps.append(.tmpfs(path, options: "size=\(disk),nr_inodes=\(inodes),mode=0755,uid=\(uid),gid=\(gid)"))
        }
        for bind in spec.binds {
            steps.append(.bind(source: bind.source, destination: bind.destination, writable: bind.writable))
        }
        return steps
    }

    private func hostEntry(_ source: String, at path: String) -> [MountStep] {
        let found = inspect(source)
        guard found.exists else { return [] }
        if let target = found.linkTarget { return [.symlink(target: target, path: path)] }
        return [.bind(source: source, destination: path, writable: false)]
    }
}
