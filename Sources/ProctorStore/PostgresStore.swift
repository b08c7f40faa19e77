import Foundation
import Logging
import PostgresNIO
import ProctorCore

/// The store for many machines: one PostgreSQL database shared by every
/// `proctor serve` replica. Claims use `FOR UPDATE SKIP LOCKED`, so two
/// replicas (or workers) never take the same job; per-user quota checks lock
/// the user's row, so parallel submissions cannot slip past them.
public final class PostgresStore: JobStore {
    let client: PostgresClient
    let logger: Logger
    private let runner: Task<Void, Never>

    /// Connects to `url` (`postgres://user[:password]@host[:port]/database`),
    /// and migrates the schema.
    public init(url: String, logger: Logger = Logger(label: "proctor.postgres")) async throws {
        var configuration = try Self.configuration(url: url)
        configuration.options.maximumConnections = 20
        // Prepared statements (the claim) keep one plan instead of planning each call.
        configuration.options.additionalStartupParameters = [("plan_cache_mode", "force_generic_plan")]
        let client = PostgresClient(configuration: configuration, backgroundLogger: logger)
        self.client = client
        self.logger = logger
        // The client's connection pool runs for the store's lifetime. Give
        // the task a turn to start before the first query leases a connection.
        runner = Task { await client.run() }
        for _ in 0..<3 { await Task.yield() }
        do {
            try await PostgresSchema.migrate(client, logger: logger)
        } catch {
            runner.cancel()
            throw StoreError.invalid("cannot use the PostgreSQL database at \(configuration.host ?? "?"): \(String(reflecting: error))")
        }
    }

    deinit { runner.cancel() }

    /// The client configuration for `postgres://user[:password]@host[:port]/database`.
    static func configuration(url: String) throws -> PostgresClient.Configuration {
        guard let components = URLComponents(string: url), ["postgres", "postgresql"].contains(components.scheme ?? ""),
            let host = components.host, let user = components.user
        else {
            throw StoreError.invalid("the database URL must look like postgres://user:password@host:5432/database")
        }
        let database = components.path.split(separator: "/").first.map(String.init)
        return PostgresClient.Configuration(
            host: host, port: components.port ?? 5432, username: user, password: components.password, database: database, tls: .disable)
    }

    /// Creates an empty database beside the one `serverURL` names and returns
    /// its URL: a scratch database for tests and benchmarks.
    public static func createScratchDatabase(serverURL: String) async throws -> String {
        let client = PostgresClient(configuration: try configuration(url: serverURL), backgroundLogger: Logger(label: "proctor.scratch"))
        let name = "proctor_" + UUID().uuidString.prefix(8).lowercased()
        try await withThrowingDiscardingTaskGroup { group in
            group.addTask { await client.run() }
            try await client.query("CREATE DATABASE \(unescaped: name)")
            group.cancelAll()
        }
        return serverURL.split(separator: "/", omittingEmptySubsequences: false).dropLast().joined(separator: "/") + "/" + name
    }

    /// Runs `body` in a transaction; the store's own errors (quotas) come out
    /// as themselves rather than wrapped in the driver's transaction error.
    private func transaction<T: Sendable>(_ body: (PostgresConnection, Logger) async throws -> sending T) async throws -> sending T {
        do {
            return try await client.withTransaction(logger: logger) { connection in try await body(connection, logger) }
        } catch let error as PostgresTransactionError {
            if let cause = error.closureError as? StoreError { throw cause }
            throw error
        }
    }

    private func rows(_ query: PostgresQuery) async throws -> [PostgresRow] {
        try await client.query(query, logger: logger).collect()
    }

    private static func rows(_ connection: PostgresConnection, _ query: PostgresQuery, _ logger: Logger) async throws -> [PostgresRow] {
        try await connection.query(query, logger: logger).collect()
    }

    // MARK: Users and tokens

    public func createUser(name: String, at: Date) async throws -> User {
        guard User.isValidName(name) else { throw StoreError.invalid("user name '\(name)' must match [a-z0-9][a-z0-9._-]{0,63}") }
        let time = at.timeIntervalSince1970
        _ = try await rows("INSERT INTO users (name, created_at) VALUES (\(name), \(time)) ON CONFLICT (name) DO NOTHING")
        guard let row = try await rows("SELECT * FROM users WHERE name = \(name)").first else { throw StoreError.notFound("user \(name)") }
        return try Self.user(row)
    }

