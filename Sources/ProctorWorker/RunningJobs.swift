import ProctorStore

/// The jobs a worker is running now, so that a cancel (from the API of the
/// same process, or a heartbeat's answer) reaches the sandbox at once.
actor RunningJobs {
    private var tasks: [String: Task<JobUpdateOutcome, Never>] = [:]

    func add(_ jobID: String, _ task: Task<JobUpdateOutcome, Never>) { tasks[jobID] = task }
    func remove(_ jobID: String) { tasks[jobID] = nil }

    /// Cancels the job's run if this worker has it; true if it did.
    @discardableResult
    func cancel(_ jobID: String) -> Bool {
        guard let task = tasks[jobID] else { return false }
        task.cancel()
        return true
    }

    var count: Int { tasks.count }
}

/// What running a job produced.
struct JobUpdateOutcome: Sendable {
    var update: JobUpdate
}
