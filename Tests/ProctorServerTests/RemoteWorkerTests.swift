import Foundation
import ProctorClient
import ProctorCore
import ProctorSandbox
import ProctorServer
import ProctorStore
import ProctorWire
import ProctorWorker
import Testing

/// `proctor worker` on other nodes: leases over HTTP, heartbeats that carry
/// cancellation, lapsed leases taken over, drain, and a service that goes away.
@Suite struct RemoteWorkerTests {
    /// The slim `proctor-worker` binary of this build.
    static let workerBinary = Built.proctorWorker

    /// A `proctor-worker` process for `server`, as an operator starts one on a node.
    static func startWorkerProcess(_ node: String, for server: TestServer, firstSlot: Int) async throws -> Process {
        let token = try #require(try await server.client(node, role: .worker).token)
        let process = Process()
        process.executableURL = URL(fileURLWithPath: workerBinary)
        process.arguments = ["--server", server.url, "--token", token, "--competitions", server.directory + "/competitions",
                             "--work-dir", server.directory + "/" + node, "--first-slot", String(firstSlot), "--heartbeat", "0.5"]
        process.standardOutput = FileHandle.nullDevice
        process.standardError = FileHandle.nullDevice
        try process.run()
        return process
    }

    @Test func remoteWorkerRunsJobsAndShipsTheirLogs() async throws {
        let server = try await TestServer(slots: 0, leaseSeconds: 3)
        defer { Task { await server.stop() } }
        let worker = try await server.remoteWorker("node-1")
        defer { worker.cancel() }
        let alice = try await server.client("alice")
        let id = try #require(try await server.submitShell(alice, "echo remote; echo 0.9 > out.txt")["id"] as? String)
        let job = try await server.waitForEnd(alice, id)
        #expect(job["state"] as? String == "succeeded")
        #expect(job["score"] as? Double == 0.9)
        #expect(try await alice.call(.GET, "/v1/jobs/\(id)/logs").text == "remote\n")
        let events = try await server.store.events(jobID: id)
        #expect(events.contains { $0.actor.hasPrefix("worker:node-1#") && $0.to == .succeeded })
        let admin = try await server.client("root", role: .admin)
        let nodes = try await admin.call(.GET, "/v1/admin/nodes").json?["nodes"] as? [[String: Any]]
        #expect(nodes?.first?["name"] as? String == "node-1")
        #expect(nodes?.first?["status"] as? String == "active")
    }

    @Test func logsAreVisibleWhileARemoteJobRunsAndTheNodeKeepsNoFiles() async throws {
        let server = try await TestServer(slots: 0, leaseSeconds: 3)
        defer { Task { await server.stop() } }
        let worker = try await server.remoteWorker("node-5", heartbeat: 0.2)
        defer { worker.cancel() }
        let alice = try await server.client("alice")
        let id = try #require(try await server.submitShell(alice, "echo halfway; sleep 4; echo 1 > out.txt", expectedTime: 30)["id"] as? String)
        try await server.waitUntilRunning(id)
        var seen = ""
        for _ in 0..<100 where seen.isEmpty {
            let response = try await alice.send(.GET, "/v1/jobs/\(id)/logs")
            if response.status == 200 { seen = response.text } else { try await Task.sleep(for: .milliseconds(50)) }
        }
        #expect(seen == "halfway\n")
        #expect(try await server.store.job(id: id)?.state == .running)
        #expect(try await server.waitForEnd(alice, id)["state"] as? String == "succeeded")
        try await Task.sleep(for: .milliseconds(200))
        let nodeFiles = (try? FileManager.default.contentsOfDirectory(atPath: server.directory + "/node-5-data/jobs")) ?? []
        #expect(nodeFiles.isEmpty)
    }

