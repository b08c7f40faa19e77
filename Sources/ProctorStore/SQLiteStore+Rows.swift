import GRDB
import ProctorCore

import Foundation

/// Row decoding and JSON columns of the SQLite store.
extension SQLiteStore {
    static func date(_ value: Double?) -> Date? { value.map { Date(timeIntervalSince1970: $0) } }

    static func user(_ row: Row) -> User {
        User(id: row["id"], name: row["name"], createdAt: Date(timeIntervalSince1970: row["created_at"]),
             lastRunAt: date(row["last_run_at"]), disabled: row["disabled"])
    }

    static func token(_ row: Row) -> Token {
        var token = Token(id: row["id"], userID: row["user_id"], role: Role(rawValue: row["role"]) ?? .user,
                          hash: row["hash"], label: row["label"], createdAt: Date(timeIntervalSince1970: row["created_at"]),
                          expiresAt: date(row["expires_at"]))
        token.revokedAt = date(row["revoked_at"])
        token.lastUsedAt = date(row["last_used_at"])
        return token
    }

    static func job(_ row: Row) -> Job {
        var job = Job(
            id: row["id"], userID: row["user_id"], competitionID: row["competition_id"],
            competitionVersion: row["competition_version"], fileName: row["file_name"], requestID: row["request_id"],
            createdAt: Date(timeIntervalSince1970: row["created_at"]), priority: row["priority"],
            expectedTime: row["expected_time"], metadata: JSONColumn.decode(JSONValue.self, row["metadata"]),
            idempotencyKey: row["idempotency_key"])
        job.state = JobState(rawValue: row["state"]) ?? .errored
        job.startedAt = date(row["started_at"])
        job.finishedAt = date(row["finished_at"])
        job.attempts = row["attempts"]
        job.cancelRequested = row["cancel_requested"]
        job.solutionReport = JSONColumn.decode(JSONValue.self, row["solution_report"])
        job.gradeReport = JSONColumn.decode(JSONValue.self, row["grade_report"])
        job.score = row["score"]
        job.results = JSONColumn.decode([JSONValue].self, row["results"])
        job.error = JSONColumn.decode(JobError.self, row["error"])
        job.leaseOwner = row["lease_owner"]
        job.leaseExpiresAt = date(row["lease_expires_at"])
        job.tokenID = row["token_id"]
        return job
    }

    static func node(_ row: Row) -> Node {
        var node = Node(name: row["name"], state: Node.State(rawValue: row["state"]) ?? .active, slots: row["slots"],
                        labels: JSONColumn.decode([String: String].self, row["labels"]) ?? [:], version: row["version"],
                        lastSeen: Date(timeIntervalSince1970: row["last_seen"]))
        node.infrastructureFailures = row["infra_failures"]
        node.infrastructureFailureUsers = Node.failureUsers(fromColumn: row["infra_failure_users"])
        node.nodeFaults = row["infra_node_faults"]
        return node
    }

    static func event(_ row: Row) -> JobEvent {
        JobEvent(jobID: row["job_id"], at: Date(timeIntervalSince1970: row["at"]),
                 from: (row["from_state"] as String?).flatMap(JobState.init(rawValue:)),
                 to: JobState(rawValue: row["to_state"]) ?? .errored, actor: row["actor"], reason: row["reason"])
    }
}
