import GRDB
import ProctorCore

import Foundation

/// The embedded store: one SQLite file in WAL mode, with `synchronous=FULL` so
/// that a job answered with 201 survives a crash of the server or the machine.
public struct SQLiteStore: JobStore {
    let pool: DatabasePool
    /// Claims, written in groups: one transaction (one fsync) for all that arrive together.
    let claims: SQLiteClaims

    /// Opens (creating if needed) the database at `path` and migrates it.
    public init(path: String) throws {
        var configuration = Configuration()
        configuration.busyMode = .timeout(10)
        configuration.prepareDatabase { db in
            try db.execute(sql: "PRAGMA synchronous = FULL; PRAGMA foreign_keys = ON")
        }
        pool = try DatabasePool(path: path, configuration: configuration)
        // Deleted history gives its pages back a few at a time (incremental
        // vacuum). A database made before this setting is converted once,
        // at start; a new one before its first table exists.
        try pool.writeWithoutTransaction { db in
            if try Int.fetchOne(db, sql: "PRAGMA auto_vacuum") != 2 {
                try db.execute(sql: "PRAGMA auto_vacuum = INCREMENTAL")
                try db.execute(sql: "VACUUM")
            }
        }
        try SQLiteSchema.migrator.migrate(pool)
        claims = SQLiteClaims(pool: pool)
    }

    // MARK: Users and tokens

    public func createUser(name: String, at: Date) async throws -> User {
        guard User.isValidName(name) else {
            throw StoreError.invalid("user name '\(name)' must match [a-z0-9][a-z0-9._-]{0,63}")
        }
        return try await pool.write { db in
            if let row = try Row.fetchOne(db, sql: "SELECT * FROM users WHERE name = ?", arguments: [name]) {
                return Self.user(row)
            }
            try db.execute(sql: "INSERT INTO users (name, created_at) VALUES (?, ?)", arguments: [name, at.timeIntervalSince1970])
            return User(id: db.lastInsertedRowID, name: name, createdAt: at)
        }
    }

    public func user(named name: String) async throws -> User? {
        try await pool.read { db in try Row.fetchOne(db, sql: "SELECT * FROM users WHERE name = ?", arguments: [name]).map(Self.user) }
    }

    public func user(id: Int64) async throws -> User? {
        try await pool.read { db in try Row.fetchOne(db, sql: "SELECT * FROM users WHERE id = ?", arguments: [id]).map(Self.user) }
    }

    public func users() async throws -> [User] {
        try await pool.read { db in try Row.fetchAll(db, sql: "SELECT * FROM users ORDER BY name").map(Self.user) }
    }

    public func setUserDisabled(id: Int64, _ disabled: Bool) async throws {
        try await pool.write { db in
            try db.execute(sql: "UPDATE users SET disabled = ? WHERE id = ?", arguments: [disabled, id])
        }
    }

    public func createToken(userID: Int64, role: Role, hash: String, label: String, at: Date, expiresAt: Date?) async throws -> Token {
        try await pool.write { db in
            try db.execute(
                sql: "INSERT INTO tokens (user_id, role, hash, label, created_at, expires_at) VALUES (?, ?, ?, ?, ?, ?)",
                arguments: [userID, role.rawValue, hash, label, at.timeIntervalSince1970, expiresAt?.timeIntervalSince1970])
            return Token(id: db.lastInsertedRowID, userID: userID, role: role, hash: hash, label: label, createdAt: at, expiresAt: expiresAt)
        }
    }

    public func useToken(hash: String, at: Date) async throws -> (Token, User)? {
        // Reads first: most requests only need the lookup, and last_used_at is
        // written at most once a minute per token to keep writes rare.
        let found = try await pool.read { db -> (Token, User)? in
            guard let row = try Row.fetchOne(db, sql: "SELECT * FROM tokens WHERE hash = ?", arguments: [hash]),
                let userRow = try Row.fetchOne(db, sql: "SELECT * FROM users WHERE id = ?", arguments: [row["user_id"] as Int64])
            else { return nil }
            return (Self.token(row), Self.user(userRow))
        }
        guard let (stored, user) = found else { return nil }
        var token = stored
        if token.lastUsedAt.map({ at.timeIntervalSince($0) > 60 }) ?? true {
            let id = token.id
            try await pool.write { db in
                try db.execute(sql: "UPDATE tokens SET last_used_at = ? WHERE id = ?", arguments: [at.timeIntervalSince1970, id])
            }
            token.lastUsedAt = at
        }
        return (token, user)
    }

