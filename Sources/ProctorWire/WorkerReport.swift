import ProctorCore

/// `POST /v1/worker/jobs/{id}/report`: what happened to a job, as a worker
/// saw it. The service decides what follows (a retry, the final state).
public struct WorkerReport: Codable, Sendable {
    public var state: JobState
    public var reason: String
    public var solutionReport: JSONValue?
    public var gradeReport: JSONValue?
    public var score: Double?
    public var results: [JSONValue]?
    public var error: JobError?
    /// The worker itself caused the failure (see ``JobUpdate/nodeFault``).
    public var nodeFault: Bool?

    public init(_ update: JobUpdate) {
        state = update.state
        reason = update.reason
        solutionReport = update.solutionReport
        gradeReport = update.gradeReport
        score = update.score
        results = update.results
        error = update.error
        nodeFault = update.nodeFault
    }

    /// The domain update the service applies.
    public var update: JobUpdate {
        JobUpdate(state: state, reason: reason, solutionReport: solutionReport, gradeReport: gradeReport, score: score,
                  results: results, error: error, nodeFault: nodeFault)
    }

    enum CodingKeys: String, CodingKey {
        case state, reason, score, results, error
        case solutionReport = "solution_report", gradeReport = "grade_report", nodeFault = "node_fault"
    }
}
