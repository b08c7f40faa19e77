import Foundation
import ProctorCore
import ProctorStore

/// A job as the API shows it. Times are UTC ISO 8601; `position` and
/// `estimated_wait_seconds` appear while the job is queued.
struct JobResource: Encodable {
    var id: String
    var state: JobState
    var competition: String
    var competitionVersion: String
    var user: String?
    var fileName: String
    var createdAt: Date
    var startedAt: Date?
    var finishedAt: Date?
    var attempts: Int
    var position: Int?
    var estimatedWaitSeconds: Double?
    var expectedTime: Double?
    var cancelRequested: Bool
    var metadata: JSONValue?
    var solution: JSONValue?
    var grade: JSONValue?
    var score: Double?
    /// The score on the public part of the test set, when the grader gives one.
    var publicScore: Double?
    var results: [JSONValue]?
    var error: JobError?
    var requestID: String
    /// The token that submitted it (admins only, beside `user`).
    var token: Int64?
    /// Something the submitter should know (no node runs the competition now).
    var warning: String?

    enum CodingKeys: String, CodingKey {
        case id, state, competition, user, token, attempts, position, metadata, solution, grade, score, results, error, warning
        case publicScore = "public_score"
        case competitionVersion = "competition_version", fileName = "file_name", createdAt = "created_at"
        case startedAt = "started_at", finishedAt = "finished_at", estimatedWaitSeconds = "estimated_wait_seconds"
        case expectedTime = "expected_time", cancelRequested = "cancel_requested", requestID = "request_id"
    }

    /// With `hidingPrivateScore` (a participant, before the competition
    /// ends, of a competition whose grader gives a public score), the private
    /// score is left out, from the results too.
    init(_ job: Job, userName: String?, placement: (position: Int, wait: Double?)?, hidingPrivateScore: Bool = false) {
        id = job.id
        state = job.state
        competition = job.competitionID
        competitionVersion = job.competitionVersion
        user = userName
        fileName = job.fileName
        createdAt = job.createdAt
        startedAt = job.startedAt
        finishedAt = job.finishedAt
        attempts = job.attempts
        position = placement?.position
        estimatedWaitSeconds = placement?.wait
        expectedTime = job.expectedTime
        cancelRequested = job.cancelRequested
        metadata = job.metadata
        solution = job.solutionReport
        grade = job.gradeReport
        score = hidingPrivateScore ? nil : job.score
        publicScore = job.publicScore
        results = hidingPrivateScore ? job.results?.map { line in
            guard case .object(var fields) = line else { return line }
            fields["score"] = nil
            return .object(fields)
        } : job.results
        error = job.error
        requestID = job.requestID
        token = userName == nil ? nil : job.tokenID
    }
}

/// Places queued jobs in the fair queue from one snapshot of per-user counts.
struct QueuePlacement {
    let snapshot: QueueSnapshot
    let averageSeconds: Double
    let slots: Int

    /// Position and wait of `job` given its rank among its user's queued jobs.
    func place(_ job: Job, rank: Int) -> (position: Int, wait: Double?) {
        let higher = snapshot.entries.filter { $0.priority > job.priority }.reduce(0) { $0 + $1.count }
        let others = snapshot.entries.filter { $0.priority == job.priority && $0.userID != job.userID }.map { $0.count }
        let sameUserHigher = snapshot.entries.filter { $0.userID == job.userID && $0.priority > job.priority }.reduce(0) { $0 + $1.count }
        let position = higher + QueueEstimate.position(rank: rank - sameUserHigher, otherUsersQueued: others)
        return (position, QueueEstimate.wait(position: position, slots: slots, averageSeconds: averageSeconds))
    }
}
