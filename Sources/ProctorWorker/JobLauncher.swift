import ProctorCore

/// How a node runs a job it holds, once the worker has claimed it and fetched
/// its submission: here, in the node's own sandbox (``LocalLauncher``), or as
/// a job of a Slurm cluster (``SlurmLauncher``). Leases, cancellation and
/// reporting stay the worker's, so both behave the same to the service.
protocol JobLauncher: Sendable {
    /// Runs `job` to its end and returns the update to report. Calls `started`
    /// with a reason once the job runs; when that answers false (the lease is
    /// gone) it stops and returns `nil`: there is nothing to report.
    /// Cancelling the task stops the job at once.
    func launch(_ job: Job, competition: Competition, slot: Int, paths: JobPaths,
                started: @escaping @Sendable (String) async -> Bool) async -> JobUpdate?

}
