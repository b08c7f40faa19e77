import Foundation
import Logging
import ProctorCore
import ProctorGPU
import ProctorSandbox
import ServiceLifecycle

/// How a worker runs: its name, how many jobs at once, and its lease timing.
public struct WorkerConfiguration: Sendable {
    public var id: String
    public var slots: Int
    /// A job's lease lasts this long and is renewed every `heartbeat`.
    public var leaseSeconds: Double
    public var heartbeat: Double
    public var dataDirectory: String
    /// Sandbox slots used are `firstSlot ..< firstSlot + slots`.
    public var firstSlot: Int
    /// With two slots or more, the first takes only jobs expected to finish
    /// within this many seconds, so short jobs never queue behind long ones.
    public var shortLaneSeconds: Double?
    /// Whether a job's files stay on this node after it is reported: yes for
    /// the worker inside `proctor serve` (they are the service's), no for a
    /// remote node (the service has the logs and results).
    public var keepsJobFiles: Bool
    /// How competitions' environments are built and cached (in `dataDirectory/environments`).
    public var environments: EnvironmentSettings

    public init(id: String, slots: Int, dataDirectory: String, leaseSeconds: Double = 30, heartbeat: Double = 5,
                firstSlot: Int = 0, shortLaneSeconds: Double? = 60, keepsJobFiles: Bool = true,
                environments: EnvironmentSettings = EnvironmentSettings()) {
        self.environments = environments
        self.shortLaneSeconds = shortLaneSeconds
        self.keepsJobFiles = keepsJobFiles
        self.id = id
        self.slots = slots
        self.dataDirectory = dataDirectory
        self.leaseSeconds = leaseSeconds
        self.heartbeat = heartbeat
        self.firstSlot = firstSlot
    }
}

/// The job pipeline of one node, the same inside `proctor serve` and in
/// `proctor worker`: claims jobs through its broker in fair order, runs them in
/// the sandbox (or, with `slurm`, as Slurm jobs), keeps their leases alive,
/// reports the outcome, and cleans its slot before the next job. On graceful
/// shutdown it stops claiming and finishes what it runs.
public final class Worker: Service, Sendable {
    let broker: any JobBroker
    let catalog: CompetitionCatalog
    let launcher: any JobLauncher
    let configuration: WorkerConfiguration
    let capacity: NodeCapacity
    let logger: Logger
    /// The competitions' environments built on this node.
    public let environments: EnvironmentCache
    private let doorbell = Doorbell()
    private let running = RunningJobs()

    public init(broker: any JobBroker, catalog: CompetitionCatalog, sandbox: Sandbox, configuration: WorkerConfiguration,
                capacity: NodeCapacity = NodeCapacity(), gpus: GPUAllocator? = nil, slurm: SlurmSettings? = nil, logger: Logger) {
        self.broker = broker
        self.capacity = capacity
        self.catalog = catalog
        self.configuration = configuration
        self.logger = logger
        let environments = EnvironmentCache(root: configuration.dataDirectory + "/environments", sandbox: sandbox,
                                            settings: configuration.environments, logger: logger)
        self.environments = environments
        if let slurm {
            launcher = SlurmLauncher(settings: slurm, spool: configuration.dataDirectory, logger: logger)
        } else {
            launcher = LocalLauncher(runner: JobRunner(sandbox: sandbox, dataDirectory: configuration.dataDirectory, logger: logger),
                                     environments: environments, gpus: gpus, node: configuration.id, logger: logger)
        }
    }

    /// Tells idle slots there may be new work.
    public func notify() async { await doorbell.ring() }

    /// Stops a job this worker runs, within milliseconds; false if it is not here.
    public func cancel(jobID: String) async -> Bool { await running.cancel(jobID) }

    /// Jobs running on this worker now.
    public var busySlots: Int { get async { await running.count } }

    public func run() async throws {
        await withGracefulShutdownHandler {
            await withDiscardingTaskGroup { group in
                for slot in 0..<configuration.slots {
                    let lane = slot == 0 && configuration.slots > 1 ? configuration.shortLaneSeconds : nil
                group.addTask { await self.slotLoop(slot: self.configuration.firstSlot + slot, shortLane: lane) }
                }
                group.addTask { await self.buildEnvironments() }
            }
        } onGracefulShutdown: {
            Task { await self.doorbell.ring() }
        }
    }

