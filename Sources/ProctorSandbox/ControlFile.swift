#if canImport(Glibc)
import Glibc
#endif

/// Small, allocation-light reads and writes of kernel control files (cgroupfs,
/// procfs). These sit on the supervisor's hot path, so they avoid Foundation.
enum ControlFile {
    /// The file's text, or `nil` when it cannot be read.
    static func read(_ path: String) -> String? {
        readBytes(path).map { String(decoding: $0, as: UTF8.self) }
    }

    /// The file's bytes (at most about `limit`), or `nil` when it cannot be read.
    static func readBytes(_ path: String, limit: Int = 1 << 20) -> [UInt8]? {
        let fd = open(path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { return nil }
        defer { close(fd) }
        var result: [UInt8] = []
        var buffer = [UInt8](repeating: 0, count: 4096)
        while true {
            let n = buffer.withUnsafeMutableBytes { Glibc.read(fd, $0.baseAddress, $0.count) }
            if n < 0 && errno == EINTR { continue }
            if n <= 0 { break }
            result.append(contentsOf: buffer[0..<n])
            if result.count > limit { break }
        }
        return result
    }

    /// Writes `text`; throws ``SandboxError/unavailable(_:)`` naming the file and errno.
    static func write(_ path: String, _ text: String) throws {
        let fd = open(path, O_WRONLY | O_TRUNC | O_CLOEXEC)
        guard fd >= 0 else { throw failure("opening", path) }
        defer { close(fd) }
        let n = text.withCString { Glibc.write(fd, $0, strlen($0)) }
        guard n >= 0 else { throw failure("writing '\(text)' to", path) }
    }

    /// The first integer in the file (such as `memory.max_usage_in_bytes`).
    static func integer(_ path: String) -> UInt64? {
        guard let text = read(path) else { return nil }
        return UInt64(text.prefix { $0.isNumber })
    }

    /// The integer after `key` in a "key value" or "key=value" file
    /// (`memory.events`, `cpu.stat`, `pids.events`, PSI files).
    static func keyed(_ path: String, _ key: String, line prefix: String? = nil) -> UInt64? {
        guard let text = read(path) else { return nil }
        for line in text.split(separator: "\n") where prefix.map({ line.hasPrefix($0) }) ?? true {
            let fields = line.split(separator: " ")
            for (index, field) in fields.enumerated() {
                if field == key, index + 1 < fields.count { return UInt64(fields[index + 1]) }
                if field.hasPrefix(key + "=") { return UInt64(field.dropFirst(key.count + 1)) }
            }
        }
        return nil
    }

    /// Creates a directory and its missing parents (mode 0755).
    static func makeDirectories(_ path: String) throws {
        // Usually only the last component (or nothing) is missing.
        if mkdir(path, 0o755) == 0 || errno == EEXIST { return }
        var current = ""
        for component in path.split(separator: "/") {
            current += "/" + component
            if mkdir(current, 0o755) != 0 && errno != EEXIST { throw failure("creating", current) }
        }
    }

    /// Removes the cgroup directory at `path` if it exists and makes it again,
    /// with its missing parents. (A cgroup directory holds only the kernel's
    /// files; ENOTEMPTY comes from a plain directory standing in for one.)
    static func recreateDirectory(_ path: String) throws {
        if rmdir(path) != 0 && errno != ENOENT && errno != ENOTEMPTY { throw failure("removing the previous run's cgroup", path) }
        try makeDirectories(path)
    }

    static func failure(_ action: String, _ path: String) -> SandboxError {
        .unavailable("\(action) \(path): \(String(cString: strerror(errno)))")
    }
}
