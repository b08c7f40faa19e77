/// Whose fault a failed job is. "Your code failed" is never confused with
/// "the grader failed" or "the service failed".
public enum Fault: String, Codable, Sendable {
    case solution, grader, infrastructure, user
}

/// Why a job did not succeed: a stable `type` for programs, a message a person
/// understands, and whose fault it is.
public struct JobError: Error, Codable, Sendable, Equatable {
    public var type: Kind
    public var message: String
    public var fault: Fault

    public init(_ type: Kind, _ message: String) {
        self.type = type
        self.message = message
        self.fault = type.fault
    }

    /// The stable error types of a job.
    public enum Kind: String, Codable, Sendable {
        /// The solution exited non-zero or was killed by a signal.
        case solutionCrashed = "solution_crashed"
        /// The solution went past its memory, process, output or disk limit.
        case solutionLimitExceeded = "solution_limit_exceeded"
        /// The solution went past a time limit.
        case solutionTimedOut = "solution_timed_out"
        /// The solution ended without writing the competition's output file.
        case missingOutput = "missing_output"
        /// The output file is not a regular file, or is too large.
        case invalidOutput = "invalid_output"
        /// The grader crashed or went past a limit.
        case graderFailed = "grader_failed"
        /// The grader's results.jsonl is missing or malformed.
        case invalidResults = "invalid_results"
        /// The service could not run the job (sandbox, data, worker lost too often).
        case infrastructure
        /// No node could run the job for longer than the service waits (its
        /// competition disabled, or no node with what it needs).
        case noCapableNode = "no_capable_node"
        /// The user cancelled the job.
        case cancelled

        public var fault: Fault {
            switch self {
            case .solutionCrashed, .solutionLimitExceeded, .solutionTimedOut, .missingOutput, .invalidOutput: .solution
            case .graderFailed, .invalidResults: .grader
            case .infrastructure, .noCapableNode: .infrastructure
            case .cancelled: .user
            }
        }
    }
}
