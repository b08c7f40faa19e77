import Foundation
import ProctorClient
import ProctorCore
import ProctorServer
import ProctorStore
import Testing

/// Health, readiness, metrics, competition loading and retention.
@Suite struct OperationsTests {
    @Test func healthReadinessAndMetrics() async throws {
        let server = try await TestServer(slots: 1)
        defer { Task { await server.stop() } }
        let anonymous = ProctorClient(server: server.url, token: nil)
        #expect(try await anonymous.send(.GET, "/healthz").status == 200)
        #expect(try await anonymous.send(.GET, "/readyz").status == 200)
        let alice = try await server.client("alice")
        let id = try #require(try await server.submitShell(alice, "echo 1 > out.txt")["id"] as? String)
        _ = try await server.waitForEnd(alice, id)
        _ = try await anonymous.send(.GET, "/v1/jobs")
        let metrics = try await anonymous.call(.GET, "/metrics").text
        #expect(metrics.contains("proctor_jobs{state=\"succeeded\"} 1"))
        #expect(metrics.contains("proctor_queue_depth 0"))
        #expect(metrics.contains("proctor_http_requests_total{route=\"/v1/jobs\",status=\"401\"} 1"))
        #expect(!metrics.contains(alice.token ?? "-"))
    }

    @Test func metricsShowWhatAnOperatorAlertsOn() async throws {
        let server = try await TestServer(slots: 0)
        defer { Task { await server.stop() } }
        let anonymous = ProctorClient(server: server.url, token: nil)
        let alice = try await server.client("alice")
        let failed = try #require(try await server.submitShell(alice, "echo 1 > out.txt")["id"] as? String)
        _ = try await server.submitShell(alice, "echo 2 > out.txt")
        // A grader failure on a node that then has an infrastructure failure streak and is drained.
        let now = Date()
        _ = try await server.store.touchNode(name: "node-1", slots: 1, labels: [:], version: "test", at: now)
        let claimed = try #require(try await server.store.claim(worker: "node-1", competitions: ["shell"], maxRunningPerUser: 5,
                                                               at: now, leaseUntil: now.addingTimeInterval(60)))
        #expect(claimed.id == failed)
        _ = try await server.store.report(jobID: failed, worker: "node-1", update: JobUpdate(
            state: .errored, reason: "grader crashed", error: JobError(.graderFailed, "the grader exited 1")), at: Date())
        _ = try await server.store.recordNodeOutcome(name: "node-1", failure: NodeFailure(userID: claimed.userID, nodeFault: true))
        _ = try await server.store.setNodeState(name: "node-1", .draining)
        try await Task.sleep(for: .milliseconds(1100))

        let metrics = try await anonymous.call(.GET, "/metrics").text
        #expect(metrics.contains("proctor_job_failures_last_hour{fault=\"grader\"} 1"))
        #expect(metrics.contains("proctor_job_failures_last_hour{fault=\"infrastructure\"} 0"))
        #expect(metrics.contains("proctor_nodes{status=\"draining\"} 1"))
        #expect(metrics.contains("proctor_node_infrastructure_failures{node=\"node-1\"} 1"))
        let oldest = metrics.split(separator: "\n").first { $0.hasPrefix("proctor_queue_oldest_seconds ") }
        #expect(Double(oldest?.split(separator: " ").last ?? "") ?? 0 >= 1)
    }

    @Test func brokenAndCorruptCompetitionsAreDisabledWithoutStoppingTheServer() async throws {
        let server = try await TestServer(slots: 0) { root in
            let fm = FileManager.default
            try fm.createDirectory(atPath: root + "/broken", withIntermediateDirectories: true)
            try "{ not json".write(toFile: root + "/broken/competition.json", atomically: true, encoding: .utf8)
            try fm.copyItem(atPath: root + "/iris", toPath: root + "/corrupt")
            var manifest = try JSONDecoder().decode(CompetitionManifest.self, from: Data(contentsOf: URL(fileURLWithPath: root + "/corrupt/competition.json")))
            manifest.id = "corrupt"
            try JSONEncoder().encode(manifest).write(to: URL(fileURLWithPath: root + "/corrupt/competition.json"))
            try "tampered\n".write(toFile: root + "/corrupt/private/answers.csv", atomically: true, encoding: .utf8)
        }
        defer { Task { await server.stop() } }
        let alice = try await server.client("alice")
        let list = try await alice.call(.GET, "/v1/competitions").json?["competitions"] as? [[String: Any]] ?? []
        let byID = Dictionary(list.map { ($0["id"] as? String ?? "", $0) }, uniquingKeysWith: { a, _ in a })
        #expect(byID["iris"]?["enabled"] as? Bool == true)
        #expect(byID["corrupt"]?["enabled"] as? Bool == false)
        #expect((byID["corrupt"]?["disabled_reason"] as? String ?? "").contains("checksum"))
        #expect((byID["broken"]?["disabled_reason"] as? String ?? "").contains("not a valid manifest"))
        var form = MultipartBody()
        form.add(name: "competition", value: "corrupt")
        form.add(name: "file", fileName: "solution.py", data: Data("x".utf8))
        let refused = try await alice.send(.POST, "/v1/jobs", body: form.data, contentType: form.contentType)
        #expect(refused.status == 503)
        #expect(refused.json?["type"] as? String == "/problems/competition-disabled")
        #expect((refused.json?["detail"] as? String ?? "").contains("checksum"))
    }

    @Test func dataChangedAfterLoadingIsAnInfrastructureError() async throws {
        let server = try await TestServer(slots: 1)
        defer { Task { await server.stop() } }
        try "changed\n".write(toFile: server.directory + "/competitions/shell/private/answer.txt", atomically: true, encoding: .utf8)
        let alice = try await server.client("alice")
        let id = try #require(try await server.submitShell(alice, "echo 1 > out.txt")["id"] as? String)
        let job = try await server.waitForEnd(alice, id)
        #expect(job["state"] as? String == "errored")
        #expect((job["error"] as? [String: Any])?["fault"] as? String == "infrastructure")
        #expect(job["attempts"] as? Int == 3)
    }

    @Test func oldJobFilesArePrunedButTheJobStays() async throws {
        let server = try await TestServer(slots: 1)
        defer { Task { await server.stop() } }
        let alice = try await server.client("alice")
        let id = try #require(try await server.submitShell(alice, "echo 1 > out.txt")["id"] as? String)
        _ = try await server.waitForEnd(alice, id)
        let files = server.directory + "/data/jobs/\(id)"
        #expect(FileManager.default.fileExists(atPath: files))
        // Not yet past the retention period: nothing goes.
        #expect(await server.server.pruneJobFiles(finishedBefore: Date().addingTimeInterval(-60)) == 0)
        #expect(FileManager.default.fileExists(atPath: files))
        #expect(await server.server.pruneJobFiles(finishedBefore: Date().addingTimeInterval(10)) == 1)
        #expect(!FileManager.default.fileExists(atPath: files))
        let job = try await alice.call(.GET, "/v1/jobs/\(id)").json
        #expect(job?["score"] as? Double == 1)
        let logs = try await alice.send(.GET, "/v1/jobs/\(id)/logs")
        #expect(logs.status == 404)
        #expect((logs.json?["detail"] as? String ?? "").contains("pruned"))
    }

    @Test func jobHistoryPastItsRetentionIsDeletedWithItsEvents() async throws {
        let server = try await TestServer(slots: 1)
        defer { Task { await server.stop() } }
        let alice = try await server.client("alice")
        let old = try #require(try await server.submitShell(alice, "echo 1 > out.txt")["id"] as? String)
        _ = try await server.waitForEnd(alice, old)
        let cutoff = Date().addingTimeInterval(0.01)
        try await Task.sleep(for: .milliseconds(20))
        let recent = try #require(try await server.submitShell(alice, "echo 2 > out.txt")["id"] as? String)
        _ = try await server.waitForEnd(alice, recent)
        // Rows outlive their files: nothing goes while the files are there.
        #expect(await server.server.pruneHistory(finishedBefore: cutoff) == 0)
        #expect(await server.server.pruneJobFiles(finishedBefore: cutoff) == 1)
        #expect(await server.server.pruneHistory(finishedBefore: cutoff) == 1)
        #expect(try await alice.send(.GET, "/v1/jobs/\(old)").status == 404)
        #expect(try await server.store.events(jobID: old).isEmpty)
        #expect(try await alice.call(.GET, "/v1/jobs/\(recent)").json?["score"] as? Double == 2)
        #expect(try await server.store.stateCounts()[.succeeded] == 1)
    }

    @Test func unknownRoutesAnswerAProblemWrongMethodsSayWhatIsAllowedAndHeadWorksWhereGetDoes() async throws {
        let server = try await TestServer(slots: 0)
        defer { Task { await server.stop() } }
        let alice = try await server.client("alice")
        for response in [try await alice.send(.GET, "/v1/nope"), try await alice.send(.GET, "/nope"), try await alice.send(.GET, "/v1/jobs/x/y/z")] {
            #expect(response.status == 404)
            #expect(response.header("Content-Type") == "application/problem+json")
            #expect(response.json?["type"] as? String == "/problems/no-such-route")
            #expect((response.json?["detail"] as? String ?? "").contains("openapi.yaml"))
        }
        // A path that exists under other methods says which, in Allow.
        let wrongMethod = try await alice.send(.DELETE, "/healthz")
        #expect(wrongMethod.status == 405)
        #expect(wrongMethod.header("Allow") == "GET, HEAD")
        #expect(wrongMethod.json?["type"] as? String == "/problems/method-not-allowed")
        let cancelByGet = try await alice.send(.GET, "/v1/jobs/00000000-0000-0000-0000-000000000000/cancel")
        #expect(cancelByGet.status == 405)
        #expect(cancelByGet.header("Allow") == "POST")
        #expect(try await alice.send(.PUT, "/v1/jobs").header("Allow") == "GET, HEAD, POST")
        #expect(try await alice.send(.HEAD, "/healthz").status == 200)
        #expect(try await alice.send(.HEAD, "/v1/jobs").status == 200)
    }
}