    @Test func onlyTheLeaseHolderMayTouchAJob() async throws {
        let server = try await TestServer(slots: 0)
        defer { Task { await server.stop() } }
        let alice = try await server.client("alice"), intruder = try await server.client("node-x", role: .worker)
        let id = try #require(try await server.submitShell(alice, "echo 1 > out.txt")["id"] as? String)
        #expect(try await intruder.send(.GET, "/v1/worker/jobs/\(id)/submission").status == 409)
        let report = try JSONEncoder().encode(WorkerReport(JobUpdate(state: .succeeded, reason: "forged", score: 1)))
        #expect(try await intruder.send(.POST, "/v1/worker/jobs/\(id)/report", body: report, contentType: "application/json").status == 409)
        #expect(try await intruder.send(.POST, "/v1/worker/jobs/\(id)/heartbeat").status == 409)
        #expect(try await alice.send(.POST, "/v1/worker/lease", body: Data("{}".utf8), contentType: "application/json").status == 403)
        #expect(try await server.store.job(id: id)?.state == .queued)
    }

    @Test func aKilledWorkersJobIsFinishedByAnotherAfterTheLeaseLapses() async throws {
        let server = try await TestServer(slots: 0, leaseSeconds: 2)
        defer { Task { await server.stop() } }
        let doomed = try await Self.startWorkerProcess("node-doomed", for: server, firstSlot: 3900)
        let alice = try await server.client("alice")
        let id = try #require(try await server.submitShell(alice, "sleep 2; echo 1 > out.txt", expectedTime: 30)["id"] as? String)
        try await server.waitUntilRunning(id)
        #expect(try await server.store.job(id: id)?.leaseOwner?.hasPrefix("node-doomed#") == true)
        kill(doomed.processIdentifier, SIGKILL)
        try await waitForExit(doomed)
        // Its sandbox died with it: nothing of the slot's uid is left running.
        try await Task.sleep(for: .milliseconds(300))
        let sandbox = try Sandbox()
        let leftovers = (try FileManager.default.contentsOfDirectory(atPath: "/proc")).filter { name in
            var st = stat()
            return Int32(name) != nil && stat("/proc/" + name, &st) == 0 && st.st_uid == sandbox.uid(forSlot: 3900)
        }
        #expect(leftovers.isEmpty)
        let rescuer = try await server.remoteWorker("node-rescue")
        defer { rescuer.cancel() }
        let job = try await server.waitForEnd(alice, id, timeout: .seconds(30))
        #expect(job["state"] as? String == "succeeded")
        #expect(job["attempts"] as? Int == 2)
        let reasons = try await server.store.events(jobID: id).map(\.reason)
        #expect(reasons.contains { $0.contains("lease lapsed") })
    }

    @Test func cancellationReachesARemoteWorker() async throws {
        let server = try await TestServer(slots: 0, leaseSeconds: 3)
        defer { Task { await server.stop() } }
        let worker = try await server.remoteWorker("node-2", heartbeat: 0.2)
        defer { worker.cancel() }
        let alice = try await server.client("alice")
        let id = try #require(try await server.submitShell(alice, "trap '' TERM; sleep 100", expectedTime: 60)["id"] as? String)
        try await server.waitUntilRunning(id)
        let started = ContinuousClock.now
        let answer = try await alice.send(.POST, "/v1/jobs/\(id)/cancel")
        #expect(answer.status == 202)
        let job = try await server.waitForEnd(alice, id, timeout: .seconds(10))
        // Cancelled (not requeued by a lapsed lease), long before the 100 s sleep
        // would end: the flag travelled with a heartbeat and the sandbox was killed.
        #expect(job["state"] as? String == "cancelled")
        #expect(ContinuousClock.now - started < .seconds(10))
    }

