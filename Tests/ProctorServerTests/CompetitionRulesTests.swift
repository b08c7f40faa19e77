import Foundation
import ProctorClient
import ProctorCore
import Testing

/// What a competition's `competition.json` says about its ranking and its
/// submissions: the leaderboard (best per user, higher or lower better,
/// public until the end), an end time, a daily limit.
@Suite struct CompetitionRulesTests {
    /// A competition `id` whose solution writes "SCORE [PUBLIC_SCORE]" to out.txt and whose grader reports them.
    static func competition(in root: String, id: String, change: (inout CompetitionManifest) -> Void = { _ in }) throws {
        try FileManager.default.createDirectory(atPath: root + "/" + id, withIntermediateDirectories: true)
        var manifest = EnvironmentFixture.manifest(id: id, grade: """
            read a b < /workspace/out.txt
            if [ -n "$b" ]; then printf '{"score": %s, "public_score": %s}\\n' "$a" "$b"; else printf '{"score": %s}\\n' "$a"; fi > /workspace/results.jsonl
            """)
        change(&manifest)
        try JSONEncoder().encode(manifest).write(to: URL(fileURLWithPath: root + "/" + id + "/competition.json"))
    }

    /// Submits a solution scoring `scores` ("0.9" or "0.9 0.8") and waits for its end.
    func score(_ server: TestServer, _ client: ProctorClient, _ competition: String, _ scores: String) async throws -> [String: Any] {
        let job = try await EnvironmentFixture.submit(client, competition, "echo \(scores) > out.txt")
        let done = try await server.waitForEnd(client, job["id"] as? String ?? "")
        try #require(done["state"] as? String == "succeeded", "\(done)")
        return done
    }

    /// The leaderboard's users in order, once it shows `count` rows (it may be a second old).
    func standings(_ client: ProctorClient, _ competition: String, until expected: [String]) async throws -> [String: Any] {
        var board: [String: Any] = [:]
        for _ in 0..<50 {
            board = try await client.call(.GET, "/v1/competitions/\(competition)/leaderboard").json ?? [:]
            if users(board) == expected { break }
            try await Task.sleep(for: .milliseconds(100))
        }
        return board
    }

    func users(_ board: [String: Any]) -> [String] { (board["rows"] as? [[String: Any]] ?? []).compactMap { $0["user"] as? String } }
    func scores(_ board: [String: Any]) -> [Double] { (board["rows"] as? [[String: Any]] ?? []).compactMap { $0["score"] as? Double } }

    @Test func theLeaderboardRanksEachUsersBestAndChangesAfterABetterSubmission() async throws {
        let server = try await TestServer(slots: 2, extraCompetitions: { root in
            try Self.competition(in: root, id: "board")
            try Self.competition(in: root, id: "errors") { $0.scoreOrder = .lower }
        })
        defer { Task { await server.stop() } }
        let alice = try await server.client("alice"), bob = try await server.client("bob")
        _ = try await score(server, alice, "board", "0.5")
        _ = try await score(server, bob, "board", "0.7")
        var board = try await standings(alice, "board", until: ["bob", "alice"])
        #expect(users(board) == ["bob", "alice"])
        _ = try await score(server, alice, "board", "0.9")
        board = try await standings(alice, "board", until: ["alice", "bob"])
        #expect(users(board) == ["alice", "bob"])
        #expect(scores(board) == [0.9, 0.7])
        let rows = board["rows"] as? [[String: Any]] ?? []
        #expect(rows.first?["entries"] as? Int == 2)
        #expect(rows.first?["job"] != nil && rows.last?["job"] == nil, "only the caller's own jobs are named")

        _ = try await score(server, alice, "errors", "0.5")
        _ = try await score(server, bob, "errors", "0.7")
        #expect(users(try await standings(bob, "errors", until: ["alice", "bob"])) == ["alice", "bob"], "lower is better there")

        let printed = try await runToEnd(Built.proctor, ["leaderboard", "board"],
                                         environment: ["PROCTOR_SERVER": server.url, "PROCTOR_TOKEN": bob.token ?? "", "PATH": "/usr/bin:/bin"])
        let lines = printed.output.split(separator: "\n")
        #expect(lines.first?.contains("higher is better") == true, "\(printed.output)")
        #expect(lines.dropFirst().first?.hasPrefix("1\talice\t0.9\t2 entries") == true, "\(printed.output)")
    }

