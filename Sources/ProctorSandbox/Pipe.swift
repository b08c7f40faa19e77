#if canImport(Glibc)
import Glibc
#endif

/// A close-on-exec pipe whose ends are closed exactly once.
struct Pipe: ~Copyable {
    private(set) var readEnd: Int32
    private(set) var writeEnd: Int32

    init() throws {
        var fds: [Int32] = [-1, -1]
        guard makePipe(&fds) else { throw ControlFile.failure("creating", "a pipe") }
        readEnd = fds[0]
        writeEnd = fds[1]
    }

    mutating func closeRead() {
        if readEnd >= 0 { close(readEnd) }
        readEnd = -1
    }

    mutating func closeWrite() {
        if writeEnd >= 0 { close(writeEnd) }
        writeEnd = -1
    }

    deinit {
        if readEnd >= 0 { close(readEnd) }
        if writeEnd >= 0 { close(writeEnd) }
    }
}

/// Writes all of `bytes`, retrying on EINTR; false when the reader is gone.
func writeAll(_ fd: Int32, _ bytes: [UInt8]) -> Bool {
    var offset = 0
    while offset < bytes.count {
        let n = bytes[offset...].withUnsafeBytes { write(fd, $0.baseAddress, $0.count) }
        if n < 0 && errno == EINTR { continue }
        if n <= 0 { return false }
        offset += n
    }
    return true
}

/// `pipe` with both ends close-on-exec. (Glibc's `pipe2` is not visible to
/// Swift; the brief window before `FD_CLOEXEC` is harmless because the helper
/// closes every descriptor above 5 as its first act.)
func makePipe(_ fds: inout [Int32], nonBlocking: Bool = false) -> Bool {
    guard pipe(&fds) == 0 else { return false }
    for fd in fds {
        _ = fcntl(fd, F_SETFD, FD_CLOEXEC)
        if nonBlocking { _ = fcntl(fd, F_SETFL, O_NONBLOCK) }
    }
    return true
}