    @Test func aLongPollPendingWhenItsNodeIsDrainedTakesNothing() async throws {
        let server = try await TestServer(slots: 0)
        defer { Task { await server.stop() } }
        let admin = try await server.client("root", role: .admin), node = try await server.client("node-9", role: .worker)
        func lease(wait: Double) async throws -> Int {
            let body = Data(#"{"slots": 1, "competitions": ["shell"], "wait_seconds": \#(wait)}"#.utf8)
            return try await node.send(.POST, "/v1/worker/lease", body: body, contentType: "application/json").status
        }
        #expect(try await lease(wait: 0) == 204)  // registered, nothing queued
        let pending = Task { try await lease(wait: 2) }
        try await Task.sleep(for: .milliseconds(300))
        #expect(try await admin.call(.POST, "/v1/admin/nodes/node-9/drain").json?["status"] as? String == "draining")
        let alice = try await server.client("alice")
        let id = try #require(try await server.submitShell(alice, "echo 1 > out.txt")["id"] as? String)
        #expect(try await pending.value == 204)
        #expect(try await server.store.job(id: id)?.state == .queued)
    }

    @Test func aDrainedNodeTakesNoNewJobs() async throws {
        let server = try await TestServer(slots: 0, leaseSeconds: 3)
        defer { Task { await server.stop() } }
        let admin = try await server.client("root", role: .admin)
        let worker = try await server.remoteWorker("node-3")
        defer { worker.cancel() }
        for _ in 0..<100 where try await server.store.nodes().isEmpty { try await Task.sleep(for: .milliseconds(20)) }
        #expect(try await admin.call(.POST, "/v1/admin/nodes/node-3/drain").json?["status"] as? String == "draining")
        let alice = try await server.client("alice")
        let id = try #require(try await server.submitShell(alice, "echo 1 > out.txt")["id"] as? String)
        try await Task.sleep(for: .milliseconds(1500))
        #expect(try await server.store.job(id: id)?.state == .queued)
        _ = try await admin.call(.POST, "/v1/admin/nodes/node-3/resume")
        #expect(try await server.waitForEnd(alice, id)["state"] as? String == "succeeded")
        #expect(try await admin.send(.POST, "/v1/admin/nodes/nope/drain").status == 404)
    }

    @Test func aWorkerCutOffFromTheServiceReportsWhenItIsBack() async throws {
        let first = try await TestServer(slots: 0, leaseSeconds: 30)
        let port = first.port  // the service comes back where the worker knows it
        let worker = try await first.remoteWorker("node-4")
        defer { worker.cancel() }
        let alice = try await first.client("alice")
        let id = try #require(try await first.submitShell(alice, "sleep 1.5; echo 0.7 > out.txt", expectedTime: 30)["id"] as? String)
        try await first.waitUntilRunning(id)
        await first.stop()  // the service goes away while the job runs
        try await Task.sleep(for: .seconds(2))
        let second = try await TestServer(slots: 0, directory: first.directory, port: port, leaseSeconds: 30)
        defer { Task { await second.stop() } }
        let job = try await second.waitForEnd(ProctorClient(server: second.url, token: alice.token), id, timeout: .seconds(30))
        #expect(job["state"] as? String == "succeeded")
        #expect(job["score"] as? Double == 0.7)
        #expect(job["attempts"] as? Int == 1)
    }

    @Test func aNodeWhoseJobsKeepFailingForInfrastructureIsTakenOutOfRotation() async throws {
        let server = try await TestServer(slots: 0, leaseSeconds: 3)
        defer { Task { await server.stop() } }
        let worker = try await server.remoteWorker("node-sick")
        defer { worker.cancel() }
        for _ in 0..<100 where try await server.store.nodes().isEmpty { try await Task.sleep(for: .milliseconds(20)) }
        // The node's copy of the data goes bad after it was loaded.
        try "corrupted\n".write(toFile: server.directory + "/competitions/shell/private/answer.txt", atomically: true, encoding: .utf8)
        let alice = try await server.client("alice")
        let id = try #require(try await server.submitShell(alice, "echo 1 > out.txt")["id"] as? String)
        let admin = try await server.client("root", role: .admin)
        var node: [String: Any]?
        for _ in 0..<200 {
            node = (try await admin.call(.GET, "/v1/admin/nodes").json?["nodes"] as? [[String: Any]])?.first
            if node?["status"] as? String == "draining" { break }
            try await Task.sleep(for: .milliseconds(50))
        }
        #expect(node?["status"] as? String == "draining")
        #expect(node?["infrastructure_failures"] as? Int ?? 0 >= 3)
        // The user's job was not failed for the node's fault.
        let job = try await alice.call(.GET, "/v1/jobs/\(id)").json
        #expect(["queued", "errored"].contains(job?["state"] as? String ?? ""))
        if job?["state"] as? String == "errored" { #expect((job?["error"] as? [String: Any])?["fault"] as? String == "infrastructure") }
    }

    /// Processes on this machine whose command line contains `marker`.
    static func processes(running marker: String) -> [Int32] {
        ((try? FileManager.default.contentsOfDirectory(atPath: "/proc")) ?? []).compactMap { name in
            guard let pid = Int32(name), let data = FileManager.default.contents(atPath: "/proc/\(name)/cmdline") else { return nil }
            return String(decoding: data.map { $0 == 0 ? 32 : $0 }, as: UTF8.self).contains(marker) ? pid : nil
        }
    }

    @Test func stoppingAWorkerReachesTheSandboxesOfItsRunningJobs() async throws {
        let server = try await TestServer(slots: 0, leaseSeconds: 30)
        defer { Task { await server.stop() } }
        let worker = try await server.remoteWorker("node-6")
        let alice = try await server.client("alice")
        let marker = "31.4159\(Int.random(in: 100...999))"
        let id = try #require(try await server.submitShell(alice, "sleep \(marker)")["id"] as? String)
        try await server.waitUntilRunning(id)
        for _ in 0..<100 where Self.processes(running: marker).isEmpty { try await Task.sleep(for: .milliseconds(20)) }
        #expect(!Self.processes(running: marker).isEmpty)
        let stoppedAt = ContinuousClock.now
        worker.cancel()
        while !Self.processes(running: marker).isEmpty && ContinuousClock.now - stoppedAt < .seconds(4) {
            try await Task.sleep(for: .milliseconds(20))
        }
        #expect(Self.processes(running: marker).isEmpty)
        #expect(ContinuousClock.now - stoppedAt < .seconds(2))
    }

    @Test func logsTravelIncrementallyAndWholeAtTheEnd() async throws {
        let server = try await TestServer(slots: 0, leaseSeconds: 3)
        defer { Task { await server.stop() } }
        let worker = try await server.remoteWorker("node-7", heartbeat: 0.2)
        defer { worker.cancel() }
        let alice = try await server.client("alice")
        // Three seconds of output: time enough to be seen half-written on a loaded machine.
        let script = "for i in 1 2 3 4 5 6 7 8 9 10; do echo line $i; sleep 0.3; done; echo 1 > out.txt"
        let id = try #require(try await server.submitShell(alice, script, expectedTime: 30)["id"] as? String)
        var seen: [String] = []
        while seen.count < 100, try await server.store.job(id: id)?.state.isTerminal != true {
            let response = try await alice.send(.GET, "/v1/jobs/\(id)/logs")
            if response.status == 200 { seen.append(response.text) }
            try await Task.sleep(for: .milliseconds(150))
        }
        #expect(try await server.waitForEnd(alice, id)["state"] as? String == "succeeded")
        let whole = (1...10).map { "line \($0)\n" }.joined()
        #expect(try await alice.call(.GET, "/v1/jobs/\(id)/logs").text == whole)
        // Every view while it ran was a prefix of the whole: appended, never garbled.
        #expect(seen.allSatisfy { whole.hasPrefix($0) })
        #expect(seen.contains { !$0.isEmpty && $0 != whole })
    }

    @Test func aWorkerOfAnotherProtocolIsRefusedWithTheVersionsThatMatch() async throws {
        let server = try await TestServer(slots: 0)
        defer { Task { await server.stop() } }
        let node = try await server.client("node-9", role: .worker)
        let alice = try await server.client("alice")
        _ = try await server.submitShell(alice, "echo 1 > out.txt")
        let future = Data(#"{"slots": 1, "competitions": ["shell"], "protocol": 99}"#.utf8)
        let refused = try await node.send(.POST, "/v1/worker/lease", body: future, contentType: "application/json")
        #expect(refused.status == 409)
        #expect(refused.json?["type"] as? String == "/problems/worker-protocol-mismatch")
        let detail = refused.json?["detail"] as? String ?? ""
        #expect(detail.contains("protocol 99") && detail.contains("speaks \(WorkerProtocol.current)"), "\(detail)")
        // The job is still there for a worker that matches.
        let matching = Data(#"{"slots": 1, "competitions": ["shell"], "protocol": 1}"#.utf8)
        #expect(try await node.send(.POST, "/v1/worker/lease", body: matching, contentType: "application/json").status == 200)
    }

    @Test func anUploadOutOfStepIsToldWhereTheLogStands() async throws {
        let server = try await TestServer(slots: 0)
        defer { Task { await server.stop() } }
        let node = try await server.client("node-8", role: .worker)
        let alice = try await server.client("alice")
        let id = try #require(try await server.submitShell(alice, "echo 1 > out.txt")["id"] as? String)
        let lease = Data(#"{"slots": 1, "competitions": ["shell"], "wait_seconds": 1}"#.utf8)
        #expect(try await node.send(.POST, "/v1/worker/lease", body: lease, contentType: "application/json").status == 200)
        let path = "/v1/worker/jobs/\(id)/logs/solution/stdout"
        #expect(try await node.send(.PUT, path + "?offset=0", body: Data("abc".utf8), contentType: "text/plain").status == 204)
        #expect(try await node.send(.PUT, path + "?offset=3", body: Data("def".utf8), contentType: "text/plain").status == 204)
        let stale = try await node.send(.PUT, path + "?offset=3", body: Data("def".utf8), contentType: "text/plain")
        #expect(stale.status == 409)
        #expect(stale.header("Log-Size") == "6")
        #expect(try await node.send(.PUT, path + "?offset=x", body: Data(), contentType: "text/plain").status == 400)
        #expect(try await alice.call(.GET, "/v1/jobs/\(id)/logs").text == "abcdef")
    }

    @Test func aLeaseCarriesWhatAWorkerNeedsAndNothingOfTheServicesBookkeeping() async throws {
        let server = try await TestServer(slots: 0)
        defer { Task { await server.stop() } }
        let node = try await server.client("node-9", role: .worker)
        let alice = try await server.client("alice")
        let id = try #require(try await server.submitShell(alice, "echo 1 > out.txt", expectedTime: 20)["id"] as? String)
        let body = try JSONEncoder().encode(LeaseRequest(slots: 1, competitions: ["shell"], waitSeconds: 1))
        let grant = try await node.call(.POST, "/v1/worker/lease", body: body, contentType: "application/json").json
        let job = try #require(grant?["job"] as? [String: Any])
        #expect(Set(job.keys) == ["id", "competition", "competition_version", "file_name", "expected_time", "attempt", "request_id"])
        #expect(job["id"] as? String == id)
        #expect(job["attempt"] as? Int == 1)
        #expect(grant?["lease_seconds"] as? Double == 30)
        let heartbeat = try await node.call(.POST, "/v1/worker/jobs/\(id)/heartbeat").json
        #expect(heartbeat?.keys.sorted() == ["cancel_requested"])
    }

    @Test func theSlimWorkerBinaryRunsJobsAndLinksNoDatabaseDriver() async throws {
        let server = try await TestServer(slots: 0, leaseSeconds: 5)
        defer { Task { await server.stop() } }
        let worker = try await Self.startWorkerProcess("node-slim", for: server, firstSlot: 3910)
        let binary = Self.workerBinary
        defer { if worker.isRunning { kill(worker.processIdentifier, SIGKILL) } }
        let alice = try await server.client("alice")
        let id = try #require(try await server.submitShell(alice, "echo slim; echo 0.5 > out.txt")["id"] as? String)
        let job = try await server.waitForEnd(alice, id)
        #expect(job["state"] as? String == "succeeded")
        #expect(try await alice.call(.GET, "/v1/jobs/\(id)/logs").text == "slim\n")
        kill(worker.processIdentifier, SIGTERM)  // drains and exits
        try await waitForExit(worker)
        #expect(worker.terminationStatus == 0)
        // What a compute node's administrator would check: no database code in it.
        let text = try await runToEnd("/usr/bin/nm", [binary]).output
        #expect(text.contains("ProctorWorker"))
        #expect(try await runToEnd(binary, ["--slots", "many"]).status == 2)  // bad usage, as `proctor` says it
        #expect(!text.contains("GRDB") && !text.contains("PostgresNIO") && !text.contains("sqlite3_"))
    }

    @Test func twoProcessesSharingANodesTokenNeverTouchEachOthersJobs() async throws {
        let server = try await TestServer(slots: 0)
        defer { Task { await server.stop() } }
        let node = try await server.client("node-10", role: .worker)
        let alice = try await server.client("alice")
        let id = try #require(try await server.submitShell(alice, "echo 1 > out.txt")["id"] as? String)
        let lease = try JSONEncoder().encode(LeaseRequest(slots: 1, competitions: ["shell"], waitSeconds: 1, instance: "first"))
        #expect(try await node.send(.POST, "/v1/worker/lease", body: lease, contentType: "application/json").status == 200)
        let running = try JSONEncoder().encode(WorkerReport(JobUpdate(state: .running, reason: "started")))
        // The other process (or one naming no instance) is not the holder.
        for other in [[(workerInstanceHeader, "second")], []] {
            #expect(try await node.send(.POST, "/v1/worker/jobs/\(id)/heartbeat", headers: other).status == 409)
            #expect(try await node.send(.POST, "/v1/worker/jobs/\(id)/report", body: running, contentType: "application/json", headers: other).status == 409)
            #expect(try await node.send(.GET, "/v1/worker/jobs/\(id)/submission", headers: other).status == 409)
        }
        let mine = [(workerInstanceHeader, "first")]
        #expect(try await node.send(.POST, "/v1/worker/jobs/\(id)/heartbeat", headers: mine).status == 200)
        #expect(try await node.send(.POST, "/v1/worker/jobs/\(id)/report", body: running, contentType: "application/json", headers: mine).status == 200)
        #expect(try await node.send(.POST, "/v1/worker/jobs/\(id)/heartbeat", headers: [(workerInstanceHeader, "../x")]).status == 400)
    }

    @Test func aWorkerSendsOnlyWhatItsLogsGained() async throws {
        let server = try await TestServer(slots: 0)
        defer { Task { await server.stop() } }
        let broker = HTTPBroker(client: try await server.client("node-11", role: .worker), slots: 1, waitSeconds: 1)
        let alice = try await server.client("alice")
        let id = try #require(try await server.submitShell(alice, "echo 1 > out.txt")["id"] as? String)
        let job = try #require(try await broker.claim(competitions: ["shell"], freeSlots: 1, maxExpectedTime: nil))
        #expect(job.id == id)
        let paths = JobPaths(dataDirectory: server.directory + "/node-11-data", jobID: job.id)
        try FileManager.default.createDirectory(atPath: paths.logs, withIntermediateDirectories: true)
        let log = paths.log(stage: "solution", stream: "stdout")
        try "abc".write(toFile: log, atomically: true, encoding: .utf8)
        try await broker.publishLogs(job, from: paths)
        #expect(try await alice.call(.GET, "/v1/jobs/\(id)/logs").text == "abc")
        // Three more bytes arrive; the first three change on disk, which a
        // worker resending whole files would show, and one sending only what
        // is new does not.
        try "XYZdef".write(toFile: log, atomically: true, encoding: .utf8)
        try await broker.publishLogs(job, from: paths)
        #expect(try await alice.call(.GET, "/v1/jobs/\(id)/logs").text == "abcdef")
    }
}
