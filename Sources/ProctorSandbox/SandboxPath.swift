#if canImport(Glibc)
import Glibc
#endif

/// Checks paths that cross from a spec into mounts; nothing reaches the C side
/// without passing here.
enum SandboxPath {
    /// Places a bind may not cover: the sandbox's own machinery.
    static let reserved = ["/", "/proc", "/dev", "/tmp", "/workspace", "/etc"]

    /// True for a clean absolute path: no empty, `.` or `..` components, no
    /// control characters, at most 1024 bytes.
    static func isClean(_ path: String) -> Bool {
        guard path.hasPrefix("/"), path.utf8.count <= 1024 else { return false }
        if path == "/" { return true }
        guard !path.hasSuffix("/") else { return false }
        for scalar in path.unicodeScalars where scalar.value < 0x20 || scalar.value == 0x7f { return false }
        return path.split(separator: "/", omittingEmptySubsequences: false).dropFirst()
            .allSatisfy { !$0.isEmpty && $0 != "." && $0 != ".." }
    }

    static func validateBind(_ bind: BindMount) throws {
        guard isClean(bind.source) else {
            throw SandboxError.invalidSpec("bind source '\(bind.source)' must be a clean absolute path (no '..', no trailing '/')")
        }
        guard isClean(bind.destination) else {
            throw SandboxError.invalidSpec("bind destination '\(bind.destination)' must be a clean absolute path (no '..', no trailing '/')")
        }
        if reserved.contains(bind.destination) || bind.destination.hasPrefix("/proc/") || bind.destination.hasPrefix("/dev/") {
            throw SandboxError.invalidSpec("bind destination '\(bind.destination)' would cover the sandbox's own \(bind.destination); choose another path such as /data")
        }
        var st = stat()
        guard stat(bind.source, &st) == 0 else {
            throw SandboxError.invalidSpec("bind source '\(bind.source)' does not exist on this machine")
        }
        let kind = st.st_mode & S_IFMT
        guard kind == S_IFDIR || kind == S_IFREG else {
            throw SandboxError.invalidSpec("bind source '\(bind.source)' must be a file or a directory")
        }
    }

    static func validateDevice(_ path: String) throws {
        var st = stat()
        guard isClean(path), path.hasPrefix("/dev/"), stat(path, &st) == 0, (st.st_mode & S_IFMT) == S_IFCHR else {
            throw SandboxError.invalidSpec("device '\(path)' must be a character device under /dev")
        }
    }

    /// A system tree must be a clean absolute path to a directory holding `usr/`.
    static func validateRootfs(_ path: String) throws {
        guard isClean(path), path != "/" else {
            throw SandboxError.invalidSpec("rootfs '\(path)' must be a clean absolute path (no '..', no trailing '/')")
        }
        try requireDirectory(path, option: "rootfs")
        var st = stat()
        guard stat(path + "/usr", &st) == 0, (st.st_mode & S_IFMT) == S_IFDIR else {
            throw SandboxError.invalidSpec("rootfs '\(path)' holds no usr/ directory; give an unpacked distribution tree or OCI image")
        }
    }

    /// A scratch directory may not cover the sandbox's own machinery.
    static func validateScratch(_ path: String) throws {
        guard isClean(path), !reserved.contains(path), !path.hasPrefix("/proc/"), !path.hasPrefix("/dev/") else {
            throw SandboxError.invalidSpec("scratch directory '\(path)' must be a clean absolute path outside /proc, /dev, /tmp, /workspace and /etc")
        }
    }

    static func requireDirectory(_ path: String, option: String) throws {
        var st = stat()
        guard stat(path, &st) == 0, (st.st_mode & S_IFMT) == S_IFDIR else {
            throw SandboxError.invalidSpec("\(option) '\(path)' is not an existing directory")
        }
    }

    static func requireReadableFile(_ path: String, option: String) throws {
        var st = stat()
        guard stat(path, &st) == 0, (st.st_mode & S_IFMT) == S_IFREG, access(path, R_OK) == 0 else {
            throw SandboxError.invalidSpec("\(option) '\(path)' is not a readable file")
        }
    }

    /// Whether a host path exists, and if it is a symbolic link, where it points.
    static func inspect(_ path: String) -> (exists: Bool, linkTarget: String?) {
        var st = stat()
        guard lstat(path, &st) == 0 else { return (false, nil) }
        guard (st.st_mode & S_IFMT) == S_IFLNK else { return (true, nil) }
        var buffer = [CChar](repeating: 0, count: 4096)
        let n = readlink(path, &buffer, buffer.count - 1)
        guard n > 0 else { return (false, nil) }
        return (true, String(decoding: buffer[0..<n].map { UInt8(bitPattern: $0) }, as: UTF8.self))
    }
}