    public func tokens(userID: Int64?) async throws -> [Token] {
        try await pool.read { db in
            if let userID {
                return try Row.fetchAll(db, sql: "SELECT * FROM tokens WHERE user_id = ? ORDER BY id", arguments: [userID]).map(Self.token)
            }
            return try Row.fetchAll(db, sql: "SELECT * FROM tokens ORDER BY id").map(Self.token)
        }
    }

    public func submissionsByToken(since date: Date) async throws -> [Int64: Int] {
        try await pool.read { db in
            var counts: [Int64: Int] = [:]
            for row in try Row.fetchAll(db, sql: """
                SELECT token_id, COUNT(*) AS n FROM jobs WHERE created_at >= ? AND token_id IS NOT NULL GROUP BY token_id
                """, arguments: [date.timeIntervalSince1970]) {
                counts[row["token_id"]] = row["n"]
            }
            return counts
        }
    }

    public func revokeToken(id: Int64, at: Date) async throws -> Bool {
        try await pool.write { db in
            try db.execute(sql: "UPDATE tokens SET revoked_at = ? WHERE id = ? AND revoked_at IS NULL", arguments: [at.timeIntervalSince1970, id])
            return db.changesCount > 0
        }
    }

    // MARK: Jobs

    public func insert(_ job: Job, limits: SubmissionLimits?) async throws -> (job: Job, created: Bool) {
        try await pool.write { db in
            if let key = job.idempotencyKey,
                let row = try Row.fetchOne(db, sql: "SELECT * FROM jobs WHERE user_id = ? AND idempotency_key = ?", arguments: [job.userID, key])
            {
                return (Self.job(row), false)
            }
            if let limits {
                let queued = try Int.fetchOne(db, sql: "SELECT COALESCE(SUM(n), 0) FROM queue_counts WHERE user_id = ?", arguments: [job.userID]) ?? 0
                if queued >= limits.maxQueued { throw StoreError.queueQuota(limit: limits.maxQueued) }
                let recent = try Double.fetchAll(
                    db, sql: "SELECT created_at FROM jobs WHERE user_id = ? AND created_at >= ? ORDER BY created_at",
                    arguments: [job.userID, limits.windowStart.timeIntervalSince1970])
                if recent.count >= limits.maxPerWindow, let oldest = recent.first {
                    throw StoreError.rateQuota(limit: limits.maxPerWindow, oldest: Date(timeIntervalSince1970: oldest))
                }
            }
            try db.execute(
                sql: """
                    INSERT INTO jobs (id, user_id, competition_id, competition_version, state, priority, file_name,
                        expected_time, metadata, idempotency_key, request_id, created_at, token_id)
                    VALUES (?, ?, ?, ?, 'queued', ?, ?, ?, ?, ?, ?, ?, ?)
                    """,
                arguments: [job.id, job.userID, job.competitionID, job.competitionVersion, job.priority, job.fileName,
                            job.expectedTime, try JSONColumn.encode(job.metadata), job.idempotencyKey, job.requestID,
                            job.createdAt.timeIntervalSince1970, job.tokenID])
            try Self.record(db, JobEvent(jobID: job.id, at: job.createdAt, from: nil, to: .queued, actor: "user:\(job.userID)", reason: "submitted"))
            return (job, true)
        }
    }

    public func job(id: String) async throws -> Job? {
        try await pool.read { db in try Row.fetchOne(db, sql: "SELECT * FROM jobs WHERE id = ?", arguments: [id]).map(Self.job) }
    }

