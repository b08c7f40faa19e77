#if canImport(Glibc)
import Glibc
#endif

/// A slot's cgroup on a unified (v2) host. The slot directory holds one leaf,
/// made fresh for each run so that `memory.peak` and the event counters start
/// at zero; the slot itself only delegates the controllers.
struct CgroupV2: ControlGroup {
    /// The hierarchy root Proctor may manage (such as `/sys/fs/cgroup/proctor`).
    let root: String
    let slot: Int
    var leaf: String { "\(root)/slot-\(slot)/run" }
    static let controllers = ["memory", "pids", "cpu"]

    var procsFiles: [String] { [leaf + "/cgroup.procs"] }

    /// (Device control on v2 takes a BPF program; here the sandbox's /dev,
    /// which holds only the allowed nodes, is the boundary.)
    mutating func prepare(limits: Limits, devices: [DeviceNumber]) throws {
        let parent = "\(root)/slot-\(slot)"
        try ControlFile.makeDirectories(parent)
        let available = Set((ControlFile.read(root + "/cgroup.controllers") ?? "").split(whereSeparator: \.isWhitespace).map(String.init))
        let missing = Self.controllers.filter { !available.contains($0) }
        guard missing.isEmpty else {
            throw SandboxError.unavailable(
                "cgroup v2 at \(root) lacks the \(missing.joined(separator: ", ")) controller(s); enable them in the parent's cgroup.subtree_control")
        }
        let enable = Self.controllers.map { "+" + $0 }.joined(separator: " ")
        try ControlFile.write(root + "/cgroup.subtree_control", enable)
        try ControlFile.write(parent + "/cgroup.subtree_control", enable)
        try ControlFile.recreateDirectory(leaf)
        try ControlFile.write(leaf + "/memory.max", String(limits.memory))
        if access(leaf + "/memory.swap.max", F_OK) == 0 { try ControlFile.write(leaf + "/memory.swap.max", "0") }
        try ControlFile.write(leaf + "/pids.max", String(limits.processes))
    }

    func sampleCPU() -> (cpu: UInt64, stall: UInt64) {
        ((ControlFile.keyed(leaf + "/cpu.stat", "usage_usec") ?? 0) * 1000,
         (ControlFile.keyed(leaf + "/cpu.pressure", "total", line: "some") ?? 0) * 1000)
    }

    func usage() -> CgroupUsage {
        let sample = sampleCPU()
        return CgroupUsage(
            cpuNanoseconds: sample.cpu,
            cpuStallNanoseconds: sample.stall,
            peakMemory: ControlFile.integer(leaf + "/memory.peak") ?? 0,
            oomKills: ControlFile.keyed(leaf + "/memory.events", "oom_kill") ?? 0,
            processLimitHits: ControlFile.keyed(leaf + "/pids.events", "max") ?? 0)
    }

    func processes() -> [Int32] {
        (ControlFile.read(leaf + "/cgroup.procs") ?? "").split(separator: "\n").compactMap { Int32($0) }
    }

    func killAll(timeout: Double) -> Bool {
        if access(leaf + "/cgroup.kill", F_OK) == 0 { try? ControlFile.write(leaf + "/cgroup.kill", "1") }
        return CgroupKiller.kill(self, timeout: timeout)
    }
}
