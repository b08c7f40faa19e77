import Foundation
import ProctorClient
import Testing

/// The `proctor` client commands as a person types them, against a real server.
@Suite struct ClientCommandTests {
    func proctor(_ arguments: [String], server: TestServer, token: String?) async throws -> (status: Int32, output: String) {
        let binary = Built.proctor
        return try await runToEnd(binary, arguments, environment: ["PROCTOR_SERVER": server.url, "PROCTOR_TOKEN": token ?? "", "PATH": "/usr/bin:/bin"])
    }

    @Test func jobsPrintsOneReadableLinePerJob() async throws {
        let server = try await TestServer(slots: 1)
        defer { Task { await server.stop() } }
        let alice = try await server.client("alice")
        let done = try #require(try await server.submitShell(alice, "echo 0.75 > out.txt")["id"] as? String)
        _ = try await server.waitForEnd(alice, done)
        let (status, output) = try await proctor(["jobs"], server: server, token: alice.token)
        #expect(status == 0)
        let lines = output.split(separator: "\n")
        #expect(lines.count == 1)
        let fields = lines.first?.split(separator: " ", omittingEmptySubsequences: true).map(String.init) ?? []
        #expect(fields.count == 6, "\(output)")  // id, competition, state, score, "Ns", "ago"
        #expect(fields.first == done)
        #expect(Array(fields.dropFirst().prefix(3)) == ["shell", "succeeded", "0.75"])
        #expect(fields.last == "ago")
    }

    @Test func submitSendsOneIdempotencyKeyPerInvocation() async throws {
        let server = try await TestServer(slots: 0)
        defer { Task { await server.stop() } }
        let alice = try await server.client("alice")
        let file = server.directory + "/solution.sh"
        try "echo 1 > out.txt".write(toFile: file, atomically: true, encoding: .utf8)
        func submit(_ extra: [String]) async throws -> String {
            let (status, output) = try await proctor(["submit", "--competition", "shell", "--json"] + extra + [file], server: server, token: alice.token)
            #expect(status == 0, "\(output)")
            let json = try JSONSerialization.jsonObject(with: Data(output.utf8)) as? [String: Any]
            return json?["id"] as? String ?? ""
        }
        // Each invocation carries a key of its own, so two invocations are two jobs …
        let first = try await submit([]), second = try await submit([])
        #expect(first != second)
        #expect(try await server.store.job(id: first)?.idempotencyKey != nil)
        // … and a retried invocation with the same key is the same job.
        let keyed = try await submit(["--idempotency-key", "retry-1"])
        #expect(try await submit(["--idempotency-key", "retry-1"]) == keyed)
    }
}
