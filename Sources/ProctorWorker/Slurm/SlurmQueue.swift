/// What Slurm says of this worker's jobs, looked at once per interval for all
/// of them together: a hundred jobs waiting cost slurmctld one `squeue` per
/// interval, not a hundred.
actor SlurmQueue {
    let commands: SlurmCommands
    let interval: Double
    private var snapshot: [SlurmJob] = []
    private var takenAt: ContinuousClock.Instant?
    private var looking: Task<[SlurmJob], any Error>?

    init(commands: SlurmCommands, interval: Double) {
        self.commands = commands
        self.interval = interval
    }

    /// The jobs named `name`, newest first, as of a look at most `maxAge`
    /// seconds old (one interval by default; 0: a look taken now). Throws when `squeue` fails.
    func jobs(named name: String, maxAge: Double? = nil) async throws -> [SlurmJob] {
        let stale = takenAt.map { ContinuousClock.now - $0 > .seconds(maxAge ?? interval) } ?? true
        if stale {
            let look = looking ?? Task { [commands] in try await commands.jobs() }
            looking = look
            defer { looking = nil }
            snapshot = try await look.value
            takenAt = .now
        }
        return snapshot.filter { $0.name == name }.sorted { $0.id > $1.id }
    }
}
