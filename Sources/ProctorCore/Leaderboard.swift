#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif

/// A competition's standings: one row per user, ranked.
///
/// Each user is represented by one submission, chosen by the score that is
/// shown while the competition runs: the public score when the grader gives
/// one, else the score. Before the end, rows rank by that score; after it,
/// the same submissions rank by their private score (`score`), as Kaggle
/// does with a participant's best public submission, so fitting the public
/// part of the test set gains nothing. Equal scores rank the earlier
/// submission first.
public struct Leaderboard: Sendable, Equatable {
    /// A succeeded, scored submission.
    public struct Submission: Sendable, Equatable {
        public var jobID: String
        public var user: String
        public var score: Double
        public var publicScore: Double?
        public var submittedAt: Date

        public init(jobID: String, user: String, score: Double, publicScore: Double?, submittedAt: Date) {
            self.jobID = jobID
            self.user = user
            self.score = score
            self.publicScore = publicScore
            self.submittedAt = submittedAt
        }
    }

    /// One user's place.
    public struct Row: Sendable, Equatable {
        public var rank: Int
        public var user: String
        /// The score the row ranks by (public before the end when there is one).
        public var score: Double
        /// When the submission that holds the place was made.
        public var submittedAt: Date
        /// That submission's job.
        public var jobID: String
        /// How many scored submissions the user made.
        public var entries: Int
    }

    /// Which score the rows rank by.
    public enum Basis: String, Sendable, Codable {
        /// The public part of the test set (before the end, for a competition whose grader gives one).
        case `public`
        /// The whole or private test set.
        case `private`
    }

    public var basis: Basis
    public var rows: [Row]

    /// Ranks `submissions` by `order`; `ended` turns a public board private.
    public init(_ submissions: [Submission], order: CompetitionManifest.ScoreOrder, ended: Bool) {
        let split = submissions.contains { $0.publicScore != nil }
        let basis: Basis = split && !ended ? .public : .private
        self.basis = basis
        func better(_ a: Double, _ b: Double) -> Bool { order == .lower ? a < b : a > b }
        // The score each submission shows while the competition runs.
        func shown(_ s: Submission) -> Double? { split ? s.publicScore : s.score }
        func ranked(_ s: Submission) -> Double { basis == .public ? s.publicScore ?? s.score : s.score }
        var chosen: [String: (submission: Submission, entries: Int)] = [:]
        for submission in submissions {
            guard let score = shown(submission) else { continue }
            guard let held = chosen[submission.user] else {
                chosen[submission.user] = (submission, 1)
                continue
            }
            let heldScore = shown(held.submission) ?? score
            let replaces = better(score, heldScore) || (score == heldScore && submission.submittedAt < held.submission.submittedAt)
            chosen[submission.user] = (replaces ? submission : held.submission, held.entries + 1)
        }
        let ordered = chosen.values.sorted { a, b in
            let x = ranked(a.submission), y = ranked(b.submission)
            if x != y { return better(x, y) }
            if a.submission.submittedAt != b.submission.submittedAt { return a.submission.submittedAt < b.submission.submittedAt }
            return a.submission.user < b.submission.user
        }
        rows = ordered.enumerated().map { index, entry in
            Row(rank: index + 1, user: entry.submission.user, score: ranked(entry.submission), submittedAt: entry.submission.submittedAt,
                jobID: entry.submission.jobID, entries: entry.entries)
        }
    }
}
