import ProctorCore

#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif

/// A job as the service hands it to a worker: what the worker needs to run
/// it, nothing of the service's own bookkeeping (owner, quotas, other
/// attempts' results).
public struct WorkerJob: Codable, Sendable, Equatable {
    public var id: String
    public var competition: String
    public var competitionVersion: String
    public var fileName: String
    public var expectedTime: Double?
    /// This attempt's number, counting from 1.
    public var attempt: Int
    public var requestID: String

    public init(_ job: Job) {
        id = job.id
        competition = job.competitionID
        competitionVersion = job.competitionVersion
        fileName = job.fileName
        expectedTime = job.expectedTime
        attempt = job.attempts
        requestID = job.requestID
    }

    /// The domain job a worker runs (owned by nobody it knows, leased to it).
    public var job: Job {
        var job = Job(id: id, userID: 0, competitionID: competition, competitionVersion: competitionVersion, fileName: fileName,
                      requestID: requestID, createdAt: Date(), expectedTime: expectedTime)
        job.state = .leased
        job.attempts = attempt
        return job
    }

    enum CodingKeys: String, CodingKey {
        case id, competition, attempt
        case competitionVersion = "competition_version", fileName = "file_name", expectedTime = "expected_time"
        case requestID = "request_id"
    }
}
