#if canImport(Glibc)
import Glibc
#endif

/// The descriptors a run's program gets as stdin, stdout and stderr: the
/// spec's files, `/dev/null` for a missing stdin, else the caller's own.
struct StandardStreams: ~Copyable {
    let input: Int32
    let output: Int32
    let error: Int32
    private let owned: [Int32]

    init(spec: SandboxSpec) throws {
        var owned: [Int32] = []
        func open(_ path: String, _ flags: Int32, name: String) throws -> Int32 {
            let fd = Glibc.open(path, flags | O_CLOEXEC, 0o644)
            guard fd >= 0 else {
                let reason = String(cString: strerror(errno))
                owned.forEach { close($0) }
                throw SandboxError.invalidSpec("cannot open \(name) '\(path)': \(reason)")
            }
            owned.append(fd)
            return fd
        }
        let input = try open(spec.stdin ?? "/dev/null", O_RDONLY, name: "--stdin")
        let output = try spec.stdout.map { try open($0, O_WRONLY | O_CREAT | O_TRUNC, name: "--stdout") } ?? 1
        let error = try spec.stderr.map { try open($0, O_WRONLY | O_CREAT | O_TRUNC, name: "--stderr") } ?? 2
        self.input = input
        self.output = output
        self.error = error
        self.owned = owned
    }

    deinit { owned.forEach { close($0) } }
}