    public func jobs(_ filter: JobFilter) async throws -> (jobs: [Job], nextCursor: String?) {
        var conditions: [String] = []
        var values: [any DatabaseValueConvertible & Sendable] = []
        if let userID = filter.userID { conditions.append("user_id = ?"); values.append(userID) }
        if let state = filter.state { conditions.append("state = ?"); values.append(state.rawValue) }
        if let competition = filter.competitionID { conditions.append("competition_id = ?"); values.append(competition) }
        if let cursor = filter.cursor {
            guard let seq = Int64(cursor), seq > 0 else { throw StoreError.invalid("cursor '\(cursor.prefix(32))' is not one this server gave out") }
            conditions.append("seq < ?")
            values.append(seq)
        }
        let limit = min(max(filter.limit, 1), 500)
        let whereClause = conditions.isEmpty ? "" : "WHERE " + conditions.joined(separator: " AND ")
        let sql = "SELECT * FROM jobs \(whereClause) ORDER BY seq DESC LIMIT \(limit + 1)"
        let bound = values
        let rows = try await pool.read { db in
            try Row.fetchAll(db, sql: sql, arguments: StatementArguments(bound)).map { ($0["seq"] as Int64, Self.job($0)) }
        }
        let page = rows.prefix(limit)
        let next = rows.count > limit ? page.last.map { String($0.0) } : nil
        return (page.map(\.1), next)
    }

    public func queuedJobs(userID: Int64, limit: Int) async throws -> [Job] {
        try await pool.read { db in
            try Row.fetchAll(db, sql: "SELECT * FROM jobs WHERE user_id = ? AND state = 'queued' ORDER BY priority DESC, seq ASC LIMIT ?",
                             arguments: [userID, limit]).map(Self.job)
        }
    }

    public func events(jobID: String) async throws -> [JobEvent] {
        try await pool.read { db in
            try Row.fetchAll(db, sql: "SELECT * FROM job_events WHERE job_id = ? ORDER BY id", arguments: [jobID]).map(Self.event)
        }
    }

    public func claim(worker: String, competitions: Set<String>, maxRunningPerUser: Int, maxExpectedTime: Double?,
                      at: Date, leaseUntil: Date) async throws -> Job? {
        guard !competitions.isEmpty else { return nil }
        return try await claims.claim(ClaimRequest(worker: worker, competitions: competitions.sorted(), maxRunningPerUser: maxRunningPerUser,
                                                   maxExpectedTime: maxExpectedTime, at: at, leaseUntil: leaseUntil))
    }

    public func renew(jobID: String, worker: String, until: Date) async throws -> Job? {
        try await pool.write { db in
            try db.execute(
                sql: "UPDATE jobs SET lease_expires_at = ? WHERE id = ? AND lease_owner = ? AND state IN ('leased', 'running')",
                arguments: [until.timeIntervalSince1970, jobID, worker])
            guard db.changesCount > 0 else { return nil }
            return try Row.fetchOne(db, sql: "SELECT * FROM jobs WHERE id = ?", arguments: [jobID]).map(Self.job)
        }
    }

    public func report(jobID: String, worker: String, update: JobUpdate, at: Date, maxAttempts: Int) async throws -> Job? {
        try await pool.write { db in
            guard let row = try Row.fetchOne(db, sql: "SELECT * FROM jobs WHERE id = ?", arguments: [jobID]) else { return nil }
            let before = Self.job(row)
            guard let (job, reason) = JobTransitions.apply(update, to: before, worker: worker, at: at, maxAttempts: maxAttempts) else { return nil }
            try Self.save(db, job)
            if before.state != job.state {
                try Self.record(db, JobEvent(jobID: jobID, at: at, from: before.state, to: job.state, actor: "worker:\(worker)", reason: reason))
            }
            return job
        }
    }

    public func setPriority(jobID: String, priority: Int, actor: String, at: Date) async throws -> Job? {
        try await pool.write { db in
            try db.execute(sql: "UPDATE jobs SET priority = ? WHERE id = ? AND state = 'queued'", arguments: [priority, jobID])
            guard db.changesCount > 0 else { return nil }
            try Self.record(db, JobEvent(jobID: jobID, at: at, from: .queued, to: .queued, actor: actor, reason: "priority set to \(priority)"))
            return try Row.fetchOne(db, sql: "SELECT * FROM jobs WHERE id = ?", arguments: [jobID]).map(Self.job)
        }
    }

