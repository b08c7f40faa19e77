import Foundation
import ProctorCore

extension JobStore {
    /// How many jobs each user has queued by priority, and how many run: read
    /// from the counts triggers keep, so its cost does not grow with the queue.
    public func queueSnapshot() async throws -> QueueSnapshot {
        let entries = try await database.read("SELECT user_id, priority, n FROM queue_counts WHERE n > 0").map { row in
            QueueSnapshot.Entry(userID: try row.value("user_id"), priority: try row.value("priority"), count: try row.value("n"))
        }
        let running = try await database.read("SELECT CAST(COALESCE(SUM(n), 0) AS BIGINT) AS n FROM running_counts").first?.value("n", as: Int.self)
        return QueueSnapshot(entries: entries, running: running ?? 0)
    }

    /// How many of the user's queued jobs come before this one (same priority or higher).
    public func rank(of job: Job) async throws -> Int {
        try await database.read("SELECT \(Self.rank(of: "j")) AS n FROM jobs j WHERE j.id = \(job.id)").first?.value("n") ?? 0
    }

    /// The job and, while it is queued, its ``rank(of:)``: one read for the
    /// page every participant polls.
    public func placedJob(id: String) async throws -> (job: Job, rank: Int?)? {
        guard let row = try await database.read("""
            SELECT j.*, CASE WHEN j.state = 'queued' THEN \(Self.rank(of: "j")) END AS queue_rank FROM jobs j WHERE j.id = \(id)
            """).first else { return nil }
        return (try Job(row: row), try row.value("queue_rank"))
    }

    /// Counts the queued jobs of `job`'s user that run before it (`job` names its row in the query).
    private static func rank(of job: String) -> SQL {
        """
        (SELECT COUNT(*) FROM jobs o WHERE o.state = 'queued' AND o.user_id = \(raw: job).user_id
          AND (o.priority > \(raw: job).priority OR (o.priority = \(raw: job).priority AND o.seq < \(raw: job).seq)))
        """
    }

    /// Mean run time of the last 50 finished jobs (of one competition, or all), for wait estimates.
    public func averageRunSeconds(competitionID: String?) async throws -> Double? {
        let which: SQL = if let competitionID { "AND competition_id = \(competitionID)" } else { "" }
        return try await database.read("""
            SELECT AVG(finished_at - started_at) AS seconds FROM (SELECT finished_at, started_at FROM jobs
            WHERE finished_at IS NOT NULL AND started_at IS NOT NULL \(which) ORDER BY finished_at DESC LIMIT 50) recent
            """).first?.value("seconds")
    }

    /// Submissions since `date` per competition and how many users made them:
    /// which competitions are popular. Reads only the jobs made since then.
    public func submissionsByCompetition(since date: Date) async throws -> [String: (jobs: Int, users: Int)] {
        var counts: [String: (jobs: Int, users: Int)] = [:]
        for row in try await database.read("""
            SELECT competition_id, COUNT(*) AS n, COUNT(DISTINCT user_id) AS users FROM jobs WHERE created_at >= \(date)
            GROUP BY competition_id
            """) {
            counts[try row.value("competition_id")] = (try row.value("n"), try row.value("users"))
        }
        return counts
    }

    /// Jobs that finished since `date` with an error, by whose fault it was:
    /// what an operator alerts on (graders and infrastructure failing).
    public func failuresByFault(since date: Date) async throws -> [Fault: Int] {
        var counts: [Fault: Int] = [:]
        for row in try await database.read("""
            SELECT fault, COUNT(*) AS n FROM jobs WHERE finished_at >= \(date) AND fault IS NOT NULL GROUP BY fault
            """) {
            if let fault = Fault(rawValue: try row.value("fault")) { counts[fault] = try row.value("n") }
        }
        return counts
    }

    /// When the longest-waiting queued job was submitted (`nil` with none
    /// queued): one indexed lookup per priority in use, however deep the queue.
    public func oldestQueuedAt() async throws -> Date? {
        try await database.read("""
            SELECT MIN((SELECT j.created_at FROM jobs j WHERE j.state = 'queued' AND j.priority = p.priority ORDER BY j.seq LIMIT 1)) AS oldest
            FROM (SELECT DISTINCT priority FROM queue_counts WHERE n > 0) p
            """).first?.value("oldest")
    }

    /// How many jobs are in each state (states with none are absent).
    public func stateCounts() async throws -> [JobState: Int] {
        // SQLite keeps the counts in a table its triggers update; on PostgreSQL
        // that one row would be a lock every transaction waits on, so it counts.
        let statement: SQL = dialect == .sqlite
            ? "SELECT state, n FROM state_counts WHERE n > 0" : "SELECT state, COUNT(*) AS n FROM jobs GROUP BY state"
        var counts: [JobState: Int] = [:]
        for row in try await database.read(statement) {
            if let state = JobState(rawValue: try row.value("state")) { counts[state] = try row.value("n") }
        }
        return counts
    }

    /// Terminal jobs finished before `date` whose files were not yet pruned; marks them pruned.
    public func takePrunable(before date: Date, limit: Int) async throws -> [String] {
        try await database.write("""
            UPDATE jobs SET files_pruned = \(raw: dialect.literal(true)) WHERE seq IN (
                SELECT seq FROM jobs WHERE files_pruned = \(raw: dialect.literal(false)) AND finished_at IS NOT NULL AND finished_at < \(date)
                ORDER BY finished_at LIMIT \(limit)\(raw: dialect.forUpdateSkipLocked))
            RETURNING id
            """).map { try $0.value("id") }
    }

    /// Deletes up to `limit` jobs that finished before `date` and whose files
    /// are gone, with their events, and gives the space back (SQLite: an
    /// incremental vacuum); returns how many it deleted.
    public func deleteHistory(finishedBefore date: Date, limit: Int) async throws -> Int {
        let deleted = try await database.transaction(["""
            SELECT id FROM jobs WHERE finished_at IS NOT NULL AND finished_at < \(date) AND files_pruned = \(raw: dialect.literal(true))
            ORDER BY finished_at LIMIT \(limit)\(raw: dialect.forUpdateSkipLocked)
            """]) { rows in
            let ids = try rows[0].map { try $0.value("id", as: String.self) }
            guard !ids.isEmpty else { return FollowUp(result: 0) }
            return FollowUp(["DELETE FROM job_events WHERE job_id IN (\(list: ids))", "DELETE FROM jobs WHERE id IN (\(list: ids))"],
                            result: ids.count)
        }
        if deleted > 0 { try await database.reclaimSpace() }
        return deleted
    }
}
