import Foundation
import Logging
import ProctorCore
import ProctorWire

/// Runs each job as one Slurm batch job, whose step runs both stages in the
/// same sandbox on a compute node (`proctor-worker slurm-step`). The job's
/// files travel through the spool directory on the cluster's shared file
/// system (one directory per job, closed to every other user).
///
/// Slurm jobs are named `proctor-<job id>`: a worker restarted after a crash,
/// given the job again once its lease lapsed, finds the Slurm job still
/// waiting, running or just finished and follows it instead of running it twice.
struct SlurmLauncher: JobLauncher {
    let settings: SlurmSettings
    let spool: String
    let logger: Logger
    let commands: SlurmCommands
    let queue: SlurmQueue

    init(settings: SlurmSettings, spool: String, logger: Logger) {
        self.settings = settings
        self.spool = spool
        self.logger = logger
        commands = SlurmCommands()
        queue = SlurmQueue(commands: commands, interval: settings.pollInterval)
    }

    static func name(of job: Job) -> String { "proctor-" + job.id }

    func launch(_ job: Job, competition: Competition, slot: Int, paths: JobPaths,
                started: @escaping @Sendable (String) async -> Bool) async -> JobUpdate? {
        var logger = self.logger
        logger[metadataKey: "job"] = "\(job.id)"
        let slurmID: Int
        // A step that finished while no worker watched (this one was down longer
        // than Slurm remembers finished jobs) left its report: that is the outcome.
        if let report = stepReport(paths) {
            logger.notice("found the report of the job's earlier Slurm job")
            return await started("ran as an earlier Slurm job") ? report : nil
        }
        do {
            // The newest Slurm job of this job, if it is still on its way: one that
            // ended without a report (its node died) is over, and the job is run again.
            let newest = try await queue.jobs(named: Self.name(of: job), maxAge: 0).first
            if let found = newest, !found.state.isTerminal {
                slurmID = found.id
                logger.notice("following the job's Slurm job again", metadata: ["slurm_job": "\(found.id)"])
            } else {
                slurmID = try await submit(job, competition: competition, paths: paths)
                logger.info("submitted to Slurm", metadata: ["slurm_job": "\(slurmID)"])
            }
        } catch {
            // Slurm refused or did not answer: this worker's configuration or its cluster.
            let message = "Slurm did not take the job: \(error)"
            logger.error("submitting to Slurm failed", metadata: ["error": "\(error)"])
            return JobUpdate(state: .errored, reason: message, error: JobError(.infrastructure, message), nodeFault: true)
        }
        return await follow(slurmID, job: job, paths: paths, started: started, logger: logger)
    }

    /// Watches the Slurm job until it ends, keeping the lease (the worker's
    /// heartbeat) while it waits; cancelled, it cancels the Slurm job. It looks
    /// soon after submitting (a short job ends within a second) and then less
    /// often, up to the poll interval: a long job costs slurmctld little.
    private func follow(_ slurmID: Int, job: Job, paths: JobPaths, started: @escaping @Sendable (String) async -> Bool,
                        logger: Logger) async -> JobUpdate? {
        var reportedStart = false
        var wait = min(0.1, settings.pollInterval)
        while true {
            do {
                try await Task.sleep(for: .seconds(wait))
            } catch {
                await cancel(slurmID, logger: logger)
                return JobUpdate(state: .cancelled, reason: "cancelled; Slurm job \(slurmID) cancelled",
                                 error: JobError(.cancelled, "the job was cancelled"))
            }
            let seen: SlurmJob?
            do {
                seen = try await queue.jobs(named: Self.name(of: job), maxAge: wait).first { $0.id == slurmID }
                wait = min(wait * 2, settings.pollInterval)
            } catch {
                // slurmctld may be restarting: the Slurm job goes on; keep the lease and look again.
                logger.warning("asking Slurm about the job failed", metadata: ["slurm_job": "\(slurmID)", "error": "\(error)"])
                continue
            }
            guard let seen else {
                // Finished longer ago than Slurm remembers (MinJobAge), or slurmctld lost its state.
                return stepReport(paths) ?? SlurmJobState.infrastructure("Slurm no longer knows job \(slurmID) and its step left no report")
            }
            if seen.state == .waiting { continue }
            // Running now, or already over (a short job can start and end between two looks):
            // the service hears it started before it hears how it ended.
            if !reportedStart {
                reportedStart = true
                guard await started("running as Slurm job \(slurmID) on \(seen.node)") else {
                    if !seen.state.isTerminal { await cancel(slurmID, logger: logger) }
                    return nil
                }
            }
            switch seen.state {
            case .waiting, .running:
                continue
            default:
                if let report = stepReport(paths) { return report }
                logger.warning("Slurm job ended without a report", metadata: ["slurm_job": "\(slurmID)", "state": "\(seen.state)"])
                return seen.state.update(slurmJob: slurmID, log: ChildProcess.tail(of: paths.root + "/slurm.log"))
            }
        }
    }

    private func cancel(_ slurmID: Int, logger: Logger) async {
        do {
            try await commands.cancel(slurmID)
        } catch {
            logger.error("scancel failed", metadata: ["slurm_job": "\(slurmID)", "error": "\(error)"])
        }
    }

    /// The update the step wrote, if it finished writing one.
    private func stepReport(_ paths: JobPaths) -> JobUpdate? {
        guard let data = FileManager.default.contents(atPath: paths.root + "/" + SlurmStepTicket.reportName) else { return nil }
        return (try? JSONDecoder().decode(WorkerReport.self, from: data))?.update
    }

    /// Writes the ticket and submits the Slurm job, sized from the competition's limits.
    private func submit(_ job: Job, competition: Competition, paths: JobPaths) async throws -> Int {
        let fm = FileManager.default
        try fm.createDirectory(atPath: paths.root, withIntermediateDirectories: true)
        guard chmod(paths.root, 0o700) == 0 else { throw SlurmCommands.Failure(description: "cannot close \(paths.root) to others") }
        for stale in [SlurmStepTicket.reportName, "slurm.log"] { try? fm.removeItem(atPath: paths.root + "/" + stale) }
        let ticket = SlurmStepTicket(job: WorkerJob(job), competitionDirectory: competition.directory, environments: spool + "/environments",
                                     hashCache: spool + "/competition-hashes.json")
        try JSONEncoder().encode(ticket).write(to: URL(fileURLWithPath: paths.root + "/" + SlurmStepTicket.fileName), options: .atomic)
        let script = try stepScript()
        let request = SlurmRequest(job: job, competition: competition, paths: paths, settings: settings)
        return try await commands.submit(request.options, script: script, arguments: settings.stepCommand + ["--job-dir", paths.root] + (settings.rootless ? ["--rootless"] : []))
    }

    /// A two-line batch script that runs its arguments: the step's command
    /// travels as arguments, never through a shell's parsing.
    private func stepScript() throws -> String {
        let path = spool + "/slurm-step.sh"
        let text = "#!/bin/sh\n# Written by proctor worker --slurm: runs the job's step, given as arguments.\nexec \"$@\"\n"
        if FileManager.default.contents(atPath: path) != Data(text.utf8) {
            try Data(text.utf8).write(to: URL(fileURLWithPath: path), options: .atomic)
        }
        chmod(path, 0o755)
        return path
    }
}
