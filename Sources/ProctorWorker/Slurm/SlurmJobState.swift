import ProctorCore

/// A Slurm job's state as `squeue` names it, and what it means for the
/// Proctor job it runs.
enum SlurmJobState: Equatable, Sendable {
    /// Waiting for resources (PENDING, CONFIGURING, REQUEUED, SUSPENDED…): the lease is kept alive.
    case waiting
    /// RUNNING or COMPLETING.
    case running
    case completed
    /// The batch step exited non-zero (the step could not even write its report).
    case failed
    case timedOut
    case outOfMemory
    case cancelled
    /// The cluster lost it: NODE_FAIL, PREEMPTED, BOOT_FAIL, DEADLINE…
    case lost(String)

    init(_ name: String) {
        switch name {
        case "PENDING", "CONFIGURING", "REQUEUED", "REQUEUE_HOLD", "REQUEUE_FED", "RESIZING", "SUSPENDED", "STOPPED", "SIGNALING", "RESV_DEL_HOLD":
            self = .waiting
        case "RUNNING", "COMPLETING", "STAGE_OUT": self = .running
        case "COMPLETED": self = .completed
        case "FAILED": self = .failed
        case "TIMEOUT": self = .timedOut
        case "OUT_OF_MEMORY": self = .outOfMemory
        case "CANCELLED": self = .cancelled
        default: self = .lost(name)
        }
    }

    var isTerminal: Bool { self != .waiting && self != .running }

    /// The update for a Slurm job that ended without the step's own report
    /// (which, when there is one, says everything better).
    func update(slurmJob: Int, log: String) -> JobUpdate {
        let tail = log.isEmpty ? "" : "; its log ends: \(log)"
        switch self {
        case .timedOut:
            return JobUpdate(state: .timedOut, reason: "Slurm job \(slurmJob) reached its time limit",
                             error: JobError(.solutionTimedOut, "your job ran past the time Slurm gave it (its stages' wall-clock limits together)"))
        case .outOfMemory:
            return JobUpdate(state: .failed, reason: "Slurm job \(slurmJob) ran out of memory",
                             error: JobError(.solutionLimitExceeded, "your job used more memory than its Slurm allocation"))
        case .lost(let state):
            return Self.infrastructure("Slurm job \(slurmJob) ended \(state): the cluster lost it (a node failure or preemption); it will be tried again")
        case .cancelled:
            return Self.infrastructure("Slurm job \(slurmJob) was cancelled in Slurm, not through Proctor (an administrator's scancel?)")
        case .completed, .failed:
            return Self.infrastructure("Slurm job \(slurmJob) ended without a report from its step\(tail)")
        case .waiting, .running:
            return Self.infrastructure("Slurm job \(slurmJob) has not ended")
        }
    }

    /// A failure of the cluster, not the user's and not the worker's own: the
    /// service tries the job again, without holding it against this worker.
    static func infrastructure(_ message: String) -> JobUpdate {
        JobUpdate(state: .errored, reason: message, error: JobError(.infrastructure, message), nodeFault: false)
    }
}
