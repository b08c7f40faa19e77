#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif

/// One submission of a solution for a competition, from queue to verdict.
public struct Job: Codable, Sendable, Equatable, Identifiable {
    public var id: String
    public var userID: Int64
    public var competitionID: String
    /// The competition version the job was accepted for; it keeps it to the end.
    public var competitionVersion: String
    public var state: JobState
    public var priority: Int
    /// The solution's file name, one the competition accepts.
    public var fileName: String
    public var expectedTime: Double?
    public var metadata: JSONValue?
    public var idempotencyKey: String?
    /// The id of the request that created the job; it follows the job into logs.
    public var requestID: String
    public var createdAt: Date
    public var startedAt: Date?
    public var finishedAt: Date?
    /// How many times a worker took the job (infrastructure retries raise it).
    public var attempts: Int
    public var cancelRequested: Bool
    /// The sandbox reports of each stage.
    public var solutionReport: JSONValue?
    public var gradeReport: JSONValue?
    public var score: Double?
    /// The score on the public part of the test set, when the grader gives
    /// one (`public_score`): the leaderboard ranks by it until the competition ends.
    public var publicScore: Double?
    public var results: [JSONValue]?
    public var error: JobError?
    /// The worker holding the job and until when, while leased or running.
    public var leaseOwner: String?
    public var leaseExpiresAt: Date?
    /// The token that submitted the job, so a shared or leaked token can be traced.
    public var tokenID: Int64?

    public init(
        id: String, userID: Int64, competitionID: String, competitionVersion: String, fileName: String,
        requestID: String, createdAt: Date, priority: Int = 0, expectedTime: Double? = nil,
        metadata: JSONValue? = nil, idempotencyKey: String? = nil
    ) {
        self.id = id
        self.userID = userID
        self.competitionID = competitionID
        self.competitionVersion = competitionVersion
        self.state = .queued
        self.priority = priority
        self.fileName = fileName
        self.expectedTime = expectedTime
        self.metadata = metadata
        self.idempotencyKey = idempotencyKey
        self.requestID = requestID
        self.createdAt = createdAt
        self.attempts = 0
        self.cancelRequested = false
    }
}

/// One state change of a job, kept forever as its audit trail.
public struct JobEvent: Codable, Sendable, Equatable {
    public var jobID: String
    public var at: Date
    public var from: JobState?
    public var to: JobState
    /// Who made the change: `user:NAME`, `worker:ID`, `server`.
    public var actor: String
    public var reason: String

    public init(jobID: String, at: Date, from: JobState?, to: JobState, actor: String, reason: String) {
        self.jobID = jobID
        self.at = at
        self.from = from
        self.to = to
        self.actor = actor
        self.reason = reason
    }
}
