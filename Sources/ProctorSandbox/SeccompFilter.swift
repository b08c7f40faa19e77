import CSeccomp
import Synchronization

#if canImport(Glibc)
import Glibc
#endif

/// The compiled seccomp program a sandboxed program runs under, built once
/// per network mode with libseccomp and handed to init as raw BPF, so no run
/// pays for compiling it. Init loads it in the program's process after
/// `no_new_privs`, just before `execve`.
///
/// What it refuses: every call in ``SeccompPolicy/denied`` (EPERM); `clone`
/// with a namespace flag (EPERM) and `clone3` (ENOSYS, whose flags the filter
/// cannot read, so libc falls back to `clone`); socket families outside the
/// allow-list (EAFNOSUPPORT): `AF_UNIX` always, `AF_INET`/`AF_INET6` only when
/// the run has a network; `socketpair` but for `AF_UNIX`; and every
/// `personality` but the default (0) and the query (0xffffffff). A non-native
/// architecture (the i386 ABI on x86-64) is killed.
enum SeccompFilter {
    /// The BPF program for runs with `network`, compiled once per process; with
    /// `cacheDirectory` (a process that makes one run and ends), read from the
    /// copy an earlier process of the same executable and libseccomp left there,
    /// or compiled and left there for the next (see ``FilterCache``).
    static func program(for network: NetworkMode, cacheDirectory: String? = nil) throws -> [UInt8] {
        if let compiled = compiled.withLock({ $0[network] }) { return compiled }
        let cache = cacheDirectory.map { FilterCache(directory: $0, network: network) }
        let program: [UInt8]
        if let kept = cache?.read() {
            program = kept
        } else {
            program = try build(inet: network == .loopback)
            cache?.write(program)
        }
        compiled.withLock { $0[network] = program }
        return program
    }

    private static let compiled = Mutex<[NetworkMode: [UInt8]]>([:])

    /// CLONE_NEWNS, NEWCGROUP, NEWUTS, NEWIPC, NEWUSER, NEWPID, NEWNET and NEWTIME
    /// (linux/sched.h; Glibc's Swift overlay does not carry them).
    private static let namespaceFlags: [UInt64] = [0x0002_0000, 0x0200_0000, 0x0400_0000, 0x0800_0000,
                                                   0x1000_0000, 0x2000_0000, 0x4000_0000, 0x0000_0080]

    private static func errno(_ code: Int32) -> UInt32 { 0x0005_0000 | (UInt32(code) & 0xffff) }

    private static func build(inet: Bool) throws -> [UInt8] {
        guard let context = seccomp_init(0x7fff_0000) else { throw failure("seccomp_init") }
        defer { seccomp_release(context) }
        func add(_ name: String, _ action: UInt32, _ comparisons: [scmp_arg_cmp] = []) throws {
            let number = seccomp_syscall_resolve_name(name)
            guard number != __NR_SCMP_ERROR else { return }  // not on this architecture
            let result = comparisons.withUnsafeBufferPointer {
                seccomp_rule_add_array(context, action, number, UInt32($0.count), $0.baseAddress)
            }
            guard result == 0 else { throw failure("adding the rule for \(name)") }
        }
        func first(_ op: scmp_compare, _ a: UInt64, _ b: UInt64 = 0) -> scmp_arg_cmp {
            scmp_arg_cmp(arg: 0, op: op, datum_a: a, datum_b: b)
        }
        for name in SeccompPolicy.denied { try add(name, errno(EPERM)) }
        for flag in namespaceFlags {
            try add("clone", errno(EPERM), [first(SCMP_CMP_MASKED_EQ, flag, flag)])
        }
        try add("clone3", errno(ENOSYS))
        // Socket families: each rule compares the whole 64-bit register, so
        // high bits the kernel would cut off cannot smuggle a family past it.
        for family in [0, 3, 4, 5, 6, 7, 8, 9] as [UInt64] {
            try add("socket", errno(EAFNOSUPPORT), [first(SCMP_CMP_EQ, family)])
        }
        try add("socket", errno(EAFNOSUPPORT), [first(SCMP_CMP_GE, UInt64(AF_INET6) + 1)])
        if !inet {
            try add("socket", errno(EAFNOSUPPORT), [first(SCMP_CMP_EQ, UInt64(AF_INET))])
            try add("socket", errno(EAFNOSUPPORT), [first(SCMP_CMP_EQ, UInt64(AF_INET6))])
        }
        try add("socketpair", errno(EAFNOSUPPORT), [first(SCMP_CMP_NE, UInt64(AF_UNIX))])
        // personality: a rule holds one comparison per argument, so "neither 0
        // nor all ones" is spelled bit by bit: some bit set while bit 31 is
        // clear, or bit 31 set while some bit is clear; nothing above 32 bits.
        try add("personality", errno(EPERM), [first(SCMP_CMP_GT, 0xffff_ffff)])
        let top: UInt64 = 1 << 31
        for bit in (0..<31).map({ UInt64(1) << $0 }) {
            try add("personality", errno(EPERM), [first(SCMP_CMP_MASKED_EQ, bit | top, bit)])
            try add("personality", errno(EPERM), [first(SCMP_CMP_MASKED_EQ, bit | top, top)])
        }
        return try export(context)
    }

    /// The filter as raw `struct sock_filter` instructions.
    private static func export(_ context: scmp_filter_ctx) throws -> [UInt8] {
        var ends: [Int32] = [0, 0]
        guard pipe(&ends) == 0 else { throw failure("pipe") }
        defer { close(ends[0]) }
        let exported = seccomp_export_bpf(context, ends[1])
        close(ends[1])
        guard exported == 0 else { throw failure("exporting the filter") }
        var program: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 4096)
        while true {
            let n = chunk.withUnsafeMutableBytes { read(ends[0], $0.baseAddress, $0.count) }
            if n < 0 && Glibc.errno == EINTR { continue }
            if n <= 0 { break }
            program += chunk[0..<n]
        }
        guard !program.isEmpty, program.count % 8 == 0 else { throw failure("reading the exported filter") }
        return program
    }

    private static func failure(_ step: String) -> SandboxError {
        .unavailable("building the seccomp filter failed (\(step)); is libseccomp 2.5 or later installed?")
    }
}
