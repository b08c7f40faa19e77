import Logging
import PostgresNIO

/// Versioned migrations of the PostgreSQL store. Replicas starting together
/// take an advisory lock, so each migration runs exactly once.
enum PostgresSchema {
    static let migrations: [(version: Int, statements: [PostgresQuery])] = [
        (1, [
            """
            CREATE TABLE users (
                id BIGSERIAL PRIMARY KEY, name TEXT NOT NULL UNIQUE, created_at DOUBLE PRECISION NOT NULL,
                last_run_at DOUBLE PRECISION, disabled BOOLEAN NOT NULL DEFAULT FALSE)
            """,
            """
            CREATE TABLE tokens (
                id BIGSERIAL PRIMARY KEY, user_id BIGINT NOT NULL REFERENCES users(id), role TEXT NOT NULL,
                hash TEXT NOT NULL UNIQUE, label TEXT NOT NULL, created_at DOUBLE PRECISION NOT NULL,
                expires_at DOUBLE PRECISION, revoked_at DOUBLE PRECISION, last_used_at DOUBLE PRECISION)
            """,
            """
            CREATE TABLE jobs (
                seq BIGSERIAL PRIMARY KEY, id TEXT NOT NULL UNIQUE, user_id BIGINT NOT NULL REFERENCES users(id),
                competition_id TEXT NOT NULL, competition_version TEXT NOT NULL, state TEXT NOT NULL,
                priority INTEGER NOT NULL DEFAULT 0, file_name TEXT NOT NULL, expected_time DOUBLE PRECISION,
                metadata TEXT, idempotency_key TEXT, request_id TEXT NOT NULL, created_at DOUBLE PRECISION NOT NULL,
                started_at DOUBLE PRECISION, finished_at DOUBLE PRECISION, attempts INTEGER NOT NULL DEFAULT 0,
                cancel_requested BOOLEAN NOT NULL DEFAULT FALSE, solution_report TEXT, grade_report TEXT,
                score DOUBLE PRECISION, results TEXT, error TEXT, lease_owner TEXT, lease_expires_at DOUBLE PRECISION,
                files_pruned BOOLEAN NOT NULL DEFAULT FALSE, UNIQUE (user_id, idempotency_key))
            """,
            "CREATE INDEX jobs_queue ON jobs(state, priority DESC, seq)",
            "CREATE INDEX jobs_by_user ON jobs(user_id, seq)",
            "CREATE INDEX jobs_by_user_state ON jobs(user_id, state)",
            "CREATE INDEX jobs_finished ON jobs(finished_at)",
            """
            CREATE TABLE job_events (
                id BIGSERIAL PRIMARY KEY, job_id TEXT NOT NULL REFERENCES jobs(id), at DOUBLE PRECISION NOT NULL,
                from_state TEXT, to_state TEXT NOT NULL, actor TEXT NOT NULL, reason TEXT NOT NULL)
            """,
            "CREATE INDEX job_events_by_job ON job_events(job_id, id)",
        ]),
        (2, [
            """
            CREATE TABLE nodes (
                name TEXT PRIMARY KEY, state TEXT NOT NULL DEFAULT 'active', slots INTEGER NOT NULL,
                labels TEXT NOT NULL, version TEXT NOT NULL, last_seen DOUBLE PRECISION NOT NULL)
            """,
        ]),
        (3, ["ALTER TABLE nodes ADD COLUMN infra_failures INTEGER NOT NULL DEFAULT 0"]),
        (4, ["ALTER TABLE nodes ADD COLUMN infra_failure_users TEXT NOT NULL DEFAULT ''",
             "ALTER TABLE nodes ADD COLUMN infra_node_faults INTEGER NOT NULL DEFAULT 0"]),
        (5, QueueCounts.postgres),
        (6, ["ALTER TABLE jobs ADD COLUMN token_id BIGINT", "CREATE INDEX jobs_created ON jobs(created_at)"]),
    ]

    static func migrate(_ client: PostgresClient, logger: Logger) async throws {
        try await client.withTransaction(logger: logger) { connection in
            try await connection.query("SELECT pg_advisory_xact_lock(727274)", logger: logger)
            try await connection.query(
                "CREATE TABLE IF NOT EXISTS proctor_migrations (version INTEGER PRIMARY KEY, applied_at DOUBLE PRECISION NOT NULL)",
                logger: logger)
            var applied = Set<Int>()
            for try await version in try await connection.query("SELECT version FROM proctor_migrations", logger: logger).decode(Int.self) {
                applied.insert(version)
            }
            for migration in migrations where !applied.contains(migration.version) {
                for statement in migration.statements { try await connection.query(statement, logger: logger) }
                let now = Date().timeIntervalSince1970
                try await connection.query("INSERT INTO proctor_migrations (version, applied_at) VALUES (\(migration.version), \(now))", logger: logger)
            }
        }
    }
}

import Foundation
