import Foundation
import ProctorCore

/// How the domain's values are read from rows and written back, the same for both databases.
extension User {
    init(row: SQLRow) throws {
        self.init(id: try row.value("id"), name: try row.value("name"), createdAt: try row.value("created_at"),
                  lastRunAt: try row.value("last_run_at"), disabled: try row.value("disabled"))
    }
}

extension Token {
    init(row: SQLRow) throws {
        self.init(id: try row.value("id"), userID: try row.value("user_id"), role: Role(rawValue: try row.value("role")) ?? .user,
                  hash: try row.value("hash"), label: try row.value("label"), createdAt: try row.value("created_at"),
                  expiresAt: try row.value("expires_at"))
        revokedAt = try row.value("revoked_at")
        lastUsedAt = try row.value("last_used_at")
    }
}

extension Job {
    init(row: SQLRow) throws {
        self.init(
            id: try row.value("id"), userID: try row.value("user_id"), competitionID: try row.value("competition_id"),
            competitionVersion: try row.value("competition_version"), fileName: try row.value("file_name"),
            requestID: try row.value("request_id"), createdAt: try row.value("created_at"), priority: try row.value("priority"),
            expectedTime: try row.value("expected_time"), metadata: JSONColumn.decode(JSONValue.self, try row.value("metadata")),
            idempotencyKey: try row.value("idempotency_key"))
        state = JobState(rawValue: try row.value("state")) ?? .errored
        startedAt = try row.value("started_at")
        finishedAt = try row.value("finished_at")
        attempts = try row.value("attempts")
        cancelRequested = try row.value("cancel_requested")
        solutionReport = JSONColumn.decode(JSONValue.self, try row.value("solution_report"))
        gradeReport = JSONColumn.decode(JSONValue.self, try row.value("grade_report"))
        score = try row.value("score")
        publicScore = try row.value("public_score")
        results = JSONColumn.decode([JSONValue].self, try row.value("results"))
        error = JSONColumn.decode(JobError.self, try row.value("error"))
        leaseOwner = try row.value("lease_owner")
        leaseExpiresAt = try row.value("lease_expires_at")
        tokenID = try row.value("token_id")
    }

    /// Writes back what a job's life changes: state, times, reports, result and lease.
    var saved: SQL {
        get throws {
            """
            UPDATE jobs SET state = \(state.rawValue), started_at = \(startedAt), finished_at = \(finishedAt),
                cancel_requested = \(cancelRequested), solution_report = \(try JSONColumn.encode(solutionReport)),
                grade_report = \(try JSONColumn.encode(gradeReport)), score = \(score), public_score = \(publicScore), results = \(try JSONColumn.encode(results)),
                error = \(try JSONColumn.encode(error)), fault = \(error?.fault.rawValue), lease_owner = \(leaseOwner), lease_expires_at = \(leaseExpiresAt)
            WHERE id = \(id)
            """
        }
    }
}

extension Node {
    init(row: SQLRow) throws {
        self.init(name: try row.value("name"), state: Node.State(rawValue: try row.value("state")) ?? .active, slots: try row.value("slots"),
                  labels: JSONColumn.decode([String: String].self, try row.value("labels")) ?? [:], version: try row.value("version"),
                  lastSeen: try row.value("last_seen"))
        infrastructureFailures = try row.value("infra_failures")
        infrastructureFailureUsers = Node.failureUsers(fromColumn: try row.value("infra_failure_users"))
        nodeFaults = try row.value("infra_node_faults")
        competitions = Set(JSONColumn.decode([String].self, try row.value("competitions")) ?? [])
        environments = JSONColumn.decode([String: EnvironmentStatus].self, try row.value("environments")) ?? [:]
    }
}

extension JobEvent {
    init(row: SQLRow) throws {
        self.init(jobID: try row.value("job_id"), at: try row.value("at"),
                  from: (try row.value("from_state", as: String?.self)).flatMap(JobState.init(rawValue:)),
                  to: JobState(rawValue: try row.value("to_state")) ?? .errored, actor: try row.value("actor"), reason: try row.value("reason"))
    }

    /// Records the event.
    var inserted: SQL {
        """
        INSERT INTO job_events (job_id, at, from_state, to_state, actor, reason)
        VALUES (\(jobID), \(at), \(from?.rawValue), \(to.rawValue), \(actor), \(reason))
        """
    }
}
