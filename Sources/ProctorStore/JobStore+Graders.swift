import Foundation

/// How a competition's grader has fared on one node lately: how many of its
/// last gradings there failed in a row (0 after one that worked), and why the last failed.
public struct GraderStreak: Sendable, Equatable {
    public var node: String
    public var competitionID: String
    public var failures: Int
    public var reason: String

    public init(node: String, competitionID: String, failures: Int, reason: String) {
        self.node = node
        self.competitionID = competitionID
        self.failures = failures
        self.reason = reason
    }
}

extension JobStore {
    /// Counts a grading on `node`: a grader failure (with its reason) adds one
    /// to that competition's streak there; a grading that worked ends it.
    public func recordGraderOutcome(node: String, competitionID: String, failure reason: String?, at: Date) async throws {
        if let reason {
            _ = try await database.write("""
                INSERT INTO grader_streaks (node, competition_id, failures, reason, at) VALUES (\(node), \(competitionID), 1, \(reason), \(at))
                ON CONFLICT (node, competition_id) DO UPDATE SET failures = grader_streaks.failures + 1, reason = excluded.reason, at = excluded.at
                """)
        } else {
            _ = try await database.write("""
                INSERT INTO grader_streaks (node, competition_id, failures, reason, at) VALUES (\(node), \(competitionID), 0, '', \(at))
                ON CONFLICT (node, competition_id) DO UPDATE SET failures = 0, reason = '', at = excluded.at
                """)
        }
    }

    /// Every node's streak for every competition it graded.
    public func graderStreaks() async throws -> [GraderStreak] {
        try await database.read("SELECT * FROM grader_streaks ORDER BY competition_id, node").map { row in
            GraderStreak(node: try row.value("node"), competitionID: try row.value("competition_id"),
                         failures: try row.value("failures"), reason: try row.value("reason"))
        }
    }

    /// Forgets the grader streaks of a node (it was repaired) or of a
    /// competition (its grader was fixed); returns how many it forgot.
    public func clearGraderStreaks(node: String? = nil, competitionID: String? = nil) async throws -> Int {
        if let node { return try await database.write("DELETE FROM grader_streaks WHERE node = \(node) RETURNING node").count }
        if let competitionID {
            return try await database.write("DELETE FROM grader_streaks WHERE competition_id = \(competitionID) RETURNING node").count
        }
        return 0
    }
}
