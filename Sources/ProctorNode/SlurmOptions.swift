import ArgumentParser
import ProctorWorker

/// `proctor worker --slurm …`: the options of a worker that runs its jobs
/// through a Slurm cluster from a submit node.
struct SlurmOptions: ParsableArguments {
    @Flag(help: "Run each job as a Slurm job (from a submit node) instead of on this node.") var slurm = false
    @Option(help: "With --slurm: a directory on the cluster's shared file system for the jobs' files.") var spool: String?
    @Option(help: "With --slurm: the Slurm partition (default: the cluster's default).") var partition: String?
    @Option(help: "With --slurm: the Slurm account to charge.") var account: String?
    @Option(help: "With --slurm: the Slurm QOS.") var qos: String?
    @Option(help: "With --slurm: Proctor jobs in Slurm at once (waiting or running).") var maxJobs = 8
    @Option(help: "With --slurm: seconds between looks at the Slurm queue.") var slurmPoll = 5.0
    @Option(help: "With --slurm: the step's program on the compute nodes (default: proctor-worker beside this one, at the same path there).")
    var stepProgram: String?

    /// The Slurm settings, or `nil` without `--slurm`; checks the options belong together.
    /// `rootless`: the steps run the rootless sandbox too.
    func settings(rootless: Bool) throws -> SlurmSettings? {
        guard slurm else {
            if spool != nil || partition != nil || account != nil || qos != nil || stepProgram != nil {
                throw ValidationError("--spool, --partition, --account, --qos and --step-program go with --slurm")
            }
            return nil
        }
        guard let spool, spool.hasPrefix("/") else {
            throw ValidationError("--slurm needs --spool DIR: an absolute path on the file system the compute nodes share")
        }
        guard (1...10_000).contains(maxJobs) else { throw ValidationError("--max-jobs takes 1 to 10000, not \(maxJobs)") }
        guard slurmPoll >= 0.1 else { throw ValidationError("--slurm-poll takes at least 0.1 seconds") }
        return SlurmSettings(partition: partition, account: account, qos: qos, pollInterval: slurmPoll,
                             stepCommand: stepProgram.map { [$0, "slurm-step"] }, rootless: rootless)
    }
}
