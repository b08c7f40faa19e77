import ProctorWire

/// What a Slurm job's step needs to run one Proctor job on its compute node:
/// written by the worker as `job.json` in the job's spool directory, read by
/// `proctor-worker slurm-step`. Paths are on the cluster's shared file system.
struct SlurmStepTicket: Codable, Sendable {
    /// The job as the service leased it.
    var job: WorkerJob
    /// The competition's directory (its version is checked again there).
    var competitionDirectory: String
    /// Where the competitions' environments are built (the spool's `environments/`).
    var environments: String
    /// The worker's record of the data files' checksums, read (never written) by the step.
    var hashCache: String

    /// The file in a job's spool directory.
    static let fileName = "job.json"
    /// The step's report, a ``WorkerReport``, written whole (renamed into place).
    static let reportName = "report.json"

    enum CodingKeys: String, CodingKey {
        case job, environments
        case competitionDirectory = "competition_directory", hashCache = "hash_cache"
    }
}
