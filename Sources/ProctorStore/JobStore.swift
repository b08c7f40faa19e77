import ProctorCore

import Foundation

/// Which jobs a listing returns, newest first, a page at a time.
public struct JobFilter: Sendable {
    public var userID: Int64?
    public var state: JobState?
    public var competitionID: String?
    /// Opaque cursor from the previous page (`nil` for the first).
    public var cursor: String?
    public var limit: Int

    public init(userID: Int64? = nil, state: JobState? = nil, competitionID: String? = nil, cursor: String? = nil, limit: Int = 50) {
        self.userID = userID
        self.state = state
        self.competitionID = competitionID
        self.cursor = cursor
        self.limit = limit
    }
}

/// How many jobs each user has queued, by priority: enough to place any queued
/// job in the fair queue without walking it.
public struct QueueSnapshot: Sendable {
    /// How many jobs one user has queued at one priority.
    public struct Entry: Sendable {
        public var userID: Int64
        public var priority: Int
        public var count: Int

        public init(userID: Int64, priority: Int, count: Int) {
            self.userID = userID
            self.priority = priority
            self.count = count
        }
    }
    public var entries: [Entry]
    public var running: Int

    public init(entries: [Entry], running: Int) {
        self.entries = entries
        self.running = running
    }

    public var depth: Int { entries.reduce(0) { $0 + $1.count } }
}

/// One infrastructure failure on a node, as counted towards taking it out of rotation.
public struct NodeFailure: Sendable {
    /// The user whose job failed.
    public var userID: Int64
    /// Whether the worker itself caused it (see ``JobUpdate/nodeFault``).
    public var nodeFault: Bool

    public init(userID: Int64, nodeFault: Bool) {
        self.userID = userID
        self.nodeFault = nodeFault
    }
}

/// Per-user limits checked in the same transaction as the insert, so that
/// parallel submissions cannot slip past them.
public struct SubmissionLimits: Sendable {
    public var maxQueued: Int
    public var maxPerWindow: Int
    public var windowStart: Date

    public init(maxQueued: Int, maxPerWindow: Int, windowStart: Date) {
        self.maxQueued = maxQueued
        self.maxPerWindow = maxPerWindow
        self.windowStart = windowStart
    }
}

/// Why a store refused a request; each says what to do.
public enum StoreError: Error, Equatable, CustomStringConvertible {
    case conflict(String)
    case notFound(String)
    case invalid(String)
    /// Too many queued jobs for the user.
    case queueQuota(limit: Int)
    /// Too many submissions in the window; the oldest of them was at `oldest`.
    case rateQuota(limit: Int, oldest: Date)

    public var description: String {
        switch self {
        case .conflict(let m), .notFound(let m), .invalid(let m): m
        case .queueQuota(let limit): "you already have \(limit) jobs queued"
        case .rateQuota(let limit, _): "you submitted \(limit) jobs in the current window"
        }
    }
}

/// Everything Proctor keeps, behind one protocol: SQLite on one machine,
/// PostgreSQL for many. Every method is one transaction; a job's state only
/// moves along `JobState.successors`, and every move is recorded as an event.
public protocol JobStore: Sendable {
    // Users and tokens.
    func createUser(name: String, at: Date) async throws -> User
    func user(named: String) async throws -> User?
    func user(id: Int64) async throws -> User?
    func users() async throws -> [User]
    func setUserDisabled(id: Int64, _ disabled: Bool) async throws
    func createToken(userID: Int64, role: Role, hash: String, label: String, at: Date, expiresAt: Date?) async throws -> Token
    /// The token with this hash and its user; records the use.
    func useToken(hash: String, at: Date) async throws -> (Token, User)?
    func tokens(userID: Int64?) async throws -> [Token]
    /// Jobs each token submitted since `date`, by token id (tokens with none are absent).
    func submissionsByToken(since date: Date) async throws -> [Int64: Int]
    func revokeToken(id: Int64, at: Date) async throws -> Bool

