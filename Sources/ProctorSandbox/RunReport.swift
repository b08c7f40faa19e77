/// What a run measured. Times are seconds, memory is the peak in bytes.
public struct Metrics: Codable, Sendable, Equatable {
    public var cpuTime: Double
    public var realTime: Double
    public var idlenessTime: Double
    public var memory: UInt64
    /// Peak VRAM of the run's processes, when a GPU warden watched it.
    public var vram: UInt64?

    public init(cpuTime: Double, realTime: Double, idlenessTime: Double, memory: UInt64, vram: UInt64? = nil) {
        self.cpuTime = cpuTime
        self.realTime = realTime
        self.idlenessTime = idlenessTime
        self.memory = memory
        self.vram = vram
    }

    enum CodingKeys: String, CodingKey {
        case cpuTime = "cpu_time", realTime = "real_time", idlenessTime = "idleness_time", memory, vram
    }
}

/// The outcome of one run: the verdict and what was measured. This is the JSON
/// that `proctor run` prints.
public struct RunReport: Codable, Sendable, Equatable {
    public var verdict: Verdict
    public var metrics: Metrics
    /// Entries of the workspace that were not copied back because they were not
    /// regular files or directories (symlinks, devices, fifos).
    public var skippedEntries: Int?
    /// Plain-language notes beside the verdict (why the workspace did not come back).
    public var notes: [String]?

    public init(verdict: Verdict, metrics: Metrics, skippedEntries: Int? = nil, notes: [String]? = nil) {
        self.verdict = verdict
        self.metrics = metrics
        self.skippedEntries = skippedEntries
        self.notes = notes
    }

    enum CodingKeys: String, CodingKey { case verdict, metrics, skippedEntries = "skipped_entries", notes }
}
