import Foundation
import Logging
import ProctorCore
import ProctorGPU
import ProctorSandbox
import ProctorWire
import UnixSignals

/// The compute-node side of a Slurm job (`proctor-worker slurm-step`): runs
/// the Proctor job its ticket names, both stages in this node's sandbox with
/// the GPUs Slurm gave the job, exactly as a local worker would, and leaves
/// the outcome as `report.json` beside the ticket. The worker that submitted
/// the job reads it; the step itself never talks to the service.
public struct SlurmStep: Sendable {
    /// The job's spool directory (`<spool>/jobs/<job id>`).
    public var jobDirectory: String
    /// Sandbox slots this node's steps share: each step takes the first free one.
    public var slots: Range<Int>
    /// The NVML library for the GPUs Slurm gave the job.
    public var nvmlPath: String
    /// Whether the sandbox runs rootless (this node gives the job no root).
    public var rootless: Bool
    /// Where the step says what it did (Slurm keeps it in the job's `slurm.log`).
    public var logger: Logger

    /// A step for the job whose spool directory is `jobDirectory`.
    public init(jobDirectory: String, slots: Range<Int>, nvmlPath: String = NVML.defaultPath, rootless: Bool = false, logger: Logger) {
        self.rootless = rootless
        self.jobDirectory = jobDirectory
        self.slots = slots
        self.nvmlPath = nvmlPath
        self.logger = logger
    }

    /// Runs the job and writes its report; throws only when not even a report can be written.
    /// SIGTERM (Slurm ending the job: a cancel, its time limit, its node taken
    /// down, a preemption) stops the sandbox at once and writes no report:
    /// Slurm's own state then says why, and the worker maps that.
    public func run() async throws {
        let update = await withTaskGroup(of: JobUpdate?.self) { group in
            group.addTask { await self.execute() }
            group.addTask {
                for await _ in await UnixSignalsSequence(trapping: .sigterm, .sigint) { return nil }
                return nil
            }
            let first = await group.next() ?? nil
            group.cancelAll()
            return first
        }
        guard let update else {
            logger.notice("stopped by Slurm before the job ended; no report")
            throw CancellationError()
        }
        let report = try JSONEncoder().encode(WorkerReport(update))
        try report.write(to: URL(fileURLWithPath: jobDirectory + "/" + SlurmStepTicket.reportName), options: Data.WritingOptions.atomic)
        logger.info("step finished", metadata: ["state": "\(update.state.rawValue)", "reason": "\(update.reason)"])
    }

    private func execute() async -> JobUpdate {
        let fail = { (message: String) in SlurmJobState.infrastructure(message) }
        let ticketPath = jobDirectory + "/" + SlurmStepTicket.fileName
        guard let data = FileManager.default.contents(atPath: ticketPath),
            let ticket = try? JSONDecoder().decode(SlurmStepTicket.self, from: data)
        else { return fail("the step could not read \(ticketPath)") }
        let job = ticket.job.job
        let suffix = "/jobs/" + job.id
        guard Identifier.isJobID(job.id), jobDirectory.hasSuffix(suffix) else {
            return fail("the step's directory \(jobDirectory) is not the spool directory of job \(job.id)")
        }
        let spool = String(jobDirectory.dropLast(suffix.count))
        let competition = CompetitionCatalog.load(directory: ticket.competitionDirectory, manifestPath: ticket.competitionDirectory + "/competition.json",
                                                  fallbackID: job.competitionID, hashes: HashCache(file: ticket.hashCache))
        guard competition.isEnabled, competition.id == job.competitionID, competition.version == job.competitionVersion else {
            return fail("this node sees competition \(job.competitionID) as version \(competition.version)"
                        + (competition.disabledReason.map { " (\($0))" } ?? "") + ", not \(job.competitionVersion): is the shared file system in step?")
        }
        let sandbox: Sandbox
        do { sandbox = try Sandbox(configuration: .init(rootless: rootless)) } catch { return fail("the sandbox cannot run on this node: \(error)") }
        // The slot is this step's for its whole run: both stages, and no other step of this node.
        guard let (slot, slotLock) = Self.claimSlot(in: slots, directory: sandbox.configuration.stateDirectory) else {
            return fail("every sandbox slot of this node (\(slots)) is taken by other steps")
        }
        defer { withExtendedLifetime(slotLock) {} }
        var gpus: GPUAllocator?
        if let needed = competition.manifest.gpus, needed > 0 {
            let given = Self.slurmGPUs(ProcessInfo.processInfo.environment)
            do {
                gpus = try NVML(path: nvmlPath).map { try GPUAllocator(nvml: $0, only: given) }
            } catch {
                return fail("NVML failed on this node: \(error)")
            }
        }
        let environments = EnvironmentCache(root: ticket.environments, sandbox: sandbox, settings: EnvironmentSettings(), logger: logger)
        let launcher = LocalLauncher(runner: JobRunner(sandbox: sandbox, dataDirectory: spool, logger: logger), environments: environments,
                                     gpus: gpus, node: ProcessInfo.processInfo.hostName, logger: logger)
        let paths = JobPaths(dataDirectory: spool, jobID: job.id)
        return await launcher.launch(job, competition: competition, slot: slot, paths: paths) { _ in true }
            ?? fail("the step stopped before the job started")
    }

    /// The first slot of `range` no other step of this node holds, locked until the lock is released.
    static func claimSlot(in range: Range<Int>, directory: String) -> (Int, FileLock)? {
        for slot in range {
            let lock = FileLock(path: "\(directory)/slurm-step-\(slot).lock")
            if lock.tryLock(.exclusive) { return (slot, lock) }
        }
        return nil
    }

    /// The GPU indices Slurm gave the job (`SLURM_JOB_GPUS`, else
    /// `CUDA_VISIBLE_DEVICES`); none when it names none: the others are other jobs'.
    static func slurmGPUs(_ environment: [String: String]) -> Set<Int> {
        guard let list = environment["SLURM_JOB_GPUS"] ?? environment["CUDA_VISIBLE_DEVICES"] else { return [] }
        return Set(list.split(separator: ",").compactMap { Int($0.trimmingCharacters(in: .whitespaces)) })
    }
}
