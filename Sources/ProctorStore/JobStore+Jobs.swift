import Foundation
import ProctorCore

extension JobStore {
    /// Inserts a queued job within `limits`; if the user already has a job
    /// with the same idempotency key, returns that one instead and `false`.
    /// A competition's daily limit counts the user's submissions to it since
    /// `dayStart`. The checks run in the insert's transaction (on PostgreSQL under a lock
    /// on the user's row), so parallel submissions cannot slip past them.
    public func insert(_ job: Job, limits: SubmissionLimits?) async throws -> (job: Job, created: Bool) {
        let windowStart = limits?.windowStart ?? .distantFuture
        let dayStart = limits.flatMap { $0.maxPerCompetitionDay == nil ? nil : $0.dayStart } ?? .distantFuture
        let submitted = JobEvent(jobID: job.id, at: job.createdAt, from: nil, to: .queued, actor: "user:\(job.userID)", reason: "submitted")
        let insert: SQL = """
            INSERT INTO jobs (id, user_id, competition_id, competition_version, state, priority, file_name, expected_time,
                metadata, idempotency_key, request_id, created_at, token_id)
            VALUES (\(job.id), \(job.userID), \(job.competitionID), \(job.competitionVersion), 'queued', \(job.priority),
                \(job.fileName), \(job.expectedTime), \(try JSONColumn.encode(job.metadata)), \(job.idempotencyKey), \(job.requestID),
                \(job.createdAt), \(job.tokenID))
            """
        return try await database.transaction([
            "SELECT id FROM users WHERE id = \(job.userID)\(raw: dialect.forUpdate)",
            "SELECT * FROM jobs WHERE user_id = \(job.userID) AND idempotency_key = \(job.idempotencyKey)",
            "SELECT CAST(COALESCE(SUM(n), 0) AS BIGINT) AS n FROM queue_counts WHERE user_id = \(job.userID)",
            "SELECT COUNT(*) AS n, MIN(created_at) AS oldest FROM jobs WHERE user_id = \(job.userID) AND created_at >= \(windowStart)",
            "SELECT COUNT(*) AS n FROM jobs WHERE user_id = \(job.userID) AND competition_id = \(job.competitionID) AND created_at >= \(dayStart)",
        ]) { rows in
            if let existing = rows[1].first { return FollowUp(result: (try Job(row: existing), false)) }
            if let limits {
                if try rows[2].first?.value("n", as: Int.self) ?? 0 >= limits.maxQueued { throw StoreError.queueQuota(limit: limits.maxQueued) }
                if let recent = rows[3].first, try recent.value("n", as: Int.self) >= limits.maxPerWindow {
                    throw StoreError.rateQuota(limit: limits.maxPerWindow, oldest: try recent.value("oldest", as: Date?.self) ?? limits.windowStart)
                }
                if let daily = limits.maxPerCompetitionDay, try rows[4].first?.value("n", as: Int.self) ?? 0 >= daily {
                    throw StoreError.dailyQuota(limit: daily)
                }
            }
            return FollowUp([insert, submitted.inserted], result: (job, true))
        }
    }

    /// The job with this id, whoever owns it (callers check who may see it).
    public func job(id: String) async throws -> Job? {
        try await database.read("SELECT * FROM jobs WHERE id = \(id)").first.map(Job.init(row:))
    }

    /// A page of jobs, newest first, and the cursor of the next page if there is one.
    public func jobs(_ filter: JobFilter) async throws -> (jobs: [Job], nextCursor: String?) {
        var cursor = Int64.max
        if let text = filter.cursor {
            guard let seq = Int64(text), seq > 0 else { throw StoreError.invalid("cursor '\(text.prefix(32))' is not one this server gave out") }
            cursor = seq
        }
        var query: SQL = "SELECT * FROM jobs WHERE seq < \(cursor)"
        if let userID = filter.userID { query = "\(query) AND user_id = \(userID)" }
        if let state = filter.state { query = "\(query) AND state = \(state.rawValue)" }
        if let competition = filter.competitionID { query = "\(query) AND competition_id = \(competition)" }
        let limit = min(max(filter.limit, 1), 500)
        let rows = try await database.read("\(query) ORDER BY seq DESC LIMIT \(limit + 1)")
        let page = rows.prefix(limit)
        let next = rows.count > limit ? try page.last.map { String(try $0.value("seq", as: Int64.self)) } : nil
        return (try page.map(Job.init(row:)), next)
    }

    /// The user's first `limit` queued jobs in the order they will run
    /// (priority, then submission order): the k-th has rank k.
    public func queuedJobs(userID: Int64, limit: Int) async throws -> [Job] {
        try await database.read("""
            SELECT * FROM jobs WHERE user_id = \(userID) AND state = 'queued' ORDER BY priority DESC, seq ASC LIMIT \(limit)
            """).map(Job.init(row:))
    }

    /// The job's audit trail, oldest first.
    public func events(jobID: String) async throws -> [JobEvent] {
        try await database.read("SELECT * FROM job_events WHERE job_id = \(jobID) ORDER BY id").map(JobEvent.init(row:))
    }