    private var shuttingDown: Bool { Task.isShuttingDownGracefully || Task.isCancelled }

    /// Competitions this node has (enabled, data verified at load) and can
    /// run now (labels, GPUs, its environment built).
    public var runnable: Set<String> {
        Set(catalog.enabledIDs.filter { id in
            catalog.current(id).map { capacity.refusal(for: $0.manifest) == nil && ($0.recipe.map(environments.isReady) ?? true) } ?? false
        })
    }

    /// Enabled competitions this node could run (labels, GPUs) that bring a
    /// Python environment: the ones it builds and reports on.
    private var competitionsWithEnvironments: [(competition: Competition, recipe: EnvironmentRecipe)] {
        catalog.all.compactMap { competition in
            guard competition.isEnabled, capacity.refusal(for: competition.manifest) == nil, let recipe = competition.recipe else { return nil }
            return (competition, recipe)
        }
    }

    /// The state of each current competition's environment here (competitions
    /// it could run that bring one); one not tried yet counts as building, as
    /// it soon will be.
    public func environmentStatuses() async -> [String: EnvironmentStatus] {
        var statuses: [String: EnvironmentStatus] = [:]
        for (competition, recipe) in competitionsWithEnvironments where catalog.current(competition.id)?.version == competition.version {
            statuses[competition.id] = await environments.status(of: recipe) ?? .building
        }
        return statuses
    }

    /// Builds, one at a time, the environment of every competition this node
    /// could run that lacks one here, and tells idle slots when one is ready. A build
    /// is never a job's: it counts against no job's limits.
    private func buildEnvironments() async {
        while !shuttingDown {
            for (_, recipe) in competitionsWithEnvironments where !shuttingDown {
                guard !environments.isReady(recipe) else { continue }
                let status = await cancelWhenGracefulShutdown { await self.environments.prepare(recipe) }
                if status.state == .ready { await doorbell.ring() }
            }
            try? await cancelWhenGracefulShutdown { try await Task.sleep(for: .seconds(1)) }
        }
    }

    private func slotLoop(slot: Int, shortLane: Double?) async {
        var failures = 0
        while !shuttingDown {
            do {
                let free = configuration.slots - (await running.count)
                if let job = try await broker.claim(competitions: runnable, environments: await environmentStatuses(),
                                                       freeSlots: max(free, 1), maxExpectedTime: shortLane) {
                    failures = 0
                    await execute(job, slot: slot)
                    continue
                }
            } catch {
                // The service may be down for a while: back off, keep trying.
                failures += 1
                logger.warning("asking for a job failed", metadata: ["error": "\(error)", "failures": "\(failures)"])
                let backoff = min(30, 0.5 * Double(1 << min(failures, 6)))
                try? await cancelWhenGracefulShutdown { try await Task.sleep(for: .seconds(backoff)) }
                continue
            }
            await doorbell.wait(timeout: .seconds(2))
        }
    }

