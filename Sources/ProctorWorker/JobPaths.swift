/// Where a job's files live under the data directory. Job ids are validated
/// UUIDs, so every path here stays inside `jobs/`.
public struct JobPaths: Sendable {
    public let root: String

    public init(dataDirectory: String, jobID: String) {
        root = dataDirectory + "/jobs/" + jobID
    }

    /// The uploaded solution file, as received.
    public var submission: String { root + "/submission" }
    /// The solution stage's workspace: the submission going in, what it left coming out.
    public var solutionWorkspace: String { root + "/solution" }
    /// The grade stage's workspace: a copy of the output file going in, results.jsonl coming out.
    public var gradeWorkspace: String { root + "/grade" }
    public var logs: String { root + "/logs" }

    /// The log file of a stage's stream (`solution`/`grade`, `stdout`/`stderr`).
    public func log(stage: String, stream: String) -> String { logs + "/\(stage).\(stream)" }
}
