import Logging

/// The partition's nodes as Slurm sees them, for the service's node list
/// (`proctor admin nodes`) and this worker's capacity; `sinfo` is asked at
/// most once per `interval`, however often the labels are read.
public actor SlurmPartition {
    let commands = SlurmCommands()
    let partition: String?
    let interval: Double
    let logger: Logger
    private var nodes: [SlurmNode] = []
    private var takenAt: ContinuousClock.Instant?

    /// The partition (`nil`: the cluster's default), `sinfo` asked at most every `interval` seconds.
    public init(partition: String?, interval: Double = 30, logger: Logger) {
        self.partition = partition
        self.interval = interval
        self.logger = logger
    }

    private func current() async -> [SlurmNode] {
        if let takenAt, ContinuousClock.now - takenAt < .seconds(interval) { return nodes }
        do {
            nodes = try await commands.nodes(partition: partition)
        } catch {
            logger.warning("sinfo failed", metadata: ["error": "\(error)"])
        }
        takenAt = .now
        return nodes
    }

    /// One label per node (`slurm.node.NAME`: its state, CPUs allocated/idle/other/total,
    /// memory and GPUs) and the partition's name.
    public func labels() async -> [String: String] {
        var labels = ["slurm.partition": partition ?? "(default)"]
        for node in await current() {
            labels["slurm.node.\(node.name)"] = "\(node.state) cpus=\(node.cpus) memory=\(node.memoryMegabytes)M gpus=\(node.gpus)"
        }
        return labels
    }

    /// What one job may ask of this partition: the most GPUs and memory any one node has.
    public func capacity(labels: [String: String]) async throws -> NodeCapacity {
        let nodes = try await commands.nodes(partition: partition)
        guard !nodes.isEmpty else { throw SlurmCommands.Failure(description: "Slurm lists no node in partition \(partition ?? "(default)")") }
        self.nodes = nodes
        takenAt = .now
        return NodeCapacity(labels: labels, gpus: nodes.map(\.gpus).max() ?? 0,
                            memoryBytes: (nodes.map(\.memoryMegabytes).max() ?? 0) << 20)
    }
}
