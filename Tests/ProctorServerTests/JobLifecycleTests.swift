import Foundation
import ProctorClient
import Testing

/// The whole life of a job through the real HTTP server, and every way it can
/// fail, each reported as itself with whose fault it is.
@Suite struct JobLifecycleTests {
    @Test func irisSolutionIsRunGradedAndScored() async throws {
        let server = try await TestServer()
        defer { Task { await server.stop() } }
        let alice = try await server.client("alice")
        let solution = try Data(contentsOf: URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent().appendingPathComponent("examples/iris/solution.py"))
        let submitted = try await alice.submit(competition: "iris", fileName: "solution.py", contents: solution, metadata: #"{"note": "first try"}"#)
        #expect(submitted.status == 201)
        #expect(submitted.header("Location")?.hasPrefix("/v1/jobs/") == true)
        let id = try #require(submitted.json?["id"] as? String)
        #expect(submitted.json?["state"] as? String == "queued")
        let job = try await server.waitForEnd(alice, id)
        #expect(job["state"] as? String == "succeeded")
        #expect((job["score"] as? Double).map { $0 > 0.9 } == true)
        #expect((job["results"] as? [Any])?.count == 4)
        #expect((job["metadata"] as? [String: Any])?["note"] as? String == "first try")
        #expect(job["attempts"] as? Int == 1)
        for key in ["created_at", "started_at", "finished_at"] {
            #expect((job[key] as? String)?.hasSuffix("Z") == true, "\(key) is UTC ISO 8601")
        }
        let solutionStage = job["solution"] as? [String: Any]
        #expect((solutionStage?["verdict"] as? [String: Any])?["kind"] as? String == "exited")
        let logs = try await alice.call(.GET, "/v1/jobs/\(id)/logs?stream=stdout")
        #expect(logs.text == "wrote submission.csv\n")
        let events = try await alice.call(.GET, "/v1/jobs/\(id)/events").json?["events"] as? [[String: Any]] ?? []
        #expect(events.map { $0["to"] as? String ?? "" } == ["queued", "leased", "running", "succeeded"])
    }

    @Test(arguments: [
        ("true", "failed", "missing_output", "solution"),
        ("echo 5 > out.txt; exit 3", "failed", "solution_crashed", "solution"),
        ("kill -SEGV $$", "failed", "solution_crashed", "solution"),
        ("sleep 100", "timed_out", "solution_timed_out", "solution"),
        ("while :; do :; done", "timed_out", "solution_timed_out", "solution"),
        ("exec python3 -c 'x = bytearray(200 << 20)'", "failed", "solution_limit_exceeded", "solution"),
        ("yes > /dev/stdout", "failed", "solution_limit_exceeded", "solution"),
        ("ln -s /etc/passwd out.txt", "failed", "missing_output", "solution"),
        ("head -c 10000 /dev/zero > out.txt", "failed", "invalid_output", "solution"),
        ("echo crash-grader > out.txt", "failed", "grader_failed", "grader"),
        ("echo bad-results > out.txt", "failed", "invalid_results", "grader"),
        ("echo no-results > out.txt", "failed", "invalid_results", "grader"),
        ("echo wrong-rows > out.txt", "failed", "invalid_output", "solution"),
    ])
    func everyFailureIsNamedAndAttributed(script: String, state: String, type: String, fault: String) async throws {
        let server = try await TestServer()
        defer { Task { await server.stop() } }
        let alice = try await server.client("alice")
        let id = try #require(try await server.submitShell(alice, script)["id"] as? String)
        let job = try await server.waitForEnd(alice, id)
        #expect(job["state"] as? String == state, "\(script)")
        let error = job["error"] as? [String: Any]
        #expect(error?["type"] as? String == type, "\(script): \(error ?? [:])")
        #expect(error?["fault"] as? String == fault)
        #expect(((error?["message"] as? String) ?? "").count > 10)
    }

    @Test func crashWithEmptyStderrStillSaysWhy() async throws {
        let server = try await TestServer()
        defer { Task { await server.stop() } }
        let alice = try await server.client("alice")
        let id = try #require(try await server.submitShell(alice, "exit 7")["id"] as? String)
        let job = try await server.waitForEnd(alice, id)
        let message = (job["error"] as? [String: Any])?["message"] as? String ?? ""
        #expect(message.contains("status 7") && message.contains("stderr was empty"))
    }

    @Test func graderSeesOnlyTheOutputFileAndSolutionNeverSeesAnswers() async throws {
        let server = try await TestServer()
        defer { Task { await server.stop() } }
        let alice = try await server.client("alice")
        let script = "echo spy > out.txt; echo x > other.txt; ls /private 2>&1; cat /private/answer.txt 2>&1; exit 0"
        let id = try #require(try await server.submitShell(alice, script)["id"] as? String)
        let job = try await server.waitForEnd(alice, id)
        #expect(job["state"] as? String == "succeeded")
        let first = (job["results"] as? [[String: Any]])?.first
        #expect(first?["seen"] as? String == "out.txt ")
        #expect(first?["private"] as? String == "secret-answer")
        let stdout = try await alice.call(.GET, "/v1/jobs/\(id)/logs").text
        #expect(!stdout.contains("secret-answer"))
        #expect(stdout.contains("No such file or directory"))
    }

    @Test func scoreComesFromTheGrader() async throws {
        let server = try await TestServer()
        defer { Task { await server.stop() } }
        let alice = try await server.client("alice")
        let id = try #require(try await server.submitShell(alice, "echo 0.75 > out.txt")["id"] as? String)
        let job = try await server.waitForEnd(alice, id)
        #expect(job["score"] as? Double == 0.75)
        let admin = try await server.client("root", role: .admin)
        #expect(try await admin.send(.GET, "/v1/jobs/\(id)/logs?stage=grade&stream=stderr").status == 200)
    }

    @Test func aGraderCanSayTheSubmissionIsInvalidAndTheUserReadsWhy() async throws {
        let server = try await TestServer()
        defer { Task { await server.stop() } }
        let alice = try await server.client("alice")
        let id = try #require(try await server.submitShell(alice, "echo wrong-rows > out.txt")["id"] as? String)
        let job = try await server.waitForEnd(alice, id)
        let error = job["error"] as? [String: Any]
        #expect(error?["fault"] as? String == "solution")
        #expect(error?["message"] as? String == "the grader found your submission invalid: expected 150 rows, got 3")
        #expect(job["attempts"] as? Int == 1)
    }

    @Test func aJobMayAskForMoreTimeWithinTheCompetitionsRange() async throws {
        let server = try await TestServer(slots: 2)
        defer { Task { await server.stop() } }
        let alice = try await server.client("alice")
        // The shell competition gives 5 s of wall time and 3 s of idleness by default, up to 60 s on request.
        let script = "sleep 4; echo 1 > out.txt"
        let asked = try #require(try await server.submitShell(alice, script, expectedTime: 8)["id"] as? String)
        let plain = try #require(try await server.submitShell(alice, script)["id"] as? String)
        #expect(try await server.waitForEnd(alice, asked)["state"] as? String == "succeeded")
        #expect(try await server.waitForEnd(alice, plain)["state"] as? String == "timed_out")
        do {
            _ = try await alice.submit(competition: "shell", fileName: "solution.sh", contents: Data(script.utf8), expectedTime: 61)
            Issue.record("an expected_time past the range was accepted")
        } catch ClientError.problem(let status, _, let detail, _) {
            #expect(status == 400)
            #expect(detail.contains("between 1 and 60 seconds"))
        }
    }
}