    public func user(named name: String) async throws -> User? {
        try await rows("SELECT * FROM users WHERE name = \(name)").first.map(Self.user)
    }

    public func user(id: Int64) async throws -> User? {
        try await rows("SELECT * FROM users WHERE id = \(id)").first.map(Self.user)
    }

    public func users() async throws -> [User] {
        try await rows("SELECT * FROM users ORDER BY name").map(Self.user)
    }

    public func setUserDisabled(id: Int64, _ disabled: Bool) async throws {
        _ = try await rows("UPDATE users SET disabled = \(disabled) WHERE id = \(id)")
    }

    public func createToken(userID: Int64, role: Role, hash: String, label: String, at: Date, expiresAt: Date?) async throws -> Token {
        let created = at.timeIntervalSince1970, expires = expiresAt?.timeIntervalSince1970
        let row = try await rows("""
            INSERT INTO tokens (user_id, role, hash, label, created_at, expires_at)
            VALUES (\(userID), \(role.rawValue), \(hash), \(label), \(created), \(expires)) RETURNING *
            """)
        guard let first = row.first else { throw StoreError.conflict("the token was not stored") }
        return try Self.token(first)
    }

    public func useToken(hash: String, at: Date) async throws -> (Token, User)? {
        guard let row = try await rows("SELECT * FROM tokens WHERE hash = \(hash)").first else { return nil }
        var token = try Self.token(row)
        guard let user = try await user(id: token.userID) else { return nil }
        if token.lastUsedAt.map({ at.timeIntervalSince($0) > 60 }) ?? true {
            let time = at.timeIntervalSince1970
            _ = try await rows("UPDATE tokens SET last_used_at = \(time) WHERE id = \(token.id)")
            token.lastUsedAt = at
        }
        return (token, user)
    }

    public func tokens(userID: Int64?) async throws -> [Token] {
        if let userID { return try await rows("SELECT * FROM tokens WHERE user_id = \(userID) ORDER BY id").map(Self.token) }
        return try await rows("SELECT * FROM tokens ORDER BY id").map(Self.token)
    }

    public func submissionsByToken(since date: Date) async throws -> [Int64: Int] {
        let time = date.timeIntervalSince1970
        var counts: [Int64: Int] = [:]
        for row in try await rows("SELECT token_id, COUNT(*) FROM jobs WHERE created_at >= \(time) AND token_id IS NOT NULL GROUP BY token_id") {
            let (token, count) = try row.decode((Int64, Int).self)
            counts[token] = count
        }
        return counts
    }

    public func revokeToken(id: Int64, at: Date) async throws -> Bool {
        let time = at.timeIntervalSince1970
        return try await !rows("UPDATE tokens SET revoked_at = \(time) WHERE id = \(id) AND revoked_at IS NULL RETURNING id").isEmpty
    }

    // MARK: Jobs

    public func insert(_ job: Job, limits: SubmissionLimits?) async throws -> (job: Job, created: Bool) {
        return try await transaction { connection, logger in
            // One submission of a user at a time: the quota checks below hold.
            _ = try await Self.rows(connection, "SELECT id FROM users WHERE id = \(job.userID) FOR UPDATE", logger)
            if let key = job.idempotencyKey,
                let row = try await Self.rows(connection, "SELECT * FROM jobs WHERE user_id = \(job.userID) AND idempotency_key = \(key)", logger).first
            {
                return (try Self.job(row), false)
            }
            if let limits {
                let queued = try await Self.rows(connection, "SELECT COALESCE(SUM(n), 0)::BIGINT FROM queue_counts WHERE user_id = \(job.userID)", logger)
                    .first?.decode(Int.self) ?? 0
                if queued >= limits.maxQueued { throw StoreError.queueQuota(limit: limits.maxQueued) }
                let since = limits.windowStart.timeIntervalSince1970
                let recent = try await Self.rows(connection, "SELECT COUNT(*), MIN(created_at) FROM jobs WHERE user_id = \(job.userID) AND created_at >= \(since)", logger).first
                if let recent, let (count, oldest) = try? recent.decode((Int, Double?).self), count >= limits.maxPerWindow {
                    throw StoreError.rateQuota(limit: limits.maxPerWindow, oldest: Date(timeIntervalSince1970: oldest ?? since))
                }
            }
            let metadata = try JSONColumn.encode(job.metadata), created = job.createdAt.timeIntervalSince1970
            _ = try await Self.rows(connection, """
                INSERT INTO jobs (id, user_id, competition_id, competition_version, state, priority, file_name, expected_time,
                    metadata, idempotency_key, request_id, created_at, token_id)
                VALUES (\(job.id), \(job.userID), \(job.competitionID), \(job.competitionVersion), 'queued', \(job.priority),
                    \(job.fileName), \(job.expectedTime), \(metadata), \(job.idempotencyKey), \(job.requestID), \(created), \(job.tokenID))
                """, logger)
            try await Self.record(connection, JobEvent(jobID: job.id, at: job.createdAt, from: nil, to: .queued, actor: "user:\(job.userID)", reason: "submitted"), logger)
            return (job, true)
        }
    }

