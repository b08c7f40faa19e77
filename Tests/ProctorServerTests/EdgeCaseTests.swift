import Foundation
import ProctorClient
import ProctorCore
import ProctorServer
import ProctorStore
import Testing

/// Lines of `docs/edge-cases.md` that were handled in code with no test of
/// their own: each test here names the lines it shows.
@Suite struct EdgeCaseTests {

    /// `docs/edge-cases.md` answers every line with Handled, Refused or Out of scope; each handled
    /// line names a test or a benchmark, and every test it names exists.
    @Test func everyLineHasAnAnswerAndEveryNamedTestExists() throws {
        let document = try String(contentsOfFile: Built.root + "/docs/edge-cases.md", encoding: .utf8)
        let rows = document.split(separator: "\n").filter { $0.hasPrefix("| ") && !$0.hasPrefix("| Case ") && !$0.hasPrefix("| ---") }
        #expect(rows.count == 354)
        var tests = ""
        for file in try FileManager.default.subpathsOfDirectory(atPath: Built.root + "/Tests") where file.hasSuffix(".swift") {
            tests += try String(contentsOfFile: Built.root + "/Tests/" + file, encoding: .utf8)
        }
        let named = try Regex(#"`([A-Z][A-Za-z]*Tests)\.([a-z][A-Za-z0-9]*)`"#)
        for row in rows {
            let answer = row.split(separator: "|", omittingEmptySubsequences: true).dropFirst().first?.trimmingCharacters(in: .whitespaces) ?? ""
            #expect(["**Handled**", "**Refused**", "**Out of scope**"].contains { answer.hasPrefix($0) }, "\(row)")
            let references = row.matches(of: named)
            if answer.hasPrefix("**Handled**") { #expect(!references.isEmpty || row.contains("bench/"), "\(row)") }
            for reference in references {
                let suite = String(reference.output[1].substring ?? ""), test = String(reference.output[2].substring ?? "")
                #expect(tests.contains("struct \(suite)") || tests.contains("extension \(suite)"), "no suite \(suite)")
                #expect(tests.contains("func \(test)("), "no test \(suite).\(test)")
            }
        }
    }

    /// "User submits job, then token expires before job completes"; "User changes password/token mid-job execution".
    @Test func aTokenRevokedOrReplacedMidJobLeavesTheJobToFinish() async throws {
        let server = try await TestServer(slots: 1)
        defer { Task { await server.stop() } }
        let old = try await server.client("alice")
        let id = try #require(try await server.submitShell(old, "sleep 0.5; echo 1 > out.txt", expectedTime: 30)["id"] as? String)
        try await server.waitUntilRunning(id)
        for token in try await server.store.tokens(userID: nil) { _ = try await server.store.revokeToken(id: token.id, at: Date()) }
        try await Task.sleep(for: .milliseconds(1100))
        #expect(try await old.send(.GET, "/v1/jobs/\(id)").status == 401)
        let new = try await server.client("alice")
        #expect(try await server.waitForEnd(new, id)["state"] as? String == "succeeded")
    }

    /// "Timestamps in different timezones"; "Timezone mismatch between components"; "Race condition in
    /// directory creation - two jobs same ID"; "Multiple jobs upload files with same name"; "Job_id collision".
    @Test func jobsHaveDistinctIdsAndDirectoriesAndUTCTimes() async throws {
        let server = try await TestServer(slots: 0, quotas: Quotas(maxQueued: 100, maxRunning: 4, submissionsPerWindow: 500))
        defer { Task { await server.stop() } }
        let alice = try await server.client("alice", patient: true)
        // Thirty submissions at once: id and creation time of each.
        let jobs = try await withThrowingTaskGroup(of: (String, String).self) { group in
            for i in 0..<30 {
                group.addTask {
                    let job = try await server.submitShell(alice, "echo \(i) > out.txt")
                    return (job["id"] as? String ?? "", job["created_at"] as? String ?? "")
                }
            }
            return try await group.reduce(into: [(String, String)]()) { $0.append($1) }
        }
        #expect(Set(jobs.map(\.0)).count == 30)
        for (id, created) in jobs {
            #expect(created.hasSuffix("Z"), "\(created) is not UTC")
            let file = server.directory + "/data/jobs/\(id)/submission/solution.sh"
            #expect(FileManager.default.fileExists(atPath: file))
        }
    }

    /// "User tries SQL injection in user_id field"; "User_id contains SQL keywords".
    @Test func quotesAndSQLInInputsAreStoredAsData() async throws {
        let server = try await TestServer(slots: 0)
        defer { Task { await server.stop() } }
        let alice = try await server.client("alice")
        let evil = "x'); DROP TABLE jobs; --"
        let response = try await alice.submit(competition: "shell", fileName: "solution.sh", contents: Data("echo 1 > out.txt".utf8),
                                              metadata: "{\"note\": \"\(evil)\"}", idempotencyKey: "k-1")
        #expect(response.status == 201)
        let id = try #require(response.json?["id"] as? String)
        let job = try await alice.call(.GET, "/v1/jobs/\(id)").json
        #expect((job?["metadata"] as? [String: Any])?["note"] as? String == evil)
        #expect(try await alice.call(.GET, "/v1/jobs").json?["jobs"] as? [[String: Any]] != nil)
        #expect(try await server.store.user(named: "alice") != nil)
        // A user name with SQL in it is refused, not run.
        let admin = try await server.client("root", role: .admin)
        let body = Data(#"{"user": "bob'; DROP TABLE users; --"}"#.utf8)
        #expect(try await admin.send(.POST, "/v1/admin/tokens", body: body, contentType: "application/json").status == 400)
    }

    /// "Job directory creation fails - permission denied"; "Disk full - can't save job files"; "Disk quota
    /// exceeded"; "File system readonly - can't create job directories".
    @Test func aSubmissionWhoseFilesCannotBeWrittenIsRefusedAndNothingIsKept() async throws {
        let server = try await TestServer(slots: 0)
        defer { Task { await server.stop() } }
        let alice = try await server.client("alice")
        // The jobs directory cannot take a new job (here: it is a file), as a full or read-only disk would refuse it.
        let jobs = server.directory + "/data/jobs"
        try? FileManager.default.removeItem(atPath: jobs)
        try Data("not a directory".utf8).write(to: URL(fileURLWithPath: jobs))
        let response = try await postSubmission(alice, "echo 1 > out.txt")
        #expect(response.status == 500)
        #expect((response.json?["detail"] as? String ?? "").contains("request id"))
        #expect(try await server.store.jobs(JobFilter()).jobs.isEmpty)
    }

    /// "Port already in use - server fails to bind".
    @Test func aPortInUseStopsTheStartWithTheAddress() async throws {
        let holder = try await TestServer(slots: 0)
        defer { Task { await holder.stop() } }
        let directory = NSTemporaryDirectory() + "proctor-port-" + UUID().uuidString
        try TestServer.makeCompetitions(in: directory + "/competitions", extra: { _ in })
        let (status, said) = try await runToEnd(Built.proctor, [
            "serve", "--data-dir", directory + "/data", "--competitions", directory + "/competitions", "--port", String(holder.port), "--slots", "0",
        ], includingErrors: true)
        #expect(status != 0)
        #expect(said.lowercased().contains("address") || said.contains("\(holder.port)"), "\(said)")
    }

    /// "Python file with only comments, no code": a program that does nothing ends as missing output.
    @Test func aSolutionThatDoesNothingEndsAsMissingOutput() async throws {
        let server = try await TestServer(slots: 1)
        defer { Task { await server.stop() } }
        let alice = try await server.client("alice")
        let id = try #require(try await server.submitShell(alice, "# only a comment\n")["id"] as? String)
        let job = try await server.waitForEnd(alice, id)
        #expect(job["state"] as? String == "failed")
        #expect((job["error"] as? [String: Any])?["type"] as? String == "missing_output")
    }

    /// "No correlation ID across distributed components".
    @Test func theRequestIDFollowsTheJob() async throws {
        let server = try await TestServer(slots: 0)
        defer { Task { await server.stop() } }
        let alice = try await server.client("alice")
        let response = try await postSubmission(alice, headers: [("X-Request-Id", "trace-4711")])
        #expect(response.header("X-Request-Id") == "trace-4711")
        #expect(response.json?["request_id"] as? String == "trace-4711")
    }

    /// "Can't measure API response times"; "No tracking of rate limit hits"; "No visibility into queue
    /// depth trends"; "No tracking of average job duration by competition".
    @Test func metricsAndTheQueueShowTimesRateLimitsDepthAndDurations() async throws {
        let server = try await TestServer(slots: 1, quotas: Quotas(maxQueued: 50, maxRunning: 4, submissionsPerWindow: 1))
        defer { Task { await server.stop() } }
        let alice = try await server.client("alice")
        let id = try #require(try await server.submitShell(alice, "sleep 0.2; echo 1 > out.txt")["id"] as? String)
        _ = try await server.waitForEnd(alice, id)
        #expect(try await postSubmission(alice, "echo 1 > out.txt").status == 429)
        let metrics = try await alice.call(.GET, "/metrics").text
        #expect(metrics.contains("proctor_http_request_seconds_total{route=\"/v1/jobs\"}"))
        #expect(metrics.contains("proctor_rate_limited_total 1"))
        #expect(metrics.contains("proctor_queue_depth 0"))
        let average = try await alice.call(.GET, "/v1/queue").json?["average_run_seconds"] as? Double ?? 0
        #expect(average > 0 && average < 30)
    }

    /// "Can't tell which competitions are most popular": submissions and participants of the last day
    /// per competition, in the metrics.
    @Test func metricsShowEachCompetitionsSubmissionsAndParticipants() async throws {
        let server = try await TestServer(slots: 0)
        defer { Task { await server.stop() } }
        let alice = try await server.client("alice"), bob = try await server.client("bob")
        for client in [alice, alice, bob] { #expect(try await postSubmission(client).status == 201) }
        let iris = try String(contentsOfFile: Built.root + "/examples/iris/solution.py", encoding: .utf8)
        #expect(try await alice.submit(competition: "iris", fileName: "solution.py", contents: Data(iris.utf8)).status == 201)
        let metrics = try await alice.call(.GET, "/metrics").text
        #expect(metrics.contains("proctor_competition_submissions_last_day{competition=\"shell\"} 3"))
        #expect(metrics.contains("proctor_competition_participants_last_day{competition=\"shell\"} 2"))
        #expect(metrics.contains("proctor_competition_submissions_last_day{competition=\"iris\"} 1"))
        #expect(metrics.contains("proctor_competition_participants_last_day{competition=\"iris\"} 1"))
    }

    /// "Worker polls too infrequently - slow to detect completion": a worker waiting in a long poll
    /// gets a job submitted while it waits, in that same request.
    @Test func aWaitingWorkerGetsAJobAsSoonAsItIsSubmitted() async throws {
        let server = try await TestServer(slots: 0)
        defer { Task { await server.stop() } }
        let node = try await server.client("node-1", role: .worker), alice = try await server.client("alice")
        let lease = Data(#"{"slots": 1, "competitions": ["shell"], "wait_seconds": 10}"#.utf8)
        let waiting = Task { try await node.send(.POST, "/v1/worker/lease", body: lease, contentType: "application/json") }
        try await Task.sleep(for: .milliseconds(300))
        let id = try #require(try await server.submitShell(alice, "echo 1 > out.txt")["id"] as? String)
        // The same request that was waiting carries the job away: no second poll is needed.
        let granted = try await waiting.value
        #expect(granted.status == 200)
        #expect((granted.json?["job"] as? [String: Any])?["id"] as? String == id)
    }

    /// "Node marked as available but actually down": a node not heard from for two lease periods is offline.
    @Test func aNodeNotHeardFromIsOffline() async throws {
        let server = try await TestServer(slots: 0)
        defer { Task { await server.stop() } }
        let admin = try await server.client("root", role: .admin)
        _ = try await server.store.touchNode(name: "node-gone", slots: 1, labels: [:], version: "1", competitions: ["shell"],
                                             at: Date().addingTimeInterval(-3600))
        let nodes = try await admin.call(.GET, "/v1/admin/nodes").json?["nodes"] as? [[String: Any]] ?? []
        #expect(nodes.first { $0["name"] as? String == "node-gone" }?["status"] as? String == "offline")
    }

    /// "Users gaming the system by canceling/resubmitting": cancelled submissions still count in the hourly window.
    @Test func cancellingDoesNotGiveBackTheHourlyAllowance() async throws {
        let server = try await TestServer(slots: 0, quotas: Quotas(maxQueued: 50, maxRunning: 4, submissionsPerWindow: 2))
        defer { Task { await server.stop() } }
        let alice = try await server.client("alice")
        for _ in 0..<2 {
            let id = try #require(try await server.submitShell(alice, "echo 1 > out.txt")["id"] as? String)
            #expect(try await alice.send(.POST, "/v1/jobs/\(id)/cancel").status == 200)
        }
        #expect(try await postSubmission(alice, "echo 1 > out.txt").status == 429)
    }

    /// "Cached state diverges from database state": a change made here shows at once, not after the cache's quarter second.
    @Test func aCancelShowsInTheNextPositionAtOnce() async throws {
        let server = try await TestServer(slots: 0)
        defer { Task { await server.stop() } }
        let alice = try await server.client("alice")
        let first = try #require(try await server.submitShell(alice, "echo 1 > out.txt")["id"] as? String)
        let second = try #require(try await server.submitShell(alice, "echo 2 > out.txt")["id"] as? String)
        #expect(try await alice.call(.GET, "/v1/jobs/\(second)").json?["position"] as? Int == 1)
        _ = try await alice.call(.POST, "/v1/jobs/\(first)/cancel")
        #expect(try await alice.call(.GET, "/v1/jobs/\(second)").json?["position"] as? Int == 0)
    }
}
