import ArgumentParser
import Foundation
import Logging
import ProctorClient
import ProctorGPU
import ProctorSandbox
import ProctorWorker
import ServiceLifecycle

/// `proctor worker` (and the slim `proctor-worker`): a node agent. Pulls jobs
/// from the service over HTTP(S), runs them in the sandbox, reports back; no
/// inbound port, no SSH, no shared filesystem, no database driver. SIGTERM
/// drains: no new jobs, the running ones finish.
public struct WorkerCommand: AsyncParsableCommand {
    public static let configuration = CommandConfiguration(commandName: "worker", abstract: "Run jobs from a Proctor server on this node.")

    public init() {}

    @Option(help: "The service's URL (default: $PROCTOR_SERVER).") var server: String?
    @Option(help: "A worker token; its user name is this node's name (default: $PROCTOR_TOKEN).") var token: String?
    @Option(help: "Jobs run at once.") var slots = 1
    @Option(help: "Directory with this node's copy of the competitions.") var competitions = "./examples/competitions"
    @Option(help: "Directory for job files on this node.") var workDir = "./worker-data"
    @Option(help: "First sandbox slot (uids and cgroups) this worker uses.") var firstSlot = 100
    @Option(help: "Seconds between lease renewals.") var heartbeat = 10.0
    @Option(name: .customLong("label"), help: "KEY=VALUE describing this node (repeatable).") var labels: [String] = []
    @Option(help: "NVML library (default: the driver's libnvidia-ml.so.1, if any).") var nvml = NVML.defaultPath
    @OptionGroup var environmentOptions: EnvironmentOptions
    @OptionGroup var slurmOptions: SlurmOptions
    @Flag(help: "Without root: the rootless sandbox, with weaker guarantees (see README); with --slurm, on the compute nodes too.")
    var rootless = false

    public func run() async throws {
        let environment = ProcessInfo.processInfo.environment
        guard let url = server ?? environment["PROCTOR_SERVER"], let token = token ?? environment["PROCTOR_TOKEN"] else {
            throw ValidationError("give --server and --token (or PROCTOR_SERVER and PROCTOR_TOKEN)")
        }
        var parsedLabels: [String: String] = [:]
        for label in labels {
            let parts = label.split(separator: "=", maxSplits: 1).map(String.init)
            guard parts.count == 2 else { throw ValidationError("--label takes KEY=VALUE, not '\(label)'") }
            parsedLabels[parts[0]] = parts[1]
        }
        let environments = try environmentOptions.settings(wheelhouse: environmentOptions.wheelhouse, cache: environmentOptions.environmentCache)
        let logger = Logger(label: "proctor.worker")
        let slurm = try slurmOptions.settings(rootless: rootless)
        // Through Slurm, the job files live in the spool on the cluster's shared file system.
        let workDir = absolutePath(slurm == nil ? self.workDir : slurmOptions.spool ?? "")
        try FileManager.default.createDirectory(atPath: workDir, withIntermediateDirectories: true)
        let catalog = CompetitionCatalog(root: absolutePath(competitions), hashCache: workDir + "/competition-hashes.json")
        for competition in catalog.all where !competition.isEnabled {
            logger.error("competition disabled on this node", metadata: ["dir": "\(competition.directory)", "why": "\(competition.disabledReason ?? "")"])
        }
        let fixedLabels = parsedLabels
        let gpus: GPUAllocator?, capacity: NodeCapacity, labels: @Sendable () async -> [String: String], slots: Int
        if slurm != nil {
            // The cluster's nodes, not this one: what Slurm says of the partition.
            let partition = SlurmPartition(partition: slurmOptions.partition, logger: logger)
            gpus = nil
            capacity = try await partition.capacity(labels: parsedLabels)
            labels = { fixedLabels.merging(await partition.labels()) { _, slurm in slurm } }
            slots = slurmOptions.maxJobs
        } else {
            gpus = try NVML(path: nvml).map { try GPUAllocator(nvml: $0) }
            capacity = await NodeCapacity.of(gpus, labels: parsedLabels)
            // The service sees this node's GPUs among its labels (health, use, memory, temperature, as of each request).
            labels = { fixedLabels.merging(await gpus?.labels() ?? ["gpus": "0"]) { _, gpu in gpu } }
            slots = self.slots
        }
        let broker = HTTPBroker(client: ProctorClient(server: url, token: token), slots: slots, labels: labels)
        let worker = Worker(
            broker: broker, catalog: catalog, sandbox: try Sandbox(configuration: .init(rootless: rootless)),
            configuration: WorkerConfiguration(id: "remote", slots: slots, dataDirectory: workDir, heartbeat: heartbeat, firstSlot: firstSlot,
                                               keepsJobFiles: false, environments: environments),
            capacity: capacity, gpus: gpus, slurm: slurm,
            logger: logger)
        for competition in catalog.all where competition.isEnabled {
            if let why = capacity.refusal(for: competition.manifest) {
                logger.notice("not taking jobs of \(competition.id) here", metadata: ["why": "\(why)"])
            }
        }
        logger.info("worker started", metadata: ["server": "\(url)", "slots": "\(slots)", "competitions": "\(catalog.enabledIDs.sorted())",
                                                 "slurm": "\(slurm == nil ? "no" : slurmOptions.partition ?? "default partition")"])
        let group = ServiceGroup(configuration: .init(
            services: [.init(service: worker), .init(service: CatalogReloader(catalog: catalog, logger: logger))],
            gracefulShutdownSignals: [.sigterm, .sigint], logger: logger))
        try await group.run()
    }
}

/// `path` made absolute against the current directory, `.` and `..` resolved.
public func absolutePath(_ path: String) -> String {
    URL(fileURLWithPath: path).standardizedFileURL.path
}