    public func job(id: String) async throws -> Job? {
        try await rows("SELECT * FROM jobs WHERE id = \(id)").first.map(Self.job)
    }

    public func jobs(_ filter: JobFilter) async throws -> (jobs: [Job], nextCursor: String?) {
        var cursor: Int64 = .max
        if let text = filter.cursor {
            guard let seq = Int64(text), seq > 0 else { throw StoreError.invalid("cursor '\(text.prefix(32))' is not one this server gave out") }
            cursor = seq
        }
        let limit = min(max(filter.limit, 1), 500)
        let found = try await rows("""
            SELECT * FROM jobs WHERE seq < \(cursor)
              AND (\(filter.userID)::BIGINT IS NULL OR user_id = \(filter.userID))
              AND (\(filter.state?.rawValue)::TEXT IS NULL OR state = \(filter.state?.rawValue))
              AND (\(filter.competitionID)::TEXT IS NULL OR competition_id = \(filter.competitionID))
            ORDER BY seq DESC LIMIT \(limit + 1)
            """)
        let page = found.prefix(limit)
        let next = found.count > limit ? try page.last.map { String(try $0.makeRandomAccess()["seq"].decode(Int64.self)) } : nil
        return (try page.map(Self.job), next)
    }

    public func queuedJobs(userID: Int64, limit: Int) async throws -> [Job] {
        try await rows("SELECT * FROM jobs WHERE user_id = \(userID) AND state = 'queued' ORDER BY priority DESC, seq ASC LIMIT \(limit)")
            .map(Self.job)
    }

    public func events(jobID: String) async throws -> [JobEvent] {
        try await rows("SELECT * FROM job_events WHERE job_id = \(jobID) ORDER BY id").map(Self.event)
    }

    public func claim(worker: String, competitions: Set<String>, maxRunningPerUser: Int, maxExpectedTime: Double?,
                      at: Date, leaseUntil: Date) async throws -> Job? {
        guard !competitions.isEmpty else { return nil }
        let ids = competitions.sorted(), until = leaseUntil.timeIntervalSince1970, now = at.timeIntervalSince1970
        let statement = PostgresClaim(competitions: ids, maxExpectedTime: maxExpectedTime, maxRunningPerUser: maxRunningPerUser,
                                      worker: worker, leaseUntil: until, at: now)
        var claimed: Job?
        for try await job in try await client.execute(statement, logger: logger) { claimed = job }
        return claimed
    }

    public func renew(jobID: String, worker: String, until: Date) async throws -> Job? {
        let time = until.timeIntervalSince1970
        return try await rows("""
            UPDATE jobs SET lease_expires_at = \(time)
            WHERE id = \(jobID) AND lease_owner = \(worker) AND state IN ('leased', 'running') RETURNING *
            """).first.map(Self.job)
    }

    public func report(jobID: String, worker: String, update: JobUpdate, at: Date, maxAttempts: Int) async throws -> Job? {
        return try await transaction { connection, logger in
            guard let row = try await Self.rows(connection, "SELECT * FROM jobs WHERE id = \(jobID) FOR UPDATE", logger).first else { return nil }
            let before = try Self.job(row)
            guard let (job, reason) = JobTransitions.apply(update, to: before, worker: worker, at: at, maxAttempts: maxAttempts) else { return nil }
            try await Self.save(connection, job, logger)
            if job.state != before.state {
                try await Self.record(connection, JobEvent(jobID: jobID, at: at, from: before.state, to: job.state, actor: "worker:\(worker)", reason: reason), logger)
            }
            return job
        }
    }

