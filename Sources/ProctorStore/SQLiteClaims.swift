import Foundation
import GRDB
import ProctorCore

/// Group commit for claims on SQLite: claims that arrive while a batch is
/// being written wait for the next one, and each batch is one transaction,
/// one fsync. Inside it the claims run one after another, each seeing the
/// ones before it, so a batch obeys exactly the rules single claims do (no job
/// twice, running quotas, the fair order); a batch that fails fails each of
/// its claims with the error.
actor SQLiteClaims {
    private let pool: DatabasePool
    private var pending: [(ClaimRequest, CheckedContinuation<Job?, any Error>)] = []
    private var writing = false

    init(pool: DatabasePool) {
        self.pool = pool
    }

    func claim(_ request: ClaimRequest) async throws -> Job? {
        try await withCheckedThrowingContinuation { continuation in
            pending.append((request, continuation))
            if !writing {
                writing = true
                Task { await self.drain() }
            }
        }
    }

    private func drain() async {
        while !pending.isEmpty {
            let batch = pending
            pending = []
            let requests = batch.map(\.0)
            do {
                let jobs = try await pool.write { db in try requests.map { try Self.claim($0, in: db) } }
                for (index, entry) in batch.enumerated() { entry.1.resume(returning: jobs[index]) }
            } catch {
                for entry in batch { entry.1.resume(throwing: error) }
            }
        }
        writing = false
    }

    /// One claim inside the batch's transaction. The fair order (priority,
    /// least recent user, submission order) is taken over each waiting user's
    /// own first job: as many candidates as users with queued jobs, however
    /// deep the queue.
    static func claim(_ request: ClaimRequest, in db: Database) throws -> Job? {
        guard !request.competitions.isEmpty else { return nil }
        let placeholders = Array(repeating: "?", count: request.competitions.count).joined(separator: ",")
        let sql = """
            WITH waiting AS (SELECT DISTINCT user_id FROM queue_counts WHERE n > 0),
            heads AS (
                SELECT (SELECT seq FROM jobs h WHERE h.user_id = w.user_id AND h.state = 'queued'
                          AND h.competition_id IN (\(placeholders)) AND (? IS NULL OR h.expected_time <= ?)
                        ORDER BY h.priority DESC, h.seq ASC LIMIT 1) AS seq
                FROM waiting w LEFT JOIN running_counts b ON b.user_id = w.user_id WHERE COALESCE(b.n, 0) < ?)
            SELECT j.* FROM heads JOIN jobs j ON j.seq = heads.seq JOIN users u ON u.id = j.user_id
            ORDER BY j.priority DESC, u.last_run_at ASC NULLS FIRST, j.seq ASC LIMIT 1
            """
        let arguments = StatementArguments(request.competitions) + StatementArguments([request.maxExpectedTime, request.maxExpectedTime])
            + StatementArguments([request.maxRunningPerUser])
        // Statements are compiled once per connection and kept: planning the
        // candidate query costs more than running it.
        guard let row = try Row.fetchOne(try db.cachedStatement(sql: sql), arguments: arguments) else { return nil }
        var job = try Job(row: SQLRow(row: row))
        try db.cachedStatement(sql: """
            UPDATE jobs SET state = 'leased', lease_owner = ?, lease_expires_at = ?, attempts = attempts + 1
            WHERE id = ? AND state = 'queued'
            """).execute(arguments: [request.worker, request.leaseUntil.timeIntervalSince1970, job.id])
        try db.cachedStatement(sql: "UPDATE users SET last_run_at = ? WHERE id = ?")
            .execute(arguments: [request.at.timeIntervalSince1970, job.userID])
        let event = JobEvent(jobID: job.id, at: request.at, from: .queued, to: .leased, actor: "worker:\(request.worker)",
                             reason: "claimed (attempt \(job.attempts + 1))")
        _ = try SQLiteDatabase.run(event.inserted, in: db)
        job.state = .leased
        job.leaseOwner = request.worker
        job.leaseExpiresAt = request.leaseUntil
        job.attempts += 1
        return job
    }
}
