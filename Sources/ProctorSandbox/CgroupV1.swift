#if canImport(Glibc)
import Glibc
#endif

/// A slot's cgroup on a v1 (or hybrid) host: memory, pids and cpuacct
/// hierarchies, plus the unified v2 hierarchy when mounted, for CPU pressure.
struct CgroupV1: ControlGroup {
    let memory: String
    let pids: String
    let cpuacct: String
    /// The slot's cgroup in the unified hierarchy, if the host mounts one.
    let unified: String?
    /// The slot's cgroup in the devices hierarchy, if mounted.
    let devices: String?
    private var oomBaseline: UInt64 = 0
    private var pidsBaseline: UInt64 = 0
    private var stallBaseline: UInt64 = 0

    init(memory: String, pids: String, cpuacct: String, unified: String?, devices: String? = nil) {
        self.memory = memory
        self.pids = pids
        self.cpuacct = cpuacct
        self.unified = unified
        self.devices = devices
    }

    private var optional: [String] { [unified, devices].compactMap { $0 } }

    var procsFiles: [String] {
        ([memory, pids, cpuacct] + optional).map { $0 + "/cgroup.procs" }
    }

    /// Each run gets its memory cgroup made anew: whatever the last run left
    /// charged (page cache, tmpfs pages, kernel memory) moves to the parent
    /// with the old cgroup, so neither its limit nor its peak starts from what
    /// another run used. The other controllers' counters are reset or read as
    /// baselines.
    mutating func prepare(limits: Limits, devices allowed: [DeviceNumber]) throws {
        try ControlFile.recreateDirectory(memory)
        for path in [pids, cpuacct] + optional {
            try ControlFile.makeDirectories(path)
        }
        if let devices {
            // Deny everything, then allow the standard nodes and the run's own devices.
            try ControlFile.write(devices + "/devices.deny", "a")
            for device in DeviceNumber.standard + allowed {
                try ControlFile.write(devices + "/devices.allow", "c \(device.major):\(device.minor) rwm")
            }
        }
        // memsw must stay >= the limit at every step, so open it up first.
        let hasSwapAccounting = access(memory + "/memory.memsw.limit_in_bytes", F_OK) == 0
        if hasSwapAccounting { try ControlFile.write(memory + "/memory.memsw.limit_in_bytes", "-1") }
        try ControlFile.write(memory + "/memory.limit_in_bytes", String(limits.memory))
        if hasSwapAccounting {
            try ControlFile.write(memory + "/memory.memsw.limit_in_bytes", String(limits.memory))
            try ControlFile.write(memory + "/memory.memsw.max_usage_in_bytes", "0")
        }
        try? ControlFile.write(memory + "/memory.swappiness", "0")
        try ControlFile.write(memory + "/memory.max_usage_in_bytes", "0")
        try ControlFile.write(pids + "/pids.max", String(limits.processes))
        try ControlFile.write(cpuacct + "/cpuacct.usage", "0")
        oomBaseline = ControlFile.keyed(memory + "/memory.oom_control", "oom_kill") ?? 0
        pidsBaseline = ControlFile.keyed(pids + "/pids.events", "max") ?? 0
        stallBaseline = stall()
    }

    private func stall() -> UInt64 {
        guard let unified else { return 0 }
        return (ControlFile.keyed(unified + "/cpu.pressure", "total", line: "some") ?? 0) * 1000
    }

    func sampleCPU() -> (cpu: UInt64, stall: UInt64) {
        (ControlFile.integer(cpuacct + "/cpuacct.usage") ?? 0, stall() &- stallBaseline)
    }

    func usage() -> CgroupUsage {
        let sample = sampleCPU()
        return CgroupUsage(
            cpuNanoseconds: sample.cpu,
            cpuStallNanoseconds: sample.stall,
            peakMemory: max(
                ControlFile.integer(memory + "/memory.max_usage_in_bytes") ?? 0,
                ControlFile.integer(memory + "/memory.memsw.max_usage_in_bytes") ?? 0),
            oomKills: (ControlFile.keyed(memory + "/memory.oom_control", "oom_kill") ?? 0) &- oomBaseline,
            processLimitHits: (ControlFile.keyed(pids + "/pids.events", "max") ?? 0) &- pidsBaseline)
    }

    func processes() -> [Int32] {
        var all = Set<Int32>()
        for file in procsFiles {
            for line in (ControlFile.read(file) ?? "").split(separator: "\n") {
                if let pid = Int32(line) { all.insert(pid) }
            }
        }
        return all.sorted()
    }

    func killAll(timeout: Double) -> Bool {
        CgroupKiller.kill(self, timeout: timeout)
    }
}

/// Kills what is in a cgroup by pid, over and over until it is empty: used
/// where the kernel offers no `cgroup.kill` (v1) and as the last resort.
enum CgroupKiller {
    static func kill(_ group: some ControlGroup, timeout: Double) -> Bool {
        let deadline = MonotonicClock.now() + timeout
        while true {
            let pids = group.processes()
            if pids.isEmpty { return true }
            for pid in pids { Glibc.kill(pid, SIGKILL) }
            if MonotonicClock.now() > deadline { return false }
            usleep(1000)
        }
    }
}
