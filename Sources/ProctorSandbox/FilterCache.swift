import CSeccomp

#if canImport(Glibc)
import Glibc
#endif

/// A compiled seccomp program kept in the state directory between processes
/// that each make one run (`proctor run`), so none of them pays the 0.2–0.3 ms
/// libseccomp takes to compile it.
///
/// The file names what made it: this executable (device, inode, size and
/// modification time of `/proc/self/exe`, so a rebuilt or upgraded binary, whose
/// policy may differ, never reads an older one's program) and libseccomp's
/// version; a file made by anything else is compiled anew and replaced. It lives
/// in the state directory, the caller's own and closed to everyone else (0700),
/// and is written aside and renamed, so a reader sees a whole program or none.
/// Whatever it holds, the kernel checks the program as it loads it.
struct FilterCache {
    let path: String
    let key: String

    /// The cache of `network`'s program under `directory`.
    init(directory: String, network: NetworkMode) {
        path = directory + "/seccomp-\(network.rawValue).bpf"
        var st = stat()
        let executable = stat("/proc/self/exe", &st) == 0 ? "\(st.st_dev):\(st.st_ino):\(st.st_size):\(st.st_mtim.tv_sec).\(st.st_mtim.tv_nsec)" : "unknown"
        let version = seccomp_version().map { "\($0.pointee.major).\($0.pointee.minor).\($0.pointee.micro)" } ?? "unknown"
        key = "proctor-seccomp 1 exe=\(executable) libseccomp=\(version) network=\(network.rawValue)\n"
    }

    /// The program, when the file is there, made by this executable and libseccomp, and whole.
    func read() -> [UInt8]? {
        guard let text = ControlFile.readBytes(path, limit: 1 << 16) else { return nil }
        let header = Array(key.utf8)
        guard text.count > header.count, text.starts(with: header) else { return nil }
        let program = Array(text[header.count...])
        return program.count % 8 == 0 ? program : nil
    }

    /// Leaves `program` for the next process; a failure only costs the next one a compile.
    func write(_ program: [UInt8]) {
        let temporary = path + ".\(getpid())"
        unlink(temporary)  // one left by a killed process that had this pid
        let fd = open(temporary, O_CREAT | O_EXCL | O_WRONLY | O_CLOEXEC | O_NOFOLLOW, 0o600)
        guard fd >= 0 else { return }
        let bytes = Array(key.utf8) + program
        let written = bytes.withUnsafeBytes { Glibc.write(fd, $0.baseAddress, $0.count) }
        close(fd)
        if written != bytes.count || rename(temporary, path) != 0 { unlink(temporary) }
    }
}
