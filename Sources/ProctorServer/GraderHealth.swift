import Foundation
import ProctorCore
import ProctorStore

/// Who is to blame when a competition's grader keeps failing. A node where it
/// failed `threshold` times in a row while it works on another node lacks
/// something the grader needs: that node stops taking the competition. When
/// it fails like that on every node that tried it, the grader itself is
/// broken: the competition is disabled, with the last reason, until an admin
/// enables it again. Grader failures are not the node's infrastructure
/// failures: they neither raise nor reset its streak.
struct GraderHealth: Sendable {
    static let threshold = 3
    let streaks: [GraderStreak]

    /// Competitions `node` must not take, with why.
    func excluded(for node: String) -> [String: String] {
        let disabled = disabledCompetitions()
        var excluded = disabled
        for streak in streaks where streak.node == node && streak.failures >= Self.threshold {
            excluded[streak.competitionID] = "its grader failed \(streak.failures) times in a row on this node (\(streak.reason)) and works on others"
        }
        return excluded
    }

    /// Competitions whose grader fails on every node that graded it lately, with why.
    func disabledCompetitions() -> [String: String] {
        var disabled: [String: String] = [:]
        for (competition, rows) in Dictionary(grouping: streaks, by: \.competitionID)
        where rows.allSatisfy({ $0.failures >= Self.threshold }) {
            let last = rows.map(\.reason).first ?? ""
            disabled[competition] = "its grader failed \(Self.threshold) times in a row on every node that ran it (\(last)); "
                + "fix the grader, then enable it: POST /v1/admin/competitions/\(competition)/enable"
        }
        return disabled
    }

    /// What a finished job says of its grader, if it ran.
    enum Outcome: Equatable {
        /// It ran and judged: a success, or the solution's fault found by grading.
        case worked
        /// It failed (the grader's fault), with why.
        case failed(String)
    }

    /// `nil` when the grader did not run (the job ended before grading).
    static func outcome(of update: JobUpdate) -> Outcome? {
        if update.error?.fault == .grader { return .failed(update.error?.message ?? "the grader failed") }
        if update.state == .succeeded || (update.error?.fault == .solution && update.gradeReport != nil) { return .worked }
        return nil
    }
}

extension JobStore {
    /// Counts what a finished job says of its competition's grader on `node`.
    func recordGrading(_ update: JobUpdate, competitionID: String, on node: String) async throws {
        guard let outcome = GraderHealth.outcome(of: update) else { return }
        let failure: String? = if case .failed(let why) = outcome { why } else { nil }
        try await recordGraderOutcome(node: node, competitionID: competitionID, failure: failure, at: Date())
    }

    /// The grader health of every node and competition, now.
    func graderHealth() async throws -> GraderHealth {
        GraderHealth(streaks: try await graderStreaks())
    }
}
