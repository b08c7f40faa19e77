/// Which cgroup hierarchy the host runs, found from `/proc/self/mountinfo`,
/// and where a slot's cgroup lives in it.
enum CgroupHierarchy: Equatable {
    /// Controllers on their own v1 mounts, plus the unified mount if any.
    case v1(memory: String, pids: String, cpuacct: String, unified: String?, devices: String? = nil)
    /// One unified hierarchy; `root` is the directory Proctor manages.
    case v2(root: String)
    /// No cgroup of Proctor's own (rootless mode): a run is its pid namespace.
    case none

    /// Reads the host's mounts and this process's cgroups.
    static func detect(mountinfo: String? = ControlFile.read("/proc/self/mountinfo"),
                       ownCgroups: String? = ControlFile.read("/proc/self/cgroup")) throws -> CgroupHierarchy {
        var v1: [String: String] = [:]
        var unified: String?
        // "36 35 98:0 / /sys/fs/cgroup/pids rw,… shared:9 - cgroup cgroup rw,pids": the mount
        // point is the fifth field; after the "-" come the type, the source and the options.
        // (Split into fields rather than searched for " - ": this runs at every `proctor run`'s
        // start, where the string-searching algorithms' first use cost 0.06 ms more.)
        for line in (mountinfo ?? "").split(separator: "\n") {
            let fields = line.split(separator: " ")
            guard let dash = fields.firstIndex(of: "-"), dash >= 5, fields.count >= dash + 4 else { continue }
            let mountPoint = String(fields[4])
            switch fields[dash + 1] {
            case "cgroup2": unified = mountPoint
            case "cgroup":
                for option in fields[dash + 3].split(separator: ",") { v1[String(option)] = mountPoint }
            default: continue
            }
        }
        // Each controller's own path for this process, so runs nest under it.
        var own: [String: String] = [:]
        for line in (ownCgroups ?? "").split(separator: "\n") {
            let parts = line.split(separator: ":", maxSplits: 2, omittingEmptySubsequences: false)
            guard parts.count == 3 else { continue }
            let path = parts[2] == "/" ? "" : String(parts[2])
            if parts[1].isEmpty { own["unified"] = path }
            for controller in parts[1].split(separator: ",") { own[String(controller)] = path }
        }
        if let memory = v1["memory"], let pids = v1["pids"], let cpuacct = v1["cpuacct"] {
            return .v1(memory: memory + (own["memory"] ?? ""), pids: pids + (own["pids"] ?? ""),
                       cpuacct: cpuacct + (own["cpuacct"] ?? ""), unified: unified.map { $0 + (own["unified"] ?? "") },
                       devices: v1["devices"].map { $0 + (own["devices"] ?? "") })
        }
        if let unified, v1.isEmpty {
            return .v2(root: unified + "/proctor")
        }
        throw SandboxError.unavailable(
            "no usable cgroups: Proctor needs cgroup v2, or v1 with the memory, pids and cpuacct controllers mounted")
    }

    /// The cgroup of `slot` in this hierarchy.
    func group(slot: Int) -> any ControlGroup {
        let name = "/proctor/slot-\(slot)"
        switch self {
        case .v1(let memory, let pids, let cpuacct, let unified, let devices):
            return CgroupV1(memory: memory + name, pids: pids + name, cpuacct: cpuacct + name, unified: unified.map { $0 + name },
                            devices: devices.map { $0 + name })
        case .v2(let root):
            return CgroupV2(root: root, slot: slot)
        case .none:
            return PidNamespaceGroup()
        }
    }
}
