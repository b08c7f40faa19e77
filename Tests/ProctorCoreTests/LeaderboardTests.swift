import Foundation
import ProctorCore
import Testing

/// How a leaderboard ranks: each user's best, the order the competition
/// says, earliest first on equal scores, public until the end.
@Suite struct LeaderboardTests {
    func at(_ seconds: Double) -> Date { Date(timeIntervalSince1970: 1_800_000_000 + seconds) }

    func submission(_ user: String, _ score: Double, public publicScore: Double? = nil, at seconds: Double) -> Leaderboard.Submission {
        Leaderboard.Submission(jobID: "\(user)-\(seconds)", user: user, score: score, publicScore: publicScore, submittedAt: at(seconds))
    }

    @Test func eachUsersBestRanksAndEqualScoresRankTheEarlierFirst() {
        let board = Leaderboard([
            submission("ada", 0.7, at: 1), submission("ada", 0.9, at: 2), submission("ada", 0.8, at: 3),
            submission("bob", 0.9, at: 1), submission("cy", 0.95, at: 5), submission("dee", 0.9, at: 4),
        ], order: .higher, ended: false)
        #expect(board.basis == .private)
        #expect(board.rows.map(\.user) == ["cy", "bob", "ada", "dee"])
        #expect(board.rows.map(\.rank) == [1, 2, 3, 4])
        #expect(board.rows.first { $0.user == "ada" }?.entries == 3)
        #expect(board.rows.first { $0.user == "ada" }?.jobID == "ada-2.0")
    }

    @Test func aLowerIsBetterCompetitionRanksTheSmallestFirst() {
        let board = Leaderboard([submission("ada", 0.3, at: 1), submission("ada", 0.1, at: 2), submission("bob", 0.2, at: 1)],
                                order: .lower, ended: false)
        #expect(board.rows.map(\.user) == ["ada", "bob"])
        #expect(board.rows.map(\.score) == [0.1, 0.2])
    }

    @Test func publicScoresRankUntilTheEndThenTheSameSubmissionsPrivateScores() {
        // ada fits the public part (0.99) with a submission that does worse on the rest.
        let submissions = [
            submission("ada", 0.60, public: 0.99, at: 1), submission("ada", 0.90, public: 0.80, at: 2),
            submission("bob", 0.85, public: 0.90, at: 1),
        ]
        let running = Leaderboard(submissions, order: .higher, ended: false)
        #expect(running.basis == .public)
        #expect(running.rows.map(\.user) == ["ada", "bob"])
        #expect(running.rows.map(\.score) == [0.99, 0.90])
        let final = Leaderboard(submissions, order: .higher, ended: true)
        #expect(final.basis == .private)
        // The submission each holds on the public board, ranked by its private score.
        #expect(final.rows.map(\.user) == ["bob", "ada"])
        #expect(final.rows.map(\.score) == [0.85, 0.60])
    }

    @Test func endsAtIsAnISO8601TimeAndAMalformedOneIsAProblem() {
        var manifest = CompetitionManifest(id: "c", version: "1", title: "c", acceptedFiles: ["a.py"], run: ["x"], grade: ["y"],
                                           outputFile: "o", files: [:])
        manifest.endsAt = "2026-12-31T23:59:59Z"
        #expect(manifest.problems().isEmpty)
        #expect(manifest.hasEnded(at: Date(timeIntervalSince1970: 1_798_761_598)) == false)
        #expect(manifest.hasEnded(at: Date(timeIntervalSince1970: 1_798_761_599)))
        manifest.endsAt = "next friday"
        #expect(manifest.problems().contains { $0.contains("ends_at") })
        manifest.endsAt = nil
        manifest.maxSubmissionsPerDay = 0
        #expect(manifest.problems().contains { $0.contains("max_submissions_per_day") })
    }

    @Test func aUTCDayStartsAtMidnight() {
        let date = Date(timeIntervalSince1970: 1_798_761_599)  // 2026-12-31T23:59:59Z
        #expect(UTCDay.start(of: date) == Date(timeIntervalSince1970: 1_798_675_200))
        #expect(UTCDay.start(of: Date(timeIntervalSince1970: 1_798_675_200)) == Date(timeIntervalSince1970: 1_798_675_200))
    }
}
