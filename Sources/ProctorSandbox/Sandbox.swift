#if canImport(Glibc)
import Glibc
#endif

/// Runs untrusted programs inside namespaces, cgroups, seccomp and an
/// allow-list filesystem, and reports a truthful verdict with measurements.
///
/// A `Sandbox` value is cheap and immutable; any number of runs may go on at
/// once as long as each uses its own slot. After every run, whatever happened,
/// no process, mount, or temporary file of it is left on the host.
public struct Sandbox: Sendable {
    /// Where the sandbox finds its helper and keeps its state.
    public struct Configuration: Sendable {
        /// Path of the `proctor-init` helper executable.
        public var helperPath: String
        /// Directory for slot locks and the root mountpoint (root-owned).
        public var stateDirectory: String
        /// Slot N runs as uid and gid `uidBase + N`.
        public var uidBase: UInt32
        /// Rootless mode, for users without root (a Slurm cluster's compute
        /// nodes): namespaces inside a user namespace, seccomp, the same
        /// filesystem, time, process, output and disk limits; but programs run
        /// as the caller's own uid (keeping its supplementary groups), memory is
        /// left to an outer cgroup (Slurm's) and measured per process, and no
        /// device controller guards device nodes. See README, "Rootless mode".
        public var rootless: Bool
        /// Whether this process makes one run and ends (`proctor run`): then
        /// what later runs reuse is kept in the state directory for the next
        /// process instead of in this one — the slots' network namespaces,
        /// mounted (not rootless; see ``SlotNetworks``), and the compiled
        /// seccomp filters (see ``SeccompFilter``).
        public var oneRunPerProcess: Bool

        /// The helper beside the executable, the state directory for the mode, pool uids from 1,900,000.
        public init(helperPath: String? = nil, stateDirectory: String? = nil, uidBase: UInt32 = 1_900_000, rootless: Bool = false,
                    oneRunPerProcess: Bool = false) {
            self.helperPath = helperPath ?? Self.defaultHelperPath()
            self.stateDirectory = stateDirectory ?? Self.defaultStateDirectory(rootless: rootless)
            self.uidBase = uidBase
            self.rootless = rootless
            self.oneRunPerProcess = oneRunPerProcess
        }

        /// `/run/proctor`, or for rootless runs a directory of the caller's own
        /// (`$XDG_RUNTIME_DIR/proctor`, else `/tmp/proctor-UID`).
        public static func defaultStateDirectory(rootless: Bool) -> String {
            guard rootless else { return "/run/proctor" }
            if let runtime = getenv("XDG_RUNTIME_DIR"), runtime.pointee == UInt8(ascii: "/") { return String(cString: runtime) + "/proctor" }
            return "/tmp/proctor-\(getuid())"
        }

        /// `PROCTOR_INIT` if set, else `proctor-init` beside the running executable.
        public static func defaultHelperPath() -> String {
            if let fromEnvironment = getenv("PROCTOR_INIT") { return String(cString: fromEnvironment) }
            return besideExecutable("proctor-init")
        }

        /// The path of `name` in the running executable's directory (where
        /// Proctor's binaries are installed together).
        public static func besideExecutable(_ name: String) -> String {
            var buffer = [CChar](repeating: 0, count: 4096)
            let n = readlink("/proc/self/exe", &buffer, buffer.count - 1)
            let executable = n > 0 ? String(decoding: buffer[0..<n].map { UInt8(bitPattern: $0) }, as: UTF8.self) : ""
            let directory = executable.split(separator: "/", omittingEmptySubsequences: false).dropLast().joined(separator: "/")
            return directory + "/" + name
        }
    }

    public let configuration: Configuration
    let hierarchy: CgroupHierarchy
    /// The slots' kept network namespaces (see ``NetworkMode/none``), shared by copies of this value.
    let networks: SlotNetworks

    /// Checks that this machine can host runs: root (or, rootless, not root),
    /// cgroups (not rootless), the helper.
    public init(configuration: Configuration = Configuration()) throws {
        if configuration.rootless {
            guard geteuid() != 0 else {
                throw SandboxError.unavailable("rootless mode is for users without root; as root the sandbox runs in full (leave --rootless out)")
            }
        } else {
            guard geteuid() == 0 else {
                throw SandboxError.unavailable("the sandbox needs root (for namespaces, cgroups and pool uids); run it as root, or with --rootless and its weaker guarantees")
            }
        }
        guard access(configuration.helperPath, X_OK) == 0 else {
            throw SandboxError.unavailable("the helper \(configuration.helperPath) is missing; build it with 'swift build' or set PROCTOR_INIT")
        }
        try ControlFile.makeDirectories(configuration.stateDirectory + "/root")
        chmod(configuration.stateDirectory, 0o700)
        if configuration.rootless {
            // A directory someone else made first (in /tmp) would be theirs to tamper with.
            var st = stat()
            guard lstat(configuration.stateDirectory, &st) == 0, st.st_uid == geteuid(), (st.st_mode & S_IFMT) == S_IFDIR else {
                throw SandboxError.unavailable("\(configuration.stateDirectory) is not a directory of this user's; remove it or set XDG_RUNTIME_DIR")
            }
        }
        self.configuration = configuration
        self.hierarchy = configuration.rootless ? .none : try CgroupHierarchy.detect()
        // (A rootless run makes a namespace of its own: a kept one would belong to the host's user namespace.)
        self.networks = SlotNetworks(mountedIn: configuration.oneRunPerProcess && !configuration.rootless ? configuration.stateDirectory + "/net" : nil)
    }

    /// Whether runs are rootless (see ``Configuration/rootless``).
    public var isRootless: Bool { configuration.rootless }

    /// The uid (and gid) a slot's programs run as.
    /// (Rootless: the caller's own, the only one its user namespace maps.)
    public func uid(forSlot slot: Int) -> UInt32 { isRootless ? geteuid() : configuration.uidBase + UInt32(slot) }

    /// The gid a slot's programs run as.
    public func gid(forSlot slot: Int) -> UInt32 { isRootless ? getegid() : uid(forSlot: slot) }

    /// Runs `spec` to the end on the calling thread and reports how it went.
    ///
    /// - Throws: ``SandboxError`` when the run cannot start (bad spec, busy
    ///   slot, machine unfit). Once started, every outcome is a ``RunReport``.
    ///
    /// A `monitor` (the GPU warden) is sampled every 100 ms; past
    /// `spec.limits.vram` the run is stopped with `limitExceeded(.vram)`.
    public func run(_ spec: SandboxSpec, cancel: CancelSignal? = nil, monitor: (any ResourceMonitor)? = nil) throws -> RunReport {
        try spec.validate()
        let lock = try SlotLock(directory: configuration.stateDirectory, slot: spec.slot)
        let result = Result {
            var supervisor = try Supervisor(sandbox: self, spec: spec, cancel: cancel, monitor: monitor)
            return try supervisor.run()
        }
        lock.release()
        return try result.get()
    }

    /// Runs `spec` on a thread of its own, so no task of the caller's
    /// cooperative pool blocks; cancelling the task kills the sandbox at once
    /// and then throws `CancellationError`.
    public func run(_ spec: SandboxSpec, monitor: (any ResourceMonitor)? = nil) async throws -> RunReport {
        let cancel = CancelSignal()
        let result = await withTaskCancellationHandler {
            await BlockingThread.run { Result { try self.run(spec, cancel: cancel, monitor: monitor) } }
        } onCancel: {
            cancel.fire()
        }
        if cancel.isFired { throw CancellationError() }
        return try result.get()
    }
}
