import GRDB

/// Versioned migrations of the SQLite store. Each runs once, in a transaction;
/// running the server (or an admin command) again finds them applied.
enum SQLiteSchema {
    static var migrator: DatabaseMigrator {
        var migrator = DatabaseMigrator()
        migrator.registerMigration("v1: users, tokens, jobs, events") { db in
            try db.execute(sql: """
                CREATE TABLE users (
                    id INTEGER PRIMARY KEY,
                    name TEXT NOT NULL UNIQUE,
                    created_at REAL NOT NULL,
                    last_run_at REAL,
                    disabled INTEGER NOT NULL DEFAULT 0);
                CREATE TABLE tokens (
                    id INTEGER PRIMARY KEY,
                    user_id INTEGER NOT NULL REFERENCES users(id),
                    role TEXT NOT NULL,
                    hash TEXT NOT NULL UNIQUE,
                    label TEXT NOT NULL,
                    created_at REAL NOT NULL,
                    expires_at REAL,
                    revoked_at REAL,
                    last_used_at REAL);
                CREATE TABLE jobs (
                    seq INTEGER PRIMARY KEY AUTOINCREMENT,
                    id TEXT NOT NULL UNIQUE,
                    user_id INTEGER NOT NULL REFERENCES users(id),
                    competition_id TEXT NOT NULL,
                    competition_version TEXT NOT NULL,
                    state TEXT NOT NULL,
                    priority INTEGER NOT NULL DEFAULT 0,
                    file_name TEXT NOT NULL,
                    expected_time REAL,
                    metadata TEXT,
                    idempotency_key TEXT,
                    request_id TEXT NOT NULL,
                    created_at REAL NOT NULL,
                    started_at REAL,
                    finished_at REAL,
                    attempts INTEGER NOT NULL DEFAULT 0,
                    cancel_requested INTEGER NOT NULL DEFAULT 0,
                    solution_report TEXT,
                    grade_report TEXT,
                    score REAL,
                    results TEXT,
                    error TEXT,
                    lease_owner TEXT,
                    lease_expires_at REAL,
                    files_pruned INTEGER NOT NULL DEFAULT 0,
                    UNIQUE (user_id, idempotency_key));
                CREATE INDEX jobs_queue ON jobs(state, priority DESC, seq);
                CREATE INDEX jobs_by_user ON jobs(user_id, seq);
                CREATE INDEX jobs_by_user_state ON jobs(user_id, state);
                CREATE INDEX jobs_finished ON jobs(finished_at);
                CREATE TABLE job_events (
                    id INTEGER PRIMARY KEY,
                    job_id TEXT NOT NULL REFERENCES jobs(id),
                    at REAL NOT NULL,
                    from_state TEXT,
                    to_state TEXT NOT NULL,
                    actor TEXT NOT NULL,
                    reason TEXT NOT NULL);
                CREATE INDEX job_events_by_job ON job_events(job_id, id);
                """)
        }
        migrator.registerMigration("v2: nodes") { db in
            try db.execute(sql: """
                CREATE TABLE nodes (
                    name TEXT PRIMARY KEY,
                    state TEXT NOT NULL DEFAULT 'active',
                    slots INTEGER NOT NULL,
                    labels TEXT NOT NULL,
                    version TEXT NOT NULL,
                    last_seen REAL NOT NULL);
                """)
        }
        migrator.registerMigration("v3: node failure counts") { db in
            try db.execute(sql: "ALTER TABLE nodes ADD COLUMN infra_failures INTEGER NOT NULL DEFAULT 0")
        }
        migrator.registerMigration("v4: who a node's failures struck") { db in
            try db.execute(sql: "ALTER TABLE nodes ADD COLUMN infra_failure_users TEXT NOT NULL DEFAULT ''")
            try db.execute(sql: "ALTER TABLE nodes ADD COLUMN infra_node_faults INTEGER NOT NULL DEFAULT 0")
        }
        migrator.registerMigration("v5: queue and state counts kept by triggers") { db in
            try db.execute(sql: QueueCounts.sqlite)
        }
        migrator.registerMigration("v6: the token behind each job") { db in
            try db.execute(sql: "ALTER TABLE jobs ADD COLUMN token_id INTEGER")
            try db.execute(sql: "CREATE INDEX jobs_created ON jobs(created_at)")
        }
        return migrator
    }
}
