/// Whether a GPU is fit for the next job: it answers NVML, holds no compute
/// process of an earlier job, has its memory back near idle, and its count of
/// uncorrectable ECC errors did not grow.
public enum GPUHealth {
    /// Memory a healthy idle GPU may still show in use (driver, contexts).
    public static let idleMemorySlack: UInt64 = 512 << 20

    /// The problems found, each a sentence for the operator; empty when healthy.
    public static func problems(_ gpu: GPU?, error: NVMLError?, previousECC: UInt64?) -> [String] {
        if let error { return ["GPU error: \(error)"] }
        guard let gpu else { return ["GPU missing"] }
        var problems: [String] = []
        if !gpu.processes.isEmpty {
            problems.append("compute processes still on the GPU: " + gpu.processes.map { "pid \($0.pid) (\($0.usedMemory) bytes)" }.joined(separator: ", "))
        }
        if gpu.memoryUsed > idleMemorySlack {
            problems.append("\(gpu.memoryUsed) bytes of GPU memory still in use")
        }
        if let previousECC, gpu.uncorrectedECCErrors > previousECC {
            problems.append("uncorrectable ECC errors grew from \(previousECC) to \(gpu.uncorrectedECCErrors)")
        }
        return problems
    }
}
