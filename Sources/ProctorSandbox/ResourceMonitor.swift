/// Something the supervisor samples while a run is live, for a resource the
/// kernel does not account (VRAM). The sandbox knows nothing of GPUs: the
/// GPU module implements this.
public protocol ResourceMonitor: Sendable {
    /// Current use by the run's processes, or `nil` when it cannot be read.
    func sample(pids: [Int32]) -> UInt64?
    /// What the monitor saw that the run's report should say, read once the run ended.
    func notes() -> [String]
}

extension ResourceMonitor {
    public func notes() -> [String] { [] }
}