    private func execute(_ job: Job, slot: Int) async {
        var logger = self.logger
        logger[metadataKey: "job"] = "\(job.id)"
        logger[metadataKey: "request"] = "\(job.requestID)"
        guard let competition = catalog.competition(job.competitionID, version: job.competitionVersion), competition.isEnabled else {
            await finish(job, JobUpdate(state: .errored, reason: "competition version unavailable",
                                        error: JobError(.infrastructure, "competition \(job.competitionID) version \(job.competitionVersion) is not available on this worker"), nodeFault: true), logger: logger)
            return
        }
        if let problem = catalog.verifyData(of: competition) {
            await finish(job, JobUpdate(state: .errored, reason: problem, error: JobError(.infrastructure, problem), nodeFault: true), logger: logger)
            return
        }
        do {
            try await broker.fetchSubmission(job, into: JobPaths(dataDirectory: configuration.dataDirectory, jobID: job.id))
        } catch {
            await finish(job, JobUpdate(state: .errored, reason: "fetching the submission failed",
                                        error: JobError(.infrastructure, "the worker could not fetch the submission: \(error)"), nodeFault: true), logger: logger)
            return
        }
        let paths = JobPaths(dataDirectory: configuration.dataDirectory, jobID: job.id)
        let broker = self.broker, launcher = self.launcher
        let started: @Sendable (String) async -> Bool = { reason in
            (try? await broker.report(job, JobUpdate(state: .running, reason: reason))) == true
        }
        // The run, its heartbeat and its stop request are child tasks of this
        // slot: whichever asks to stop cancels the run (the sandbox is killed
        // within milliseconds, a Slurm job cancelled), and cancelling the worker reaches them all.
        let (stopRequests, stop) = AsyncStream<Void>.makeStream()
        await running.add(job.id) { stop.finish() }
        let outcome = await withTaskGroup(of: JobUpdate??.self) { group -> JobUpdate?? in
            group.addTask { .some(await launcher.launch(job, competition: competition, slot: slot, paths: paths, started: started)) }
            group.addTask { await self.keepLease(job: job); return nil }
            group.addTask { for await _ in stopRequests {}; return nil }
            var result: JobUpdate??
            while let value = await group.next() {
                if let value { result = value }
                group.cancelAll()  // the job ended, or a helper asked it to stop
            }
            return result
        }
        stop.finish()
        await running.remove(job.id)
        guard case .some(let launched) = outcome else {
            await finish(job, JobUpdate(state: .cancelled, reason: "stopped", error: JobError(.cancelled, "the job was stopped")), logger: logger)
            return
        }
        // nil: the lease was lost before the job started; nothing to report.
        guard let update = launched else {
            discardFiles(of: job)
            return
        }
        await finish(job, update, logger: logger)
    }

    /// Renews the lease while the job runs; returns when a cancel flag or a
    /// lost lease means the job must stop (or when cancelled itself).
    private func keepLease(job: Job) async {
        while !Task.isCancelled {
            try? await Task.sleep(for: .seconds(configuration.heartbeat))
            if Task.isCancelled { return }
            do {
                let renewed = try await broker.renew(job)
                if renewed == nil || renewed?.cancelRequested == true {
                    logger.info(renewed == nil ? "lease lost; stopping the job" : "cancel requested; stopping the job", metadata: ["job": "\(job.id)"])
                    return
                }
                // The output so far, so that `proctor logs` shows progress while the job runs.
                try await broker.publishLogs(job, from: JobPaths(dataDirectory: configuration.dataDirectory, jobID: job.id))
            } catch {
                logger.warning("renewing the lease failed", metadata: ["job": "\(job.id)", "error": "\(error)"])
            }
        }
    }

    private func finish(_ job: Job, _ update: JobUpdate, logger: Logger) async {
        // Facts only: whether an infrastructure failure is retried is the
        // service's decision (its retry bound, applied by the store).
        do {
            try await broker.publishLogs(job, from: JobPaths(dataDirectory: configuration.dataDirectory, jobID: job.id))
        } catch {
            logger.warning("publishing the logs failed", metadata: ["error": "\(error)"])
        }
        // The files go before the report: once reported, the job may come back
        // to this very node (an infrastructure failure retried) and its new
        // attempt's files must not be removed under it.
        discardFiles(of: job)
        do {
            if try await broker.report(job, update) == false {
                logger.warning("the store refused the report: this worker no longer holds the job")
            } else {
                logger.info("job finished", metadata: ["state": "\(update.state.rawValue)"])
            }
        } catch {
            logger.error("reporting the job failed", metadata: ["error": "\(error)"])
        }
        if update.state == .errored && update.error?.type == .infrastructure { await doorbell.ring() }
    }

    /// Removes a job's files from this node, unless they are the service's own (``WorkerConfiguration/keepsJobFiles``).
    private func discardFiles(of job: Job) {
        guard !configuration.keepsJobFiles else { return }
        try? FileManager.default.removeItem(atPath: JobPaths(dataDirectory: configuration.dataDirectory, jobID: job.id).root)
    }
}