    /// Takes the next job in fair order (priority, least recent user, FIFO)
    /// among `competitions`, skipping users who already run `maxRunningPerUser`
    /// jobs (and, with `maxExpectedTime`, jobs expected to take longer: the
    /// short-job lane), and leases it to `worker` until `leaseUntil`.
    public func claim(worker: String, competitions: Set<String>, maxRunningPerUser: Int, maxExpectedTime: Double? = nil,
                      at: Date, leaseUntil: Date) async throws -> Job? {
        guard !competitions.isEmpty else { return nil }
        return try await database.claim(ClaimRequest(worker: worker, competitions: competitions.sorted(), maxRunningPerUser: maxRunningPerUser,
                                                     maxExpectedTime: maxExpectedTime, at: at, leaseUntil: leaseUntil))
    }

    /// Extends a lease; returns the job (with `cancelRequested`) or `nil` if the
    /// worker no longer holds it.
    public func renew(jobID: String, worker: String, until: Date) async throws -> Job? {
        try await database.write("""
            UPDATE jobs SET lease_expires_at = \(until)
            WHERE id = \(jobID) AND lease_owner = \(worker) AND state IN ('leased', 'running') RETURNING *
            """).first.map(Job.init(row:))
    }

    /// Applies a worker's update if it still holds the lease; `nil` otherwise.
    /// An infrastructure failure is retried (the job queued again) while the
    /// job was tried fewer than `maxAttempts` times (``JobTransitions``).
    public func report(jobID: String, worker: String, update: JobUpdate, at: Date,
                       maxAttempts: Int = JobTransitions.defaultMaxAttempts) async throws -> Job? {
        try await database.transaction(["SELECT * FROM jobs WHERE id = \(jobID)\(raw: dialect.forUpdate)"]) { rows in
            guard let row = rows[0].first else { return FollowUp(result: nil) }
            let before = try Job(row: row)
            guard let (job, reason) = JobTransitions.apply(update, to: before, worker: worker, at: at, maxAttempts: maxAttempts) else {
                return FollowUp(result: nil)
            }
            var statements = [try job.saved]
            if before.state != job.state {
                statements.append(JobEvent(jobID: jobID, at: at, from: before.state, to: job.state, actor: "worker:\(worker)", reason: reason).inserted)
            }
            return FollowUp(statements, result: job)
        }
    }

    /// Sets a queued job's priority (higher runs first); `nil` if it is not queued.
    public func setPriority(jobID: String, priority: Int, actor: String, at: Date) async throws -> Job? {
        try await database.transaction(["UPDATE jobs SET priority = \(priority) WHERE id = \(jobID) AND state = 'queued' RETURNING *"]) { rows in
            guard let row = rows[0].first else { return FollowUp(result: nil) }
            let event = JobEvent(jobID: jobID, at: at, from: .queued, to: .queued, actor: actor, reason: "priority set to \(priority)")
            return FollowUp([event.inserted], result: try Job(row: row))
        }
    }

    /// Cancels a queued job at once, or flags a leased or running one for its worker.
    public func cancel(jobID: String, actor: String, at: Date) async throws -> Job? {
        try await database.transaction(["SELECT * FROM jobs WHERE id = \(jobID)\(raw: dialect.forUpdate)"]) { rows in
            guard let row = rows[0].first else { return FollowUp(result: nil) }
            let before = try Job(row: row)
            guard let (job, event) = JobTransitions.cancel(before, actor: actor, at: at) else { return FollowUp(result: before) }
            return FollowUp([try job.saved, event.inserted], result: job)
        }
    }

    /// Returns jobs whose lease lapsed to the queue, or errors them once they
    /// were tried `maxAttempts` times. With `heldBy`, every active job of that
    /// worker instead, whatever its lease (the worker restarted).
    public func requeueExpired(at: Date, heldBy: String?, maxAttempts: Int) async throws -> [Job] {
        let whose: SQL = if let heldBy { "lease_owner = \(heldBy)" } else { "lease_expires_at < \(at)" }
        return try await database.transaction([
            "SELECT * FROM jobs WHERE state IN ('leased', 'running') AND \(whose)\(raw: dialect.forUpdateSkipLocked)",
        ]) { rows in
            var statements: [SQL] = [], changed: [Job] = []
            for row in rows[0] {
                let (job, event) = JobTransitions.requeue(try Job(row: row), at: at, restart: heldBy != nil, maxAttempts: maxAttempts)
                statements += [try job.saved, event.inserted]
                changed.append(job)
            }
            return FollowUp(statements, result: changed)
        }
    }

    /// The competitions that have queued jobs.
    public func queuedCompetitions() async throws -> [String] {
        try await database.read("SELECT DISTINCT competition_id FROM jobs WHERE state = 'queued'").map { try $0.value("competition_id") }
    }

    /// Errors the queued jobs of `competitionID` submitted before `date` with
    /// `error`: the service gives up on them (no node could run them).
    public func failQueued(competitionID: String, submittedBefore date: Date, error: JobError, at: Date) async throws -> [Job] {
        try await database.transaction([
            """
            SELECT * FROM jobs WHERE state = 'queued' AND competition_id = \(competitionID) AND created_at < \(date)\(raw: dialect.forUpdateSkipLocked)
            """,
        ]) { rows in
            var statements: [SQL] = [], failed: [Job] = []
            for row in rows[0] {
                guard let (job, event) = JobTransitions.giveUp(try Job(row: row), error: error, at: at) else { continue }
                statements += [try job.saved, event.inserted]
                failed.append(job)
            }
            return FollowUp(statements, result: failed)
        }
    }
}
