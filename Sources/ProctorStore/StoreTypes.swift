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
    /// The competition's own limit: at most this many submissions to it since `dayStart`.
    public var maxPerCompetitionDay: Int?
    public var dayStart: Date

    public init(maxQueued: Int, maxPerWindow: Int, windowStart: Date, maxPerCompetitionDay: Int? = nil, dayStart: Date = .distantFuture) {
        self.maxQueued = maxQueued
        self.maxPerWindow = maxPerWindow
        self.windowStart = windowStart
        self.maxPerCompetitionDay = maxPerCompetitionDay
        self.dayStart = dayStart
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
    /// The competition's daily submissions used up.
    case dailyQuota(limit: Int)

    public var description: String {
        switch self {
        case .conflict(let m), .notFound(let m), .invalid(let m): m
        case .queueQuota(let limit): "you already have \(limit) jobs queued"
        case .rateQuota(let limit, _): "you submitted \(limit) jobs in the current window"
        case .dailyQuota(let limit): "you made \(limit) submissions to this competition today"
        }
    }
}
