import Foundation
import ProctorClient
import ProctorCore
import ProctorServer
import Testing

/// A job no node can run never waits forever: its submitter is told at once,
/// and it fails with the reason once no node could run it for the configured time.
@Suite struct UnrunnableTests {
    @Test func aJobNoNodeCanRunIsFlaggedAtSubmitAndFailedWithTheReasonLater() async throws {
        let server = try await TestServer(slots: 0, configure: { $0.unrunnableAfter = 1 })
        defer { Task { await server.stop() } }
        let alice = try await server.client("alice")
        let submitted = try await server.submitShell(alice, "echo 1 > out.txt")
        let id = try #require(submitted["id"] as? String)
        #expect((submitted["warning"] as? String ?? "").contains("no connected node runs competition shell"))

        var job: [String: Any] = [:]
        for _ in 0..<100 {
            job = try await alice.call(.GET, "/v1/jobs/\(id)").json ?? [:]
            if job["state"] as? String != "queued" { break }
            try await Task.sleep(for: .milliseconds(100))
        }
        #expect(job["state"] as? String == "errored")
        let error = job["error"] as? [String: Any]
        #expect(error?["type"] as? String == "no_capable_node")
        #expect(error?["fault"] as? String == "infrastructure")
        #expect((error?["message"] as? String ?? "").contains("no connected node can run competition shell"))
    }

    @Test func aJobANodeServesIsNeitherFlaggedNorFailed() async throws {
        let server = try await TestServer(slots: 0, configure: { $0.unrunnableAfter = 1 })
        defer { Task { await server.stop() } }
        let node = try await server.client("node-1", role: .worker)
        let alice = try await server.client("alice")
        // A node asks for shell jobs (and finds none yet): it serves shell.
        let lease = Data(#"{"slots": 1, "competitions": ["shell"], "wait_seconds": 0}"#.utf8)
        #expect(try await node.send(.POST, "/v1/worker/lease", body: lease, contentType: "application/json").status == 204)
        let submitted = try await server.submitShell(alice, "echo 1 > out.txt")
        #expect(submitted["warning"] == nil)
        let id = try #require(submitted["id"] as? String)
        try await Task.sleep(for: .milliseconds(1600))
        #expect(try await alice.call(.GET, "/v1/jobs/\(id)").json?["state"] as? String == "queued")
    }
}
