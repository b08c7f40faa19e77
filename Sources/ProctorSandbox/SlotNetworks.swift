import CSeccomp
import Synchronization

#if canImport(Glibc)
import Glibc
#endif

/// The network namespaces of runs without network (``NetworkMode/none``), one
/// per slot, made at the slot's first run and kept for its next ones: making
/// a namespace costs more than half a millisecond. They are held as this
/// process's descriptors, never mounted, so they go when the process ends and
/// nothing of them is left on the host.
final class SlotNetworks: Sendable {
    private let descriptors = Mutex<[Int: Int32]>([:])

    deinit {
        descriptors.withLock { table in for fd in table.values { close(fd) } }
    }

    /// A path through which init joins the slot's namespace (this process's
    /// descriptor of it, under /proc), making the namespace the first time.
    func path(forSlot slot: Int) throws -> String {
        let fd = try descriptors.withLock { table in
            if let fd = table[slot] { return fd }
            let fd = try Self.make()
            table[slot] = fd
            return fd
        }
        return "/proc/\(getpid())/fd/\(fd)"
    }

    /// What the namespace-making thread hands back.
    private final class Outcome: @unchecked Sendable {
        // Written by the thread before it ends, read after it is joined.
        var descriptor: Int32 = -1
        var error: Int32 = 0
    }

    /// Makes a network namespace on a thread of its own (a namespace change
    /// belongs to the thread that makes it; this one ends right after) and
    /// returns a descriptor of it.
    private static func make() throws -> Int32 {
        let outcome = Outcome()
        var thread = pthread_t()
        let started = pthread_create(&thread, nil, { raw in
            guard let raw else { return nil }
            let outcome = Unmanaged<Outcome>.fromOpaque(raw).takeUnretainedValue()
            if proctor_unshare_network() == 0 {
                outcome.descriptor = open("/proc/thread-self/ns/net", O_RDONLY | O_CLOEXEC)
            }
            if outcome.descriptor < 0 { outcome.error = errno }
            return nil
        }, Unmanaged.passUnretained(outcome).toOpaque())
        guard started == 0 else { throw SandboxError.unavailable("making a network namespace: no thread (\(String(cString: strerror(started))))") }
        pthread_join(thread, nil)
        withExtendedLifetime(outcome) {}
        guard outcome.descriptor >= 0 else {
            throw SandboxError.unavailable("making a network namespace: \(String(cString: strerror(outcome.error)))")
        }
        return outcome.descriptor
    }
}