    public func cancel(jobID: String, actor: String, at: Date) async throws -> Job? {
        try await pool.write { db in
            guard let row = try Row.fetchOne(db, sql: "SELECT * FROM jobs WHERE id = ?", arguments: [jobID]) else { return nil }
            let before = Self.job(row)
            guard let (job, event) = JobTransitions.cancel(before, actor: actor, at: at) else { return before }
            try Self.save(db, job)
            try Self.record(db, event)
            return job
        }
    }

    public func requeueExpired(at: Date, heldBy: String?, maxAttempts: Int) async throws -> [Job] {
        try await pool.write { db in
            let rows = try Row.fetchAll(
                db, sql: "SELECT * FROM jobs WHERE state IN ('leased', 'running') AND (lease_owner = ? OR (? IS NULL AND lease_expires_at < ?))",
                arguments: [heldBy, heldBy, at.timeIntervalSince1970])
            return try rows.map { row in
                let (job, event) = JobTransitions.requeue(Self.job(row), at: at, restart: heldBy != nil, maxAttempts: maxAttempts)
                try Self.save(db, job)
                try Self.record(db, event)
                return job
            }
        }
    }

    // MARK: Nodes

    public func touchNode(name: String, slots: Int, labels: [String: String], version: String, at: Date) async throws -> Node {
        let encoded = try JSONColumn.encode(labels) ?? "{}"
        return try await pool.write { db in
            try db.execute(sql: """
                INSERT INTO nodes (name, slots, labels, version, last_seen) VALUES (?, ?, ?, ?, ?)
                ON CONFLICT (name) DO UPDATE SET slots = excluded.slots, labels = excluded.labels,
                    version = excluded.version, last_seen = excluded.last_seen
                """, arguments: [name, slots, encoded, version, at.timeIntervalSince1970])
            guard let row = try Row.fetchOne(db, sql: "SELECT * FROM nodes WHERE name = ?", arguments: [name]) else {
                throw StoreError.conflict("node \(name) was not recorded")
            }
            return Self.node(row)
        }
    }

    public func nodes() async throws -> [Node] {
        try await pool.read { db in try Row.fetchAll(db, sql: "SELECT * FROM nodes ORDER BY name").map(Self.node) }
    }

    public func recordNodeOutcome(name: String, failure: NodeFailure?) async throws -> Node? {
        try await pool.write { db in
            if let failure {
                let token = ",\(failure.userID),"
                try db.execute(sql: """
                    UPDATE nodes SET infra_failures = infra_failures + 1, infra_node_faults = infra_node_faults + ?,
                        infra_failure_users = CASE WHEN instr(infra_failure_users, ?) > 0 THEN infra_failure_users
                            WHEN infra_failure_users = '' THEN ? ELSE infra_failure_users || ? END
                    WHERE name = ?
                    """, arguments: [failure.nodeFault ? 1 : 0, token, token, "\(failure.userID),", name])
            } else {
                try db.execute(sql: "UPDATE nodes SET infra_failures = 0, infra_node_faults = 0, infra_failure_users = '' WHERE name = ?",
                               arguments: [name])
            }
            return try Row.fetchOne(db, sql: "SELECT * FROM nodes WHERE name = ?", arguments: [name]).map(Self.node)
        }
    }

    public func setNodeState(name: String, _ state: Node.State) async throws -> Node? {
        try await pool.write { db in
            if state == .active {
                try db.execute(sql: "UPDATE nodes SET state = 'active', infra_failures = 0, infra_node_faults = 0, infra_failure_users = '' WHERE name = ?",
                               arguments: [name])
            } else {
                try db.execute(sql: "UPDATE nodes SET state = ? WHERE name = ?", arguments: [state.rawValue, name])
            }
            return try Row.fetchOne(db, sql: "SELECT * FROM nodes WHERE name = ?", arguments: [name]).map(Self.node)
        }
    }

    // MARK: Queue and accounting

    public func queueSnapshot() async throws -> QueueSnapshot {
        try await pool.read { db in
            let entries = try Row.fetchAll(db, sql: "SELECT user_id, priority, n FROM queue_counts WHERE n > 0")
                .map { QueueSnapshot.Entry(userID: $0["user_id"], priority: $0["priority"], count: $0["n"]) }
            let running = try Int.fetchOne(db, sql: "SELECT COALESCE(SUM(n), 0) FROM running_counts") ?? 0
            return QueueSnapshot(entries: entries, running: running)
        }
    }

