#if canImport(Glibc)
import Glibc
#endif

/// What a run's cgroup measured, as deltas since ``ControlGroup/prepare(limits:)``.
struct CgroupUsage: Equatable {
    /// CPU time of every process and thread, in nanoseconds.
    var cpuNanoseconds: UInt64 = 0
    /// Time at least one task waited for a CPU (pressure stall), in nanoseconds; 0 where unknown.
    var cpuStallNanoseconds: UInt64 = 0
    var peakMemory: UInt64 = 0
    /// Processes the kernel's OOM killer ended inside the run.
    var oomKills: UInt64 = 0
    /// Times a fork or clone failed for the process limit.
    var processLimitHits: UInt64 = 0
}

/// The cgroup of one slot: the seam between cgroup v1 (hybrid hosts such as
/// this one) and v2 (current distributions). A slot's cgroup is reused from
/// run to run; `prepare` resets what the next run is measured against.
protocol ControlGroup: Sendable {
    /// `cgroup.procs` files the sandbox's init writes itself into.
    var procsFiles: [String] { get }
    /// Creates the cgroup if needed, sets the limits and takes counter baselines.
    /// Where the hierarchy offers a device controller, only the standard
    /// character devices and `devices` (such as a job's GPUs) may be opened.
    mutating func prepare(limits: Limits, devices: [DeviceNumber]) throws
    /// CPU time and stall so far (cheap: read on every supervisor wake-up).
    func sampleCPU() -> (cpu: UInt64, stall: UInt64)
    /// Everything measured since `prepare`, read once the run is over.
    func usage() -> CgroupUsage
    /// Process ids now in the cgroup.
    func processes() -> [Int32]
    /// Kills every process in the cgroup; returns once it is empty or after `timeout` seconds.
    func killAll(timeout: Double) -> Bool
    /// Whether the supervisor must read memory itself (``sampleMemory()``), having no counter that holds a limit.
    var samplesMemory: Bool { get }
    /// The run's memory as of the latest ``sampleCPU()``, for a group whose limit is not the kernel's; `nil` where the kernel holds it.
    func sampleMemory() -> UInt64?
    /// The run's init has started (host pid) in its pid namespace (as ``StraySweeper/pidNamespace(of:)``
    /// reads it): a group without a cgroup finds the run's processes through them.
    func follow(initPID: Int32, namespace: String?)
    /// What init says its reaped children used, once they all ended: the measure of a group without counters.
    func settle(childUsage: (cpuNanoseconds: UInt64, peakMemory: UInt64))
}

/// The cgroups' side: the kernel counts and limits, init joins the cgroups itself.
extension ControlGroup {
    var samplesMemory: Bool { false }
    func sampleMemory() -> UInt64? { nil }
    func follow(initPID: Int32, namespace: String?) {}
    func settle(childUsage: (cpuNanoseconds: UInt64, peakMemory: UInt64)) {}
}

/// A character device's major and minor numbers, for the device controller.
struct DeviceNumber: Equatable, Hashable {
    var major: UInt32
    var minor: UInt32

    /// null, zero, full, random, urandom: what every sandbox's /dev holds.
    static let standard = [DeviceNumber(major: 1, minor: 3), DeviceNumber(major: 1, minor: 5), DeviceNumber(major: 1, minor: 7),
                           DeviceNumber(major: 1, minor: 8), DeviceNumber(major: 1, minor: 9)]

    /// The numbers of the character device at `path`, if it is one.
    init?(path: String) {
        var st = stat()
        guard stat(path, &st) == 0, (st.st_mode & S_IFMT) == S_IFCHR else { return nil }
        // glibc's gnu_dev_major / gnu_dev_minor.
        let dev = UInt64(st.st_rdev)
        let majorBits: UInt64 = ((dev >> 8) & 0xfff) | ((dev >> 32) & 0xffff_f000)
        let minorBits: UInt64 = (dev & 0xff) | ((dev >> 12) & 0xffff_ff00)
        major = UInt32(truncatingIfNeeded: majorBits)
        minor = UInt32(truncatingIfNeeded: minorBits)
    }

    init(major: UInt32, minor: UInt32) {
        self.major = major
        self.minor = minor
    }
}
