import ProctorSandbox

/// Watches the VRAM a sandbox's processes use on its GPUs (aiVLE's warden):
/// the sandbox supervisor asks it for the sum over the run's pids, found
/// through the run's cgroup, so children and grandchildren count too.
public struct VRAMWarden: ResourceMonitor {
    let nvml: NVML
    /// The GPUs the run was given.
    let gpus: [Int]

    public init(nvml: NVML, gpus: [Int]) {
        self.nvml = nvml
        self.gpus = gpus
    }

    /// Bytes of VRAM used by `pids` on the run's GPUs; `nil` when NVML fails
    /// (the GPU health check, not the warden, deals with a sick GPU).
    public func sample(pids: [Int32]) -> UInt64? {
        let wanted = Set(pids)
        var total: UInt64 = 0
        for index in gpus {
            guard let gpu = try? nvml.gpu(index) else { return nil }
            total += gpu.processes.filter { wanted.contains($0.pid) }.reduce(0) { $0 + $1.usedMemory }
        }
        return total
    }
}
