import ProctorSandbox
import Synchronization

/// Watches the VRAM a sandbox's processes use on its GPUs (aiVLE's warden):
/// the sandbox supervisor asks it for the sum over the run's pids, found
/// through the run's cgroup, so children and grandchildren count too. It also
/// notes when a GPU ran slowed down (heat, power) during the run, so that a
/// participant whose job was slower than usual is told why.
public final class VRAMWarden: ResourceMonitor {
    let nvml: NVML
    /// The GPUs the run was given.
    let gpus: [Int]
    /// Slowdown reasons seen during the run, by GPU.
    private let slowdowns = Mutex<[Int: Set<String>]>([:])

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
            if !gpu.slowdowns.isEmpty { slowdowns.withLock { $0[index, default: []].formUnion(gpu.slowdowns) } }
        }
        return total
    }

    /// One sentence per GPU that ran slowed down while the run was watched.
    public func notes() -> [String] {
        slowdowns.withLock { $0 }.sorted { $0.key < $1.key }.map { index, reasons in
            "GPU \(index) ran slowed down during this run (\(reasons.sorted().joined(separator: ", "))): times may be longer than on a GPU at full speed"
        }
    }
}