    // Jobs.
    /// Inserts a queued job within `limits`; if the user already has a job
    /// with the same idempotency key, returns that one instead and `false`.
    func insert(_ job: Job, limits: SubmissionLimits?) async throws -> (job: Job, created: Bool)
    func job(id: String) async throws -> Job?
    func jobs(_ filter: JobFilter) async throws -> (jobs: [Job], nextCursor: String?)
    func events(jobID: String) async throws -> [JobEvent]
    /// The user's first `limit` queued jobs in the order they will run
    /// (priority, then submission order): the k-th has rank k.
    func queuedJobs(userID: Int64, limit: Int) async throws -> [Job]
    /// Takes the next job in fair order (priority, least recent user, FIFO)
    /// among `competitions`, skipping users who already run `maxRunningPerUser`
    /// jobs (and, with `maxExpectedTime`, jobs expected to take longer: the
    /// short-job lane), and leases it to `worker` until `leaseUntil`.
    func claim(worker: String, competitions: Set<String>, maxRunningPerUser: Int, maxExpectedTime: Double?,
               at: Date, leaseUntil: Date) async throws -> Job?
    /// Extends a lease; returns the job (with `cancelRequested`) or `nil` if the
    /// worker no longer holds it.
    func renew(jobID: String, worker: String, until: Date) async throws -> Job?
    /// Applies a worker's update if it still holds the lease; `nil` otherwise.
    /// An infrastructure failure is retried (the job queued again) while the
    /// job was tried fewer than `maxAttempts` times (``JobTransitions``).
    func report(jobID: String, worker: String, update: JobUpdate, at: Date, maxAttempts: Int) async throws -> Job?
    /// Sets a queued job's priority (higher runs first); `nil` if it is not queued.
    func setPriority(jobID: String, priority: Int, actor: String, at: Date) async throws -> Job?
    /// Cancels a queued job at once, or flags a leased or running one for its worker.
    func cancel(jobID: String, actor: String, at: Date) async throws -> Job?
    /// Returns jobs whose lease lapsed to the queue, or errors them once they
    /// were tried `maxAttempts` times. With `heldBy`, every active job of that
    /// worker instead, whatever its lease (the worker restarted).
    func requeueExpired(at: Date, heldBy: String?, maxAttempts: Int) async throws -> [Job]

    // Nodes.
    /// Records a node's contact (registering it the first time) and returns it,
    /// with the state an admin set.
    func touchNode(name: String, slots: Int, labels: [String: String], version: String, at: Date) async throws -> Node
    func nodes() async throws -> [Node]
    /// Drains or resumes a node; `nil` if no such node. Resuming clears its
    /// infrastructure failure count.
    func setNodeState(name: String, _ state: Node.State) async throws -> Node?
    /// Counts a job outcome on a node: an infrastructure failure adds one to
    /// the streak (with its user and whether the node caused it), anything
    /// else ends the streak. Returns the node as it now stands.
    func recordNodeOutcome(name: String, failure: NodeFailure?) async throws -> Node?

    // Queue and accounting.
    func queueSnapshot() async throws -> QueueSnapshot
    /// How many of the user's queued jobs come before this one (same priority or higher).
    func rank(of job: Job) async throws -> Int
    /// Mean run time of recently finished jobs, for wait estimates.
    func averageRunSeconds(competitionID: String?) async throws -> Double?
    func stateCounts() async throws -> [JobState: Int]
    /// Terminal jobs finished before `date` whose files were not yet pruned; marks them pruned.
    func takePrunable(before: Date, limit: Int) async throws -> [String]
    /// Deletes up to `limit` jobs that finished before `date` and whose files
    /// are gone, with their events, and gives the space back (SQLite: an
    /// incremental vacuum); returns how many it deleted.
    func deleteHistory(finishedBefore date: Date, limit: Int) async throws -> Int
}

extension JobStore {
    /// A report under the default retry bound.
    public func report(jobID: String, worker: String, update: JobUpdate, at: Date) async throws -> Job? {
        try await report(jobID: jobID, worker: worker, update: update, at: at, maxAttempts: JobTransitions.defaultMaxAttempts)
    }

    /// A claim with no short-job restriction.
    public func claim(worker: String, competitions: Set<String>, maxRunningPerUser: Int, at: Date, leaseUntil: Date) async throws -> Job? {
        try await claim(worker: worker, competitions: competitions, maxRunningPerUser: maxRunningPerUser, maxExpectedTime: nil, at: at, leaseUntil: leaseUntil)
    }
}
