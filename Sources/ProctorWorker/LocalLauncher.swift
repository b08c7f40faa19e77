import Logging
import ProctorCore
import ProctorGPU
import ProctorSandbox

/// Runs jobs on this node: its environment held, its GPUs taken and watched,
/// both stages in the node's own sandbox.
struct LocalLauncher: JobLauncher {
    let runner: JobRunner
    let environments: EnvironmentCache
    let gpus: GPUAllocator?
    /// The node's name, for the reason its jobs start with.
    let node: String
    let logger: Logger

    func launch(_ job: Job, competition: Competition, slot: Int, paths: JobPaths,
                started: @escaping @Sendable (String) async -> Bool) async -> JobUpdate? {
        var logger = self.logger
        logger[metadataKey: "job"] = "\(job.id)"
        logger[metadataKey: "request"] = "\(job.requestID)"
        var environment: EnvironmentLease?
        if let recipe = competition.recipe {
            // Evicted or not built since the lease was asked for: the job goes back to the queue.
            guard let held = environments.acquire(recipe) else {
                let problem = "the environment of \(competition.id) version \(competition.version) is not ready on this node"
                return JobUpdate(state: .errored, reason: problem, error: JobError(.infrastructure, problem), nodeFault: true)
            }
            environment = held
        }
        var assigned: [GPU] = []
        if let needed = competition.manifest.gpus, needed > 0 {
            guard let taken = await gpus?.take(needed) else {
                return JobUpdate(state: .errored, reason: "no healthy GPU free",
                                 error: JobError(.infrastructure, "this node had no \(needed) healthy, idle GPU(s) for the job"), nodeFault: true)
            }
            assigned = taken
        }
        guard await started("started on \(node) slot \(slot)") else {
            if let gpus, !assigned.isEmpty { _ = await gpus.release(assigned) }
            logger.warning("lost the job before starting it")
            return nil
        }
        let warden: (any ResourceMonitor)? = assigned.isEmpty ? nil : gpus.map { VRAMWarden(nvml: $0.nvml, gpus: assigned.map(\.index)) }
        logger.info("running job", metadata: ["slot": "\(slot)", "competition": "\(competition.id)@\(competition.version)",
                                              "gpus": "\(assigned.map(\.uuid))"])
        var update = await runner.run(job, competition: competition, slot: slot, gpus: assigned, warden: warden, environment: environment?.path)
        withExtendedLifetime(environment) {}  // held until both stages ended
        if let gpus, !assigned.isEmpty {
            let (failed, killed) = await gpus.release(assigned)
            if !killed.isEmpty { logger.warning("killed processes left on the job's GPUs", metadata: ["pids": "\(killed)"]) }
            if !failed.isEmpty {
                // A GPU that went bad during the job makes its failure ours, not the user's.
                logger.error("GPU failed during a job", metadata: ["problems": "\(failed)"])
                update = JobUpdate(state: .errored, reason: "GPU failure: " + failed.joined(separator: "; "),
                                   error: JobError(.infrastructure, "a GPU failed while the job ran: " + failed.joined(separator: "; ")),
                                   nodeFault: true)
            }
        }
        return update
    }
}
