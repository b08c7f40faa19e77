import Foundation
import PostgresNIO
import ProctorCore

/// Row decoding of the PostgreSQL store (the same columns as SQLite's).
extension PostgresStore {
    static func user(_ row: PostgresRow) throws -> User {
        let r = row.makeRandomAccess()
        return User(id: try r["id"].decode(Int64.self), name: try r["name"].decode(String.self),
                    createdAt: Date(timeIntervalSince1970: try r["created_at"].decode(Double.self)),
                    lastRunAt: try r["last_run_at"].decode(Double?.self).map(Date.init(timeIntervalSince1970:)),
                    disabled: try r["disabled"].decode(Bool.self))
    }

    static func token(_ row: PostgresRow) throws -> Token {
        let r = row.makeRandomAccess()
        var token = Token(
            id: try r["id"].decode(Int64.self), userID: try r["user_id"].decode(Int64.self),
            role: Role(rawValue: try r["role"].decode(String.self)) ?? .user, hash: try r["hash"].decode(String.self),
            label: try r["label"].decode(String.self), createdAt: Date(timeIntervalSince1970: try r["created_at"].decode(Double.self)),
            expiresAt: try r["expires_at"].decode(Double?.self).map(Date.init(timeIntervalSince1970:)))
        token.revokedAt = try r["revoked_at"].decode(Double?.self).map(Date.init(timeIntervalSince1970:))
        token.lastUsedAt = try r["last_used_at"].decode(Double?.self).map(Date.init(timeIntervalSince1970:))
        return token
    }

    static func job(_ row: PostgresRow) throws -> Job {
        let r = row.makeRandomAccess()
        func date(_ name: String) throws -> Date? { try r[name].decode(Double?.self).map(Date.init(timeIntervalSince1970:)) }
        var job = Job(
            id: try r["id"].decode(String.self), userID: try r["user_id"].decode(Int64.self),
            competitionID: try r["competition_id"].decode(String.self), competitionVersion: try r["competition_version"].decode(String.self),
            fileName: try r["file_name"].decode(String.self), requestID: try r["request_id"].decode(String.self),
            createdAt: Date(timeIntervalSince1970: try r["created_at"].decode(Double.self)), priority: try r["priority"].decode(Int.self),
            expectedTime: try r["expected_time"].decode(Double?.self),
            metadata: JSONColumn.decode(JSONValue.self, try r["metadata"].decode(String?.self)),
            idempotencyKey: try r["idempotency_key"].decode(String?.self))
        job.state = JobState(rawValue: try r["state"].decode(String.self)) ?? .errored
        job.startedAt = try date("started_at")
        job.finishedAt = try date("finished_at")
        job.attempts = try r["attempts"].decode(Int.self)
        job.cancelRequested = try r["cancel_requested"].decode(Bool.self)
        job.solutionReport = JSONColumn.decode(JSONValue.self, try r["solution_report"].decode(String?.self))
        job.gradeReport = JSONColumn.decode(JSONValue.self, try r["grade_report"].decode(String?.self))
        job.score = try r["score"].decode(Double?.self)
        job.results = JSONColumn.decode([JSONValue].self, try r["results"].decode(String?.self))
        job.error = JSONColumn.decode(JobError.self, try r["error"].decode(String?.self))
        job.leaseOwner = try r["lease_owner"].decode(String?.self)
        job.leaseExpiresAt = try date("lease_expires_at")
        job.tokenID = try r["token_id"].decode(Int64?.self)
        return job
    }

    static func node(_ row: PostgresRow) throws -> Node {
        let r = row.makeRandomAccess()
        var node = Node(
            name: try r["name"].decode(String.self), state: Node.State(rawValue: try r["state"].decode(String.self)) ?? .active,
            slots: try r["slots"].decode(Int.self), labels: JSONColumn.decode([String: String].self, try r["labels"].decode(String.self)) ?? [:],
            version: try r["version"].decode(String.self), lastSeen: Date(timeIntervalSince1970: try r["last_seen"].decode(Double.self)))
        node.infrastructureFailures = try r["infra_failures"].decode(Int.self)
        node.infrastructureFailureUsers = Node.failureUsers(fromColumn: try r["infra_failure_users"].decode(String.self))
        node.nodeFaults = try r["infra_node_faults"].decode(Int.self)
        return node
    }

    static func event(_ row: PostgresRow) throws -> JobEvent {
        let r = row.makeRandomAccess()
        return JobEvent(
            jobID: try r["job_id"].decode(String.self), at: Date(timeIntervalSince1970: try r["at"].decode(Double.self)),
            from: try r["from_state"].decode(String?.self).flatMap(JobState.init(rawValue:)),
            to: JobState(rawValue: try r["to_state"].decode(String.self)) ?? .errored,
            actor: try r["actor"].decode(String.self), reason: try r["reason"].decode(String.self))
    }
}
