/// A change a worker reports for a job it holds; applied only while it still
/// holds the job's lease.
public struct JobUpdate: Sendable, Equatable {
    public var state: JobState
    public var reason: String
    public var solutionReport: JSONValue?
    public var gradeReport: JSONValue?
    public var score: Double?
    public var results: [JSONValue]?
    public var error: JobError?
    /// The worker itself caused this failure (its files, its sandbox that
    /// would not start, its GPUs, its copy of the data), as opposed to a
    /// failure that followed what the job's program did. Only such failures,
    /// or failures across different users' jobs, take a node out of rotation.
    public var nodeFault: Bool?

    public init(state: JobState, reason: String, solutionReport: JSONValue? = nil, gradeReport: JSONValue? = nil,
                score: Double? = nil, results: [JSONValue]? = nil, error: JobError? = nil, nodeFault: Bool? = nil) {
        self.state = state
        self.reason = reason
        self.solutionReport = solutionReport
        self.gradeReport = gradeReport
        self.score = score
        self.results = results
        self.error = error
        self.nodeFault = nodeFault
    }
}
