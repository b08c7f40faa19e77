/// Where a job is in its life. Terminal states never change.
public enum JobState: String, Codable, Sendable, CaseIterable {
    case queued, leased, running, succeeded, failed
    case timedOut = "timed_out"
    case cancelled, errored

    /// Whether the job is over; a terminal state is never left.
    public var isTerminal: Bool {
        switch self {
        case .queued, .leased, .running: false
        case .succeeded, .failed, .timedOut, .cancelled, .errored: true
        }
    }

    /// The states a job may move to from this one. Going back to `queued` is how
    /// an infrastructure failure (lost worker, expired lease) is retried.
    public var successors: Set<JobState> {
        switch self {
        case .queued: [.leased, .cancelled, .errored]
        case .leased: [.running, .queued, .cancelled, .errored, .failed]
        case .running: [.succeeded, .failed, .timedOut, .cancelled, .errored, .queued]
        case .succeeded, .failed, .timedOut, .cancelled, .errored: []
        }
    }

    /// Whether `self → next` is allowed.
    public func canMove(to next: JobState) -> Bool { successors.contains(next) }

    /// States of jobs a worker holds.
    public static let active: [JobState] = [.leased, .running]
}
