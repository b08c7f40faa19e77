
/// The jobs a worker is running now, so that a cancel (from the API of the
/// same process, or a heartbeat's answer) reaches the sandbox at once.
actor RunningJobs {
    private var stops: [String: @Sendable () -> Void] = [:]

    func add(_ jobID: String, stop: @escaping @Sendable () -> Void) { stops[jobID] = stop }
    func remove(_ jobID: String) { stops[jobID] = nil }

    /// Stops the job's run if this worker has it; true if it did.
    @discardableResult
    func cancel(_ jobID: String) -> Bool {
        guard let stop = stops[jobID] else { return false }
        stop()
        return true
    }

    var count: Int { stops.count }
}
