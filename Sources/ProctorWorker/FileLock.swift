import ProctorSandbox

#if canImport(Glibc)
import Glibc
#endif

/// An advisory lock on a file (`flock`), which every process of the node
/// respects: two descriptors of one file conflict as two processes would. The
/// kernel drops it when its holder dies, so a crashed worker leaves no lock behind.
final class FileLock: Sendable {
    enum Mode { case shared, exclusive }

    let path: String
    private let descriptor: Int32

    init(path: String) {
        self.path = path
        descriptor = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0o600)
    }

    deinit { if descriptor >= 0 { close(descriptor) } }

    /// Waits for the lock on a thread of its own; false if the file could not be opened.
    func lock(_ mode: Mode) async -> Bool {
        guard descriptor >= 0 else { return false }
        let descriptor = self.descriptor, operation = mode == .shared ? LOCK_SH : LOCK_EX
        return await BlockingThread.run {
            while flock(descriptor, operation) != 0 { guard errno == EINTR else { return false } }
            return true
        }
    }

    /// Takes the lock if no other holder conflicts, without waiting.
    func tryLock(_ mode: Mode) -> Bool {
        descriptor >= 0 && flock(descriptor, (mode == .shared ? LOCK_SH : LOCK_EX) | LOCK_NB) == 0
    }

    func unlock() { if descriptor >= 0 { flock(descriptor, LOCK_UN) } }

    /// Marks the file as used now (its modification time orders the least recently used).
    func touch() { if descriptor >= 0 { futimens(descriptor, nil) } }
}
