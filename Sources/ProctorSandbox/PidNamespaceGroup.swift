import Synchronization

#if canImport(Glibc)
import Glibc
#endif

/// A run's processes without a cgroup of its own (rootless mode): found as
/// the processes of the run's pid namespace, through its init. CPU time is
/// read from `/proc` while they live and from what init reaped at the end;
/// memory is the processes' anonymous memory summed, sampled by the supervisor
/// (every 100 ms) rather than held by the kernel, so a fast allocation can
/// overshoot before the stop: the hard bound is the batch system's cgroup
/// (Slurm's). There is no device controller.
final class PidNamespaceGroup: ControlGroup {
    /// The run's init and its pid namespace (read while init lived: a pid may
    /// be reused, the namespace a process is in says whose it is).
    private let state = Mutex<(initPID: Int32, namespace: String?, memory: UInt64, final: CgroupUsage?)>((0, nil, 0, nil))
    private static let ticks = Double(max(1, sysconf(Int32(_SC_CLK_TCK))))

    var procsFiles: [String] { [] }

    func prepare(limits: Limits, devices: [DeviceNumber]) throws {
        state.withLock { $0 = (0, nil, 0, nil) }
    }

    func follow(initPID: Int32, namespace: String?) {
        state.withLock { $0.initPID = initPID; $0.namespace = namespace }
    }

    func settle(childUsage: (cpuNanoseconds: UInt64, peakMemory: UInt64)) {
        state.withLock { $0.final = CgroupUsage(cpuNanoseconds: childUsage.cpuNanoseconds, peakMemory: childUsage.peakMemory) }
    }

    /// The CPU time of the run's processes (init's own excepted) and of those
    /// already reaped; no pressure stall is known. The same look at `/proc`
    /// reads their memory, which ``sampleMemory()`` then gives.
    func sampleCPU() -> (cpu: UInt64, stall: UInt64) {
        let initPID = state.withLock { $0.initPID }
        guard initPID > 0 else { return (0, 0) }
        var ticks: UInt64 = 0, pages: UInt64 = 0
        for pid in processes() {
            guard let fields = Self.statFields(pid), fields.count > 14 else { continue }
            // utime, stime, cutime, cstime: fields 14–17, counted after the command's closing parenthesis.
            let own = (UInt64(fields[11]) ?? 0) + (UInt64(fields[12]) ?? 0)
            let reaped = (UInt64(fields[13]) ?? 0) + (UInt64(fields[14]) ?? 0)
            ticks += pid == initPID ? reaped : own + reaped
            // Anonymous resident memory (`statm`: resident less file-backed and shared).
            if pid != initPID, let memory = ControlFile.read("/proc/\(pid)/statm")?.split(separator: " "), memory.count > 2,
                let resident = UInt64(memory[1]), let shared = UInt64(memory[2]) {
                pages += resident > shared ? resident - shared : 0
            }
        }
        let sampledMemory = pages * Self.pageSize
        state.withLock { $0.memory = sampledMemory }
        return (UInt64(Double(ticks) / Self.ticks * 1e9), 0)
    }

    var samplesMemory: Bool { true }

    /// The run's processes' anonymous memory, summed, as of the latest ``sampleCPU()``.
    func sampleMemory() -> UInt64? { state.withLock { $0.memory } }

    private static let pageSize = UInt64(max(1, sysconf(Int32(_SC_PAGESIZE))))

    func usage() -> CgroupUsage { state.withLock { $0.final } ?? CgroupUsage(cpuNanoseconds: sampleCPU().cpu) }

    /// Live processes of the run's pid namespace, init included.
    func processes() -> [Int32] {
        guard let namespace = state.withLock({ $0.namespace }) else { return [] }
        return StraySweeper.processes().filter { StraySweeper.pidNamespace(of: $0) == namespace }
    }

    /// Kills the run's processes (init first, with which the kernel ends the rest).
    func killAll(timeout: Double) -> Bool {
        let deadline = MonotonicClock.now() + timeout
        while case let members = processes(), !members.isEmpty {
            for pid in members { kill(pid, SIGKILL) }
            if MonotonicClock.now() > deadline { return false }
            usleep(1000)
        }
        return true
    }

    /// `/proc/PID/stat`'s fields after the command name (which may hold spaces).
    private static func statFields(_ pid: Int32) -> [Substring]? {
        guard let text = ControlFile.read("/proc/\(pid)/stat"), let close = text.lastIndex(of: ")") else { return nil }
        return text[text.index(after: close)...].split(separator: " ")
    }
}
