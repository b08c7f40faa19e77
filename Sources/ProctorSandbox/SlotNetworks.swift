import CSeccomp
import Synchronization

#if canImport(Glibc)
import Glibc
#endif

/// The network namespaces of runs without network (``NetworkMode/none``), one
/// per slot, made at the slot's first run and kept for its next ones: making
/// a namespace costs about half a millisecond.
///
/// A long-lived process (the service, a worker) holds them as its own
/// descriptors, never mounted, so they go when it ends and nothing of them is
/// left on the host. A one-run process (`proctor run`) would make one every
/// time, so it keeps them mounted in the state directory instead
/// (`/run/proctor/net/slot-N`, as `ip netns add` does), like the slot's
/// cgroups: the next `proctor run` on the slot joins the one already there.
/// Either way a slot's runs follow one another (the slot lock) and each ends
/// with every process of it killed, so no socket outlives its run; nothing in
/// the sandbox can configure the namespace (no capability, `/proc/sys` read-only).
final class SlotNetworks: Sendable {
    private let descriptors = Mutex<[Int: Int32]>([:])
    /// Where namespaces are kept mounted across processes; nil: this process's descriptors.
    private let directory: String?

    /// Namespaces held by this process, or, with `directory`, kept mounted there.
    init(mountedIn directory: String? = nil) {
        self.directory = directory
    }

    deinit {
        descriptors.withLock { table in for fd in table.values { close(fd) } }
    }

    /// A path through which init joins the slot's namespace, making the
    /// namespace the first time: this process's descriptor of it under /proc,
    /// or its mount in the kept directory.
    func path(forSlot slot: Int) throws -> String {
        if let directory { return try mounted(slot: slot, in: directory) }
        let fd = try descriptors.withLock { table in
            if let fd = table[slot] { return fd }
            let fd = try Self.make(mountingAt: nil)
            table[slot] = fd
            return fd
        }
        return "/proc/\(getpid())/fd/\(fd)"
    }

    /// `directory/slot-N`, mounting a new namespace there unless one already is.
    /// (The caller holds the slot's lock: no other process makes this one at once.)
    private func mounted(slot: Int, in directory: String) throws -> String {
        let path = directory + "/slot-\(slot)"
        if proctor_file_system_type(path) == Self.namespaceFileSystem { return path }
        try ControlFile.makeDirectories(directory)
        let fd = open(path, O_CREAT | O_WRONLY | O_CLOEXEC | O_NOFOLLOW, 0o600)
        guard fd >= 0 else { throw ControlFile.failure("making the mount point of the slot's network namespace", path) }
        close(fd)
        _ = try Self.make(mountingAt: path)
        return path
    }

    /// `NSFS_MAGIC`: what `statfs` says of a mounted namespace.
    static let namespaceFileSystem: UInt = 0x6e73_6673

    /// What the namespace-making thread hands back.
    private final class Outcome: @unchecked Sendable {
        // Written by the thread before it ends, read after it is joined.
        var descriptor: Int32 = -1
        var error: Int32 = 0
        var target: String?
    }

    /// Makes a network namespace on a thread of its own (a namespace change
    /// belongs to the thread that makes it; this one ends right after) and
    /// returns a descriptor of it, or with `target` mounts it there (and returns 0).
    private static func make(mountingAt target: String?) throws -> Int32 {
        let outcome = Outcome()
        outcome.target = target
        var thread = pthread_t()
        let started = pthread_create(&thread, nil, { raw in
            guard let raw else { return nil }
            let outcome = Unmanaged<Outcome>.fromOpaque(raw).takeUnretainedValue()
            if proctor_unshare_network() == 0 {
                if let target = outcome.target {
                    outcome.descriptor = mount("/proc/thread-self/ns/net", target, nil, UInt(MS_BIND), nil) == 0 ? 0 : -1
                } else {
                    outcome.descriptor = open("/proc/thread-self/ns/net", O_RDONLY | O_CLOEXEC)
                }
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
