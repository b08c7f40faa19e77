/// Where a queued job stands in the fair queue, computed from per-user counts
/// alone, so it stays cheap with many thousands of queued jobs.
///
/// The queue serves users round-robin (least recent use first) and each user's
/// jobs in order, so a user's k-th queued job (counting from 0) waits behind at
/// most k jobs of every other user, plus its own k earlier ones.
public enum QueueEstimate {
    /// The 0-based position of a job that is the `rank`-th queued job of its
    /// user, given how many jobs every other user has queued.
    public static func position(rank: Int, otherUsersQueued: [Int]) -> Int {
        rank + otherUsersQueued.reduce(0) { $0 + min($1, rank + 1) }
    }

    /// Seconds until the job at `position` starts, with `slots` running jobs of
    /// `averageSeconds` each.
    public static func wait(position: Int, slots: Int, averageSeconds: Double) -> Double {
        Double(position / max(slots, 1) + 1) * averageSeconds
    }
}