    public func setPriority(jobID: String, priority: Int, actor: String, at: Date) async throws -> Job? {
        return try await transaction { connection, logger in
            guard let row = try await Self.rows(connection, "UPDATE jobs SET priority = \(priority) WHERE id = \(jobID) AND state = 'queued' RETURNING *", logger).first else { return nil }
            try await Self.record(connection, JobEvent(jobID: jobID, at: at, from: .queued, to: .queued, actor: actor, reason: "priority set to \(priority)"), logger)
            return try Self.job(row)
        }
    }

    public func cancel(jobID: String, actor: String, at: Date) async throws -> Job? {
        return try await transaction { connection, logger in
            guard let row = try await Self.rows(connection, "SELECT * FROM jobs WHERE id = \(jobID) FOR UPDATE", logger).first else { return nil }
            let before = try Self.job(row)
            guard let (job, event) = JobTransitions.cancel(before, actor: actor, at: at) else { return before }
            try await Self.save(connection, job, logger)
            try await Self.record(connection, event, logger)
            return job
        }
    }

    public func requeueExpired(at: Date, heldBy: String?, maxAttempts: Int) async throws -> [Job] {
        let now = at.timeIntervalSince1970
        return try await transaction { connection, logger in
            let found = try await Self.rows(connection, """
                SELECT * FROM jobs WHERE state IN ('leased', 'running')
                  AND (lease_owner = \(heldBy) OR (\(heldBy)::TEXT IS NULL AND lease_expires_at < \(now))) FOR UPDATE SKIP LOCKED
                """, logger)
            var changed: [Job] = []
            for row in found {
                let (job, event) = JobTransitions.requeue(try Self.job(row), at: at, restart: heldBy != nil, maxAttempts: maxAttempts)
                try await Self.save(connection, job, logger)
                try await Self.record(connection, event, logger)
                changed.append(job)
            }
            return changed
        }
    }

    // MARK: Nodes

    public func touchNode(name: String, slots: Int, labels: [String: String], version: String, at: Date) async throws -> Node {
        let encoded = try JSONColumn.encode(labels) ?? "{}", time = at.timeIntervalSince1970
        guard let row = try await rows("""
            INSERT INTO nodes (name, slots, labels, version, last_seen) VALUES (\(name), \(slots), \(encoded), \(version), \(time))
            ON CONFLICT (name) DO UPDATE SET slots = excluded.slots, labels = excluded.labels,
                version = excluded.version, last_seen = excluded.last_seen
            RETURNING *
            """).first else { throw StoreError.conflict("node \(name) was not recorded") }
        return try Self.node(row)
    }

    public func nodes() async throws -> [Node] {
        try await rows("SELECT * FROM nodes ORDER BY name").map(Self.node)
    }

    public func setNodeState(name: String, _ state: Node.State) async throws -> Node? {
        try await rows("""
            UPDATE nodes SET state = \(state.rawValue),
                infra_failures = CASE WHEN \(state.rawValue) = 'active' THEN 0 ELSE infra_failures END,
                infra_node_faults = CASE WHEN \(state.rawValue) = 'active' THEN 0 ELSE infra_node_faults END,
                infra_failure_users = CASE WHEN \(state.rawValue) = 'active' THEN '' ELSE infra_failure_users END
            WHERE name = \(name) RETURNING *
            """).first.map(Self.node)
    }

    public func recordNodeOutcome(name: String, failure: NodeFailure?) async throws -> Node? {
        guard let failure else {
            return try await rows("""
                UPDATE nodes SET infra_failures = 0, infra_node_faults = 0, infra_failure_users = '' WHERE name = \(name) RETURNING *
                """).first.map(Self.node)
        }
        let token = ",\(failure.userID),", appended = "\(failure.userID),"
        let fault = failure.nodeFault ? 1 : 0
        return try await rows("""
            UPDATE nodes SET infra_failures = infra_failures + 1, infra_node_faults = infra_node_faults + \(fault),
                infra_failure_users = CASE WHEN strpos(infra_failure_users, \(token)) > 0 THEN infra_failure_users
                    WHEN infra_failure_users = '' THEN \(token) ELSE infra_failure_users || \(appended) END
            WHERE name = \(name) RETURNING *
            """).first.map(Self.node)
    }

