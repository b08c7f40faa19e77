import ProctorSandbox

/// How a worker hands its jobs to a Slurm cluster (`proctor worker --slurm`).
public struct SlurmSettings: Sendable {
    /// `--partition`, `--account`, `--qos` of every job; Slurm's defaults where `nil`.
    public var partition: String?
    public var account: String?
    public var qos: String?
    /// Seconds between two looks at the queue (one `squeue` for all of this
    /// worker's jobs, however many: slurmctld is shared by everyone).
    public var pollInterval: Double
    /// The program each Slurm job runs on its compute node, with its leading
    /// arguments: `proctor-worker slurm-step`, installed at the same path there.
    public var stepCommand: [String]
    /// Memory asked of Slurm beyond the job's own limit, for the sandbox and the grader's copy.
    public var memoryMargin: UInt64
    /// Seconds of Slurm time limit beyond the two stages' wall times (start, copy, an environment's first use).
    public var timeMargin: Double
    /// Whether the steps run the rootless sandbox (compute nodes that give no root; see README).
    public var rootless: Bool

    /// The settings; `stepCommand` defaults to `proctor-worker slurm-step` beside the running executable.
    public init(partition: String? = nil, account: String? = nil, qos: String? = nil, pollInterval: Double = 5,
                stepCommand: [String]? = nil, memoryMargin: UInt64 = 256 << 20, timeMargin: Double = 120, rootless: Bool = false) {
        self.partition = partition
        self.account = account
        self.qos = qos
        self.pollInterval = pollInterval
        self.stepCommand = stepCommand ?? [Sandbox.Configuration.besideExecutable("proctor-worker"), "slurm-step"]
        self.memoryMargin = memoryMargin
        self.timeMargin = timeMargin
        self.rootless = rootless
    }
}
