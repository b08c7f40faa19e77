import Foundation
import ProctorClient
import ProctorCore
import ProctorServer
import ProctorStore
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

    /// "Can't submit multiple jobs in bulk": several files, one job each, in order; a file that
    /// cannot be read submits nothing; a refusal midway says what went in and what did not.
    @Test func submitTakesSeveralFilesAsOneJobEach() async throws {
        let server = try await TestServer(slots: 0, quotas: Quotas(maxQueued: 3, maxRunning: 1, submissionsPerWindow: 100))
        defer { Task { await server.stop() } }
        let alice = try await server.client("alice")
        var files: [String] = []
        for variant in 1...4 {
            try FileManager.default.createDirectory(atPath: server.directory + "/v\(variant)", withIntermediateDirectories: true)
            files.append(server.directory + "/v\(variant)/solution.sh")
            try "echo 0.\(variant) > out.txt".write(toFile: files[variant - 1], atomically: true, encoding: .utf8)
        }
        let submit = ["submit", "--competition", "shell", "--json", "--idempotency-key", "batch"]
        let missing = try await proctor(submit + [files[0], server.directory + "/nope/solution.sh"], server: server, token: alice.token)
        #expect(missing.status != 0)
        #expect(try await server.store.jobs(JobFilter()).jobs.isEmpty, "a file that cannot be read submits nothing")

        let (status, output) = try await proctor(submit + Array(files.prefix(2)), server: server, token: alice.token)
        #expect(status == 0, "\(output)")
        let ids = output.split(separator: "\n").compactMap {
            (try? JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any])?["id"] as? String
        }
        #expect(ids.count == 2 && Set(ids).count == 2)
        for (index, id) in ids.enumerated() {
            let job = try #require(try await server.store.job(id: id))
            #expect(job.idempotencyKey == "batch-\(index + 1)")
            #expect(try String(contentsOfFile: server.directory + "/data/jobs/\(id)/submission/solution.sh", encoding: .utf8) == "echo 0.\(index + 1) > out.txt")
        }

        // Two more files with a queue of three: the third goes in, the fourth is refused and named.
        let (refused, said) = try await runToEnd(Built.proctor, ["submit", "--competition", "shell", files[2], files[3]],
                                                 environment: ["PROCTOR_SERVER": server.url, "PROCTOR_TOKEN": alice.token ?? "", "PATH": "/usr/bin:/bin"],
                                                 includingErrors: true)
        #expect(refused != 0)
        #expect(said.contains("\(files[3]) was not submitted"), "\(said)")
        #expect(try await server.store.jobs(JobFilter()).jobs.count == 3)
    }
}