    public func rank(of job: Job) async throws -> Int {
        try await pool.read { db in
            let seq = try Int64.fetchOne(db, sql: "SELECT seq FROM jobs WHERE id = ?", arguments: [job.id]) ?? 0
            return try Int.fetchOne(
                db, sql: "SELECT COUNT(*) FROM jobs WHERE state = 'queued' AND user_id = ? AND (priority > ? OR (priority = ? AND seq < ?))",
                arguments: [job.userID, job.priority, job.priority, seq]) ?? 0
        }
    }

    public func averageRunSeconds(competitionID: String?) async throws -> Double? {
        try await pool.read { db in
            try Double.fetchOne(db, sql: """
                SELECT AVG(finished_at - started_at) FROM (SELECT finished_at, started_at FROM jobs
                WHERE finished_at IS NOT NULL AND started_at IS NOT NULL AND (? IS NULL OR competition_id = ?)
                ORDER BY finished_at DESC LIMIT 50)
                """, arguments: [competitionID, competitionID])
        }
    }

    public func stateCounts() async throws -> [JobState: Int] {
        try await pool.read { db in
            var counts: [JobState: Int] = [:]
            for row in try Row.fetchAll(db, sql: "SELECT state, n FROM state_counts WHERE n > 0") {
                if let state = JobState(rawValue: row["state"]) { counts[state] = row["n"] }
            }
            return counts
        }
    }

    public func takePrunable(before: Date, limit: Int) async throws -> [String] {
        try await pool.write { db in
            let ids = try String.fetchAll(db, sql: """
                SELECT id FROM jobs WHERE files_pruned = 0 AND finished_at IS NOT NULL AND finished_at < ? ORDER BY finished_at LIMIT ?
                """, arguments: [before.timeIntervalSince1970, limit])
            for id in ids { try db.execute(sql: "UPDATE jobs SET files_pruned = 1 WHERE id = ?", arguments: [id]) }
            return ids
        }
    }

    public func deleteHistory(finishedBefore date: Date, limit: Int) async throws -> Int {
        let deleted = try await pool.write { db -> Int in
            let ids = try String.fetchAll(db, sql: """
                SELECT id FROM jobs WHERE finished_at IS NOT NULL AND finished_at < ? AND files_pruned = 1 ORDER BY finished_at LIMIT ?
                """, arguments: [date.timeIntervalSince1970, limit])
            for id in ids {
                try db.execute(sql: "DELETE FROM job_events WHERE job_id = ?", arguments: [id])
                try db.execute(sql: "DELETE FROM jobs WHERE id = ?", arguments: [id])
            }
            return ids.count
        }
        if deleted > 0 {
            try await pool.writeWithoutTransaction { db in _ = try Row.fetchAll(db, sql: "PRAGMA incremental_vacuum") }
        }
        return deleted
    }

    // MARK: Helpers

    static func save(_ db: Database, _ job: Job) throws {
        try db.execute(
            sql: """
                UPDATE jobs SET state = ?, started_at = ?, finished_at = ?, cancel_requested = ?, solution_report = ?,
                    grade_report = ?, score = ?, results = ?, error = ?, lease_owner = ?, lease_expires_at = ?
                WHERE id = ?
                """,
            arguments: [job.state.rawValue, job.startedAt?.timeIntervalSince1970, job.finishedAt?.timeIntervalSince1970,
                        job.cancelRequested, try JSONColumn.encode(job.solutionReport), try JSONColumn.encode(job.gradeReport), job.score,
                        try JSONColumn.encode(job.results), try JSONColumn.encode(job.error), job.leaseOwner, job.leaseExpiresAt?.timeIntervalSince1970, job.id])
    }

    static func record(_ db: Database, _ event: JobEvent) throws {
        try db.cachedStatement(sql: "INSERT INTO job_events (job_id, at, from_state, to_state, actor, reason) VALUES (?, ?, ?, ?, ?, ?)")
            .execute(arguments: [event.jobID, event.at.timeIntervalSince1970, event.from?.rawValue, event.to.rawValue, event.actor, event.reason])
    }
}