    @Test func anEndedCompetitionRefusesSubmissionsSayingWhen() async throws {
        let server = try await TestServer(extraCompetitions: { root in
            try Self.competition(in: root, id: "over") { $0.endsAt = "2020-01-01T00:00:00Z" }
        })
        defer { Task { await server.stop() } }
        let alice = try await server.client("alice")
        let refused = try await postSubmission(alice, competition: "over")
        #expect(refused.status == 403)
        #expect(refused.json?["type"] as? String == "/problems/competition-ended")
        #expect((refused.json?["detail"] as? String)?.contains("ended at 2020-01-01T00:00:00Z") == true, "\(refused.text)")
        let listed = try await alice.call(.GET, "/v1/competitions/over").json ?? [:]
        #expect(listed["ended"] as? Bool == true)
    }

    @Test func theDailyLimitRefusesTheNextSubmissionSayingWhenItResets() async throws {
        let server = try await TestServer(extraCompetitions: { root in
            try Self.competition(in: root, id: "twice") { $0.maxSubmissionsPerDay = 2 }
            try Self.competition(in: root, id: "free")
        })
        defer { Task { await server.stop() } }
        let alice = try await server.client("alice"), bob = try await server.client("bob")
        for _ in 0..<2 { _ = try await EnvironmentFixture.submit(alice, "twice", "echo 1 > out.txt") }
        let asked = Date()
        let third = try await postSubmission(alice, competition: "twice")
        let answered = Date()
        #expect(third.status == 429)
        #expect((third.json?["detail"] as? String)?.contains("2 submissions to twice today") == true, "\(third.text)")
        #expect((third.json?["detail"] as? String)?.contains("00:00 UTC") == true)
        let retry = Int(third.header("Retry-After") ?? "") ?? 0
        // Until the next midnight (UTC), as of some moment between asking and the answer.
        let midnight = UTCDay.start(of: asked).addingTimeInterval(86400)
        #expect(retry >= 1 && Double(retry) <= midnight.timeIntervalSince(asked) + 1 && Double(retry) >= midnight.timeIntervalSince(answered) - 1,
                "Retry-After \(retry) s, midnight \(midnight)")
        // Other competitions and other users are not held back.
        _ = try await EnvironmentFixture.submit(alice, "free", "echo 1 > out.txt")
        _ = try await EnvironmentFixture.submit(bob, "twice", "echo 1 > out.txt")
    }

    @Test func privateScoresStayHiddenUntilTheEndThenTheBoardTurnsToThem() async throws {
        let server = try await TestServer(slots: 2, extraCompetitions: { root in
            try Self.competition(in: root, id: "split") { $0.endsAt = "2099-01-01T00:00:00Z" }
        })
        defer { Task { await server.stop() } }
        let alice = try await server.client("alice"), bob = try await server.client("bob"), admin = try await server.client("root", role: .admin)
        // alice's best public score fits the public part of the test set; the rest of it disagrees.
        let fitted = try await score(server, alice, "split", "0.6 0.99")
        _ = try await score(server, alice, "split", "0.9 0.8")
        _ = try await score(server, bob, "split", "0.85 0.9")
        #expect(fitted["score"] == nil, "a participant sees no private score before the end")
        #expect(fitted["public_score"] as? Double == 0.99)
        #expect((fitted["results"] as? [[String: Any]])?.allSatisfy { $0["score"] == nil } == true)
        let seenByAdmin = try await admin.call(.GET, "/v1/jobs/\(fitted["id"] as? String ?? "")").json ?? [:]
        #expect(seenByAdmin["score"] as? Double == 0.6)
        let running = try await standings(bob, "split", until: ["alice", "bob"])
        #expect(running["basis"] as? String == "public")
        #expect(scores(running) == [0.99, 0.9])

        // The organizers end it (a new end time, reloaded).
        try Self.competition(in: server.directory + "/competitions", id: "split") { $0.endsAt = "2020-01-01T00:00:00Z" }
        _ = try await admin.call(.POST, "/v1/admin/competitions/reload")
        let final = try await standings(bob, "split", until: ["bob", "alice"])
        #expect(final["basis"] as? String == "private")
        #expect(users(final) == ["bob", "alice"])
        #expect(scores(final) == [0.85, 0.6])
        let after = try await alice.call(.GET, "/v1/jobs/\(fitted["id"] as? String ?? "")").json ?? [:]
        #expect(after["score"] as? Double == 0.6)
        let late = try await postSubmission(alice, competition: "split")
        #expect(late.status == 403)
    }
}
