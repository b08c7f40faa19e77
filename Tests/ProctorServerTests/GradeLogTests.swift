import Foundation
import ProctorClient
import ProctorCore
import ProctorWorker
import Testing

/// The grader reads the private answers, so what it prints is for the
/// competition's organizers: a submitter reads the grade stage's logs only
/// where the competition says `"grade_logs": "public"`.
@Suite struct GradeLogTests {
    /// A copy of the `shell` competition, named `shell-open`, whose grade logs are public.
    static func openCompetition(root: String) throws {
        try FileManager.default.copyItem(atPath: root + "/shell", toPath: root + "/shell-open")
        let path = root + "/shell-open/competition.json"
        var manifest = try JSONDecoder().decode(CompetitionManifest.self, from: Data(contentsOf: URL(fileURLWithPath: path)))
        manifest.id = "shell-open"
        manifest.gradeLogs = .public
        try JSONEncoder().encode(manifest).write(to: URL(fileURLWithPath: path))
    }

    @Test func aGraderThatPrintsTheAnswersShowsThemToAdminsOnly() async throws {
        let server = try await TestServer()
        defer { Task { await server.stop() } }
        let alice = try await server.client("alice"), admin = try await server.client("root", role: .admin)
        let id = try #require(try await server.submitShell(alice, "echo leak > out.txt")["id"] as? String)
        let job = try await server.waitForEnd(alice, id)
        #expect(job["state"] as? String == "succeeded")
        #expect(job["score"] as? Double == 0.5)
        let refused = try await alice.send(.GET, "/v1/jobs/\(id)/logs?stage=grade")
        #expect(refused.status == 403)
        #expect(!refused.text.contains("secret-answer"))
        #expect(refused.text.contains("organizers"))
        #expect(try await admin.call(.GET, "/v1/jobs/\(id)/logs?stage=grade").text == "the answer is secret-answer\n")
        // The solution's own logs stay the submitter's.
        #expect(try await alice.send(.GET, "/v1/jobs/\(id)/logs").status == 200)
    }

    @Test func aCompetitionMayOpenItsGradeLogs() async throws {
        let server = try await TestServer(extraCompetitions: Self.openCompetition)
        defer { Task { await server.stop() } }
        let alice = try await server.client("alice")
        let response = try await alice.submit(competition: "shell-open", fileName: "solution.sh", contents: Data("echo leak > out.txt".utf8))
        let id = try #require(response.json?["id"] as? String)
        #expect(try await server.waitForEnd(alice, id)["state"] as? String == "succeeded")
        #expect(try await alice.call(.GET, "/v1/jobs/\(id)/logs?stage=grade").text == "the answer is secret-answer\n")
    }
}
