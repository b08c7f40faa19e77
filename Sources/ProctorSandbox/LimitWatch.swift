/// Decides when a run has gone past a time limit, and how long the supervisor
/// may sleep before one could possibly be reached: CPU time grows at most as
/// fast as the CPUs the run can use, idleness and wall time at most one second
/// per second. Sleeping exactly that long (rather than polling on a fixed
/// period) kills within a millisecond or two of the limit at no idle cost.
struct LimitWatch {
    var limits: Limits
    /// CPUs the run's threads can occupy at once.
    var cpuCount: Double

    /// Time neither running nor waiting for a CPU: wall time minus CPU time minus
    /// the time runnable threads waited for a CPU (pressure stall), never negative.
    static func idleness(real: Double, cpu: Double, stall: Double) -> Double {
        max(0, real - cpu - stall)
    }

    /// The limit reached first at these readings, if any.
    func exceeded(real: Double, cpu: Double, stall: Double) -> LimitKind? {
        if cpu >= limits.cpuTime { return .cpuTime }
        if real >= limits.wallTime { return .realTime }
        if Self.idleness(real: real, cpu: cpu, stall: stall) >= limits.idleTime { return .idlenessTime }
        return nil
    }

    /// Seconds until the earliest moment any time limit could be reached.
    func secondsUntilNextCheck(real: Double, cpu: Double, stall: Double) -> Double {
        let untilCPU = (limits.cpuTime - cpu) / max(cpuCount, 1)
        let untilWall = limits.wallTime - real
        let untilIdle = limits.idleTime - Self.idleness(real: real, cpu: cpu, stall: stall)
        return max(0, min(untilCPU, untilWall, untilIdle))
    }
}
