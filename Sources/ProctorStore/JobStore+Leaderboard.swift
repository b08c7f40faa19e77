import Foundation
import ProctorCore

extension JobStore {
    /// Every succeeded, scored submission to `competitionID`, with its user's
    /// name: what a leaderboard is ranked from (``Leaderboard``).
    public func scoredSubmissions(competitionID: String) async throws -> [Leaderboard.Submission] {
        try await database.read("""
            SELECT jobs.id, users.name, jobs.score, jobs.public_score, jobs.created_at FROM jobs JOIN users ON users.id = jobs.user_id
            WHERE jobs.competition_id = \(competitionID) AND jobs.state = 'succeeded' AND jobs.score IS NOT NULL
            """).map { row in
            Leaderboard.Submission(jobID: try row.value("id"), user: try row.value("name"), score: try row.value("score"),
                                   publicScore: try row.value("public_score"), submittedAt: try row.value("created_at"))
        }
    }
}
