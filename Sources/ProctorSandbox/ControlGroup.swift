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
    mutating func prepare(limits: Limits) throws
    /// CPU time and stall so far (cheap: read on every supervisor wake-up).
    func sampleCPU() -> (cpu: UInt64, stall: UInt64)
    /// Everything measured since `prepare`, read once the run is over.
    func usage() -> CgroupUsage
    /// Process ids now in the cgroup.
    func processes() -> [Int32]
    /// Kills every process in the cgroup; returns once it is empty or after `timeout` seconds.
    func killAll(timeout: Double) -> Bool
}
