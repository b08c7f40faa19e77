#if canImport(Glibc)
import Glibc
#endif

/// Exclusive use of one slot across threads and processes, through `flock` on
/// a file in the state directory. Released when the lock is dropped, or by the
/// kernel if the holder dies.
struct SlotLock: ~Copyable {
    private let fd: Int32

    init(directory: String, slot: Int) throws {
        let path = "\(directory)/slot-\(slot).lock"
        fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0o600)
        guard fd >= 0 else { throw ControlFile.failure("opening", path) }
        // Another thread's posix_spawn copies the descriptor table for a few
        // microseconds before exec closes it, which can hold a just-released
        // lock a moment longer: only a lock held past a short grace is "busy".
        var waited = 0
        while flock(fd, LOCK_EX | LOCK_NB) != 0 {
            guard errno == EWOULDBLOCK || errno == EINTR, waited < 250 else {
                close(fd)
                throw SandboxError.unavailable("slot \(slot) is in use by another run; choose another --slot or wait")
            }
            usleep(2000)
            waited += 2
        }
    }

    /// Gives the slot up (also done when the lock is dropped).
    consuming func release() {}

    deinit { close(fd) }
}