    // MARK: Queue and accounting

    public func queueSnapshot() async throws -> QueueSnapshot {
        let entries = try await rows("SELECT user_id, priority, n FROM queue_counts WHERE n > 0").map { row in
            let (user, priority, count) = try row.decode((Int64, Int, Int).self)
            return QueueSnapshot.Entry(userID: user, priority: priority, count: count)
        }
        let running = try await rows("SELECT COALESCE(SUM(n), 0)::BIGINT FROM running_counts").first?.decode(Int.self) ?? 0
        return QueueSnapshot(entries: entries, running: running)
    }

    public func rank(of job: Job) async throws -> Int {
        try await rows("""
            SELECT COUNT(*) FROM jobs WHERE state = 'queued' AND user_id = \(job.userID)
              AND (priority > \(job.priority) OR (priority = \(job.priority) AND seq < (SELECT seq FROM jobs WHERE id = \(job.id))))
            """).first?.decode(Int.self) ?? 0
    }

    public func averageRunSeconds(competitionID: String?) async throws -> Double? {
        try await rows("""
            SELECT AVG(finished_at - started_at) FROM (SELECT finished_at, started_at FROM jobs
            WHERE finished_at IS NOT NULL AND started_at IS NOT NULL AND (\(competitionID)::TEXT IS NULL OR competition_id = \(competitionID))
            ORDER BY finished_at DESC LIMIT 50) recent
            """).first?.decode(Double?.self)
    }

    public func stateCounts() async throws -> [JobState: Int] {
        var counts: [JobState: Int] = [:]
        for row in try await rows("SELECT state, COUNT(*) FROM jobs GROUP BY state") {
            let (state, count) = try row.decode((String, Int).self)
            if let s = JobState(rawValue: state) { counts[s] = count }
        }
        return counts
    }

    public func takePrunable(before: Date, limit: Int) async throws -> [String] {
        let time = before.timeIntervalSince1970
        return try await rows("""
            UPDATE jobs SET files_pruned = TRUE WHERE seq IN (
                SELECT seq FROM jobs WHERE NOT files_pruned AND finished_at IS NOT NULL AND finished_at < \(time)
                ORDER BY finished_at LIMIT \(limit) FOR UPDATE SKIP LOCKED)
            RETURNING id
            """).map { try $0.decode(String.self) }
    }

    public func deleteHistory(finishedBefore date: Date, limit: Int) async throws -> Int {
        let time = date.timeIntervalSince1970
        return try await rows("""
            WITH old AS (
                SELECT id FROM jobs WHERE finished_at IS NOT NULL AND finished_at < \(time) AND files_pruned
                ORDER BY finished_at LIMIT \(limit) FOR UPDATE SKIP LOCKED),
            events AS (DELETE FROM job_events WHERE job_id IN (SELECT id FROM old))
            DELETE FROM jobs WHERE id IN (SELECT id FROM old) RETURNING id
            """).count
    }

    // MARK: Helpers

    static func save(_ connection: PostgresConnection, _ job: Job, _ logger: Logger) async throws {
        let started = job.startedAt?.timeIntervalSince1970, finished = job.finishedAt?.timeIntervalSince1970
        let lease = job.leaseExpiresAt?.timeIntervalSince1970
        let solution = try JSONColumn.encode(job.solutionReport), grade = try JSONColumn.encode(job.gradeReport)
        let results = try JSONColumn.encode(job.results), error = try JSONColumn.encode(job.error)
        _ = try await rows(connection, """
            UPDATE jobs SET state = \(job.state.rawValue), started_at = \(started), finished_at = \(finished),
                cancel_requested = \(job.cancelRequested), solution_report = \(solution), grade_report = \(grade),
                score = \(job.score), results = \(results), error = \(error), lease_owner = \(job.leaseOwner),
                lease_expires_at = \(lease)
            WHERE id = \(job.id)
            """, logger)
    }

    static func record(_ connection: PostgresConnection, _ event: JobEvent, _ logger: Logger) async throws {
        let at = event.at.timeIntervalSince1970
        _ = try await rows(connection, """
            INSERT INTO job_events (job_id, at, from_state, to_state, actor, reason)
            VALUES (\(event.jobID), \(at), \(event.from?.rawValue), \(event.to.rawValue), \(event.actor), \(event.reason))
            """, logger)
    }
}
