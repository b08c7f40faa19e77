import Foundation
import ProctorCore
import ProctorGPU

/// What this node can offer a competition: its labels, GPUs and memory. A
/// worker only asks for jobs of competitions it can run, so the service
/// never hands a job to a node that lacks what it needs.
public struct NodeCapacity: Sendable {
    public var labels: [String: String]
    public var gpus: Int
    public var memoryBytes: UInt64
    /// The lowest compute capability among this node's GPUs (any of them may
    /// be given to a job); nil without GPUs.
    public var computeCapability: ComputeCapability?

    public init(labels: [String: String] = [:], gpus: Int = 0, memoryBytes: UInt64 = NodeCapacity.physicalMemory(),
                computeCapability: ComputeCapability? = nil) {
        self.labels = labels
        self.gpus = gpus
        self.memoryBytes = memoryBytes
        self.computeCapability = computeCapability
    }

    /// What a node with these labels and GPUs offers: its healthy GPUs, the
    /// lowest compute capability among them, its physical memory.
    public static func of(_ gpus: GPUAllocator?, labels: [String: String] = [:]) async -> NodeCapacity {
        let healthy = await gpus?.healthy ?? []
        return NodeCapacity(labels: labels, gpus: healthy.count,
                            computeCapability: healthy.compactMap { ComputeCapability($0.computeCapability) }.min())
    }

    /// Whether a job of `competition` fits here; the reason when it does not.
    public func refusal(for competition: CompetitionManifest) -> String? {
        if let gpus = competition.gpus, gpus > self.gpus { return "needs \(gpus) GPU(s), this node has \(self.gpus)" }
        if let wanted = competition.minComputeCapability.flatMap(ComputeCapability.init), computeCapability.map({ $0 < wanted }) ?? true {
            return "needs GPUs of compute capability \(wanted) or higher, this node's are \(computeCapability.map(String.init(describing:)) ?? "none")"
        }
        if let memory = competition.limits?.memory, memory > memoryBytes { return "needs \(memory) bytes of memory, this node has \(memoryBytes)" }
        for (key, value) in competition.nodeLabels ?? [:] where labels[key] != value {
            return "needs the node label \(key)=\(value)"
        }
        return nil
    }

    /// Total memory from /proc/meminfo (0 if unreadable).
    public static func physicalMemory() -> UInt64 {
        guard let text = try? String(contentsOfFile: "/proc/meminfo", encoding: .utf8),
            let line = text.split(separator: "\n").first(where: { $0.hasPrefix("MemTotal:") }),
            let kilobytes = line.split(separator: " ").dropFirst().first.flatMap({ UInt64($0) })
        else { return 0 }
        return kilobytes * 1024
    }
}
