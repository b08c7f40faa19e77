#if canImport(Glibc)
import Glibc
#endif
import Synchronization

/// Stops a run from another task or thread: `fire()` makes the supervisor kill
/// the sandbox at once. Safe to fire any number of times, before or during a run.
public final class CancelSignal: Sendable {
    private let fds: Mutex<(read: Int32, write: Int32)>
    private let fired = Atomic<Bool>(false)

    public init() {
        var pair: [Int32] = [-1, -1]
        if !makePipe(&pair, nonBlocking: true) { pair = [-1, -1] }
        fds = Mutex((pair[0], pair[1]))
    }

    /// Whether `fire()` has been called.
    public var isFired: Bool { fired.load(ordering: .acquiring) }

    /// Asks the run to stop.
    public func fire() {
        fired.store(true, ordering: .releasing)
        fds.withLock { fds in
            var byte: UInt8 = 1
            _ = write(fds.write, &byte, 1)
        }
    }

    /// The descriptor that becomes readable once fired (for `poll`).
    var pollDescriptor: Int32 { fds.withLock { $0.read } }

    deinit {
        fds.withLock { fds in
            close(fds.read)
            close(fds.write)
        }
    }
}
