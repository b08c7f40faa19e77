import Foundation

/// The store's versioned migrations, one list for both databases. Each runs
/// once, in the transaction that records it in `proctor_migrations`;
/// replicas starting together take a lock first (PostgreSQL), so each
/// migration runs exactly once.
enum Schema {
    struct Migration {
        var version: Int
        var statements: [SQL]
    }

    static func migrations(_ d: SQLDialect) -> [Migration] {
        let real = d.real, bigint = d.bigint, boolean = d.boolean, no = d.literal(false)
        return [
            Migration(version: 1, statements: [
                """
                CREATE TABLE users (
                    id \(raw: d.rowID), name TEXT NOT NULL UNIQUE, created_at \(raw: real) NOT NULL,
                    last_run_at \(raw: real), disabled \(raw: boolean) NOT NULL DEFAULT \(raw: no))
                """,
                """
                CREATE TABLE tokens (
                    id \(raw: d.rowID), user_id \(raw: bigint) NOT NULL REFERENCES users(id), role TEXT NOT NULL,
                    hash TEXT NOT NULL UNIQUE, label TEXT NOT NULL, created_at \(raw: real) NOT NULL,
                    expires_at \(raw: real), revoked_at \(raw: real), last_used_at \(raw: real))
                """,
                """
                CREATE TABLE jobs (
                    seq \(raw: d.sequence), id TEXT NOT NULL UNIQUE, user_id \(raw: bigint) NOT NULL REFERENCES users(id),
                    competition_id TEXT NOT NULL, competition_version TEXT NOT NULL, state TEXT NOT NULL,
                    priority INTEGER NOT NULL DEFAULT 0, file_name TEXT NOT NULL, expected_time \(raw: real),
                    metadata TEXT, idempotency_key TEXT, request_id TEXT NOT NULL, created_at \(raw: real) NOT NULL,
                    started_at \(raw: real), finished_at \(raw: real), attempts INTEGER NOT NULL DEFAULT 0,
                    cancel_requested \(raw: boolean) NOT NULL DEFAULT \(raw: no), solution_report TEXT, grade_report TEXT,
                    score \(raw: real), results TEXT, error TEXT, lease_owner TEXT, lease_expires_at \(raw: real),
                    files_pruned \(raw: boolean) NOT NULL DEFAULT \(raw: no), UNIQUE (user_id, idempotency_key))
                """,
                "CREATE INDEX jobs_queue ON jobs(state, priority DESC, seq)",
                "CREATE INDEX jobs_by_user ON jobs(user_id, seq)",
                "CREATE INDEX jobs_by_user_state ON jobs(user_id, state)",
                "CREATE INDEX jobs_finished ON jobs(finished_at)",
                """
                CREATE TABLE job_events (
                    id \(raw: d.rowID), job_id TEXT NOT NULL REFERENCES jobs(id), at \(raw: real) NOT NULL,
                    from_state TEXT, to_state TEXT NOT NULL, actor TEXT NOT NULL, reason TEXT NOT NULL)
                """,
                "CREATE INDEX job_events_by_job ON job_events(job_id, id)",
            ]),
            Migration(version: 2, statements: [
                """
                CREATE TABLE nodes (
                    name TEXT PRIMARY KEY, state TEXT NOT NULL DEFAULT 'active', slots INTEGER NOT NULL,
                    labels TEXT NOT NULL, version TEXT NOT NULL, last_seen \(raw: real) NOT NULL)
                """,
            ]),
            Migration(version: 3, statements: ["ALTER TABLE nodes ADD COLUMN infra_failures INTEGER NOT NULL DEFAULT 0"]),
            Migration(version: 4, statements: [
                "ALTER TABLE nodes ADD COLUMN infra_failure_users TEXT NOT NULL DEFAULT ''",
                "ALTER TABLE nodes ADD COLUMN infra_node_faults INTEGER NOT NULL DEFAULT 0",
            ]),
            Migration(version: 5, statements: QueueCounts.statements(d)),
            Migration(version: 6, statements: [
                "ALTER TABLE jobs ADD COLUMN token_id \(raw: bigint)",
                "CREATE INDEX jobs_created ON jobs(created_at)",
            ]),
            Migration(version: 7, statements: ["ALTER TABLE jobs ADD COLUMN fault TEXT"]),
            Migration(version: 8, statements: ["ALTER TABLE nodes ADD COLUMN competitions TEXT NOT NULL DEFAULT '[]'"]),
            Migration(version: 9, statements: [
                """
                CREATE TABLE grader_streaks (
                    node TEXT NOT NULL, competition_id TEXT NOT NULL, failures INTEGER NOT NULL, reason TEXT NOT NULL,
                    at \(raw: real) NOT NULL, PRIMARY KEY (node, competition_id))
                """,
            ]),
            Migration(version: 10, statements: ["ALTER TABLE nodes ADD COLUMN environments TEXT NOT NULL DEFAULT '{}'"]),
            // Leaderboards read a competition's succeeded jobs; daily limits count a user's submissions to one.
            Migration(version: 11, statements: [
                "ALTER TABLE jobs ADD COLUMN public_score \(raw: real)",
                "CREATE INDEX jobs_competition_state ON jobs(competition_id, state)",
                "CREATE INDEX jobs_user_competition_created ON jobs(user_id, competition_id, created_at)",
            ]),
            Migration(version: 12, statements: [
                """
                CREATE TABLE web_sessions (
                    id \(raw: d.rowID), hash TEXT NOT NULL UNIQUE, token_id \(raw: bigint) NOT NULL, csrf TEXT NOT NULL,
                    created_at \(raw: real) NOT NULL, expires_at \(raw: real) NOT NULL, revoked_at \(raw: real))
                """,
            ]),
        ]
    }

    /// Applies the migrations the database has not seen, in one transaction.
    static func migrate(_ database: some SQLDatabase) async throws {
        let d = database.dialect
        var first: [SQL] = []
        if d == .postgres {
            // A large table may take longer to change than a query may run.
            first.append("SET LOCAL statement_timeout = 0")
            first.append("SELECT pg_advisory_xact_lock(727274)")
        }
        first.append("CREATE TABLE IF NOT EXISTS proctor_migrations (version INTEGER PRIMARY KEY, applied_at \(raw: d.real) NOT NULL)")
        first.append("SELECT version FROM proctor_migrations")
        let migrations = Self.migrations(d), now = Date()
        try await database.transaction(first) { rows in
            let applied = Set(try rows[rows.count - 1].map { try $0.value("version", as: Int.self) })
            var statements: [SQL] = []
            for migration in migrations where !applied.contains(migration.version) {
                statements += migration.statements
                statements.append("INSERT INTO proctor_migrations (version, applied_at) VALUES (\(migration.version), \(now))")
            }
            return FollowUp(statements, result: ())
        }
    }
}
