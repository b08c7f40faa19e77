import Foundation
import ProctorClient
import Testing

/// A job's log followed while it runs: Server-Sent Events from
/// `GET /v1/jobs/{id}/logs?follow=true`, and `proctor logs --follow`.
@Suite struct LiveLogTests {
    static let slowScript = "for i in 1 2 3 4; do echo \"line $i\"; sleep 0.4; done; echo 1 > out.txt"

    @Test func aFollowedLogShowsEachLineWhileTheJobRunsThenItsEnd() async throws {
        let server = try await TestServer()
        defer { Task { await server.stop() } }
        let alice = try await server.client("alice")
        let id = try #require(try await server.submitShell(alice, Self.slowScript)["id"] as? String)
        var seen: [(name: String, data: String, running: Bool)] = []
        try await alice.events("/v1/jobs/\(id)/logs?follow=true") { event in
            let running = try await server.store.job(id: id)?.state == .running
            seen.append((event.name, event.data, running))
            return true
        }
        let lines = seen.filter { $0.name == "log" }.flatMap { $0.data.split(separator: "\n").map(String.init) }
        #expect(lines == ["line 1", "line 2", "line 3", "line 4"])
        #expect(seen.contains { $0.name == "log" && $0.running }, "lines arrive while the job runs")
        #expect(seen.contains { $0.name == "state" && $0.data.contains("running") })
        #expect(seen.last?.name == "end")
        #expect(seen.last?.data.contains("succeeded") == true)

        // Another user's job cannot be followed, exactly as it cannot be read.
        let bob = try await server.client("bob")
        await #expect(throws: ClientError.self) { try await bob.events("/v1/jobs/\(id)/logs?follow=true") { _ in true } }
    }

    @Test func proctorLogsFollowPrintsTheLinesAsTheyComeAndTheVerdict() async throws {
        let server = try await TestServer()
        defer { Task { await server.stop() } }
        let alice = try await server.client("alice")
        let id = try #require(try await server.submitShell(alice, Self.slowScript)["id"] as? String)
        let followed = try await runToEnd(Built.proctor, ["logs", "--follow", id],
                                          environment: ["PROCTOR_SERVER": server.url, "PROCTOR_TOKEN": alice.token ?? "", "PATH": "/usr/bin:/bin"],
                                          includingErrors: true)
        #expect(followed.status == 0, "\(followed.output)")
        #expect(followed.output.contains("line 1\nline 2\nline 3\nline 4\n"), "\(followed.output)")
        #expect(followed.output.contains("job succeeded, score 1"), "\(followed.output)")
    }
}
