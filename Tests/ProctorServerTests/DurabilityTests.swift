import Foundation
import ProctorClient
import ProctorCore
import ProctorServer
import ProctorStore
import Testing

/// Nothing accepted is lost: not on restart, not on `kill -9`; a job never
/// stays "running" for a worker that is gone, and terminal states never change.
@Suite struct DurabilityTests {
    @Test func jobsRunningAtRestartAreRequeuedAndFinish() async throws {
        let first = try await TestServer(slots: 0)
        let alice = try await first.client("alice")
        let id = try #require(try await first.submitShell(alice, "echo 3 > out.txt")["id"] as? String)
        // As if the worker had taken it and then the whole server died.
        let local = first.server.configuration.localWorkerID
        let claimed = try await first.store.claim(worker: local, competitions: ["shell"], maxRunningPerUser: 5, at: Date(), leaseUntil: Date().addingTimeInterval(600))
        #expect(claimed?.id == id)
        _ = try await first.store.report(jobID: id, worker: local, update: JobUpdate(state: .running, reason: "test"), at: Date())
        await first.stop()

        let second = try await TestServer(slots: 1, directory: first.directory)
        defer { Task { await second.stop() } }
        let again = ProctorClient(server: second.url, token: alice.token)
        let job = try await second.waitForEnd(again, id)
        #expect(job["state"] as? String == "succeeded")
        #expect(job["attempts"] as? Int == 2)
        let reasons = try await second.store.events(jobID: id).map(\.reason)
        #expect(reasons.contains("server restarted while the job ran"))
    }

    @Test func twoReplicasWithLocalSlotsNeverRecoverEachOthersJobs() async throws {
        let a = try await TestServer(slots: 1)
        defer { Task { await a.stop() } }
        let alice = try await a.client("alice")
        let id = try #require(try await a.submitShell(alice, "sleep 1.5; echo 0.5 > out.txt", expectedTime: 30)["id"] as? String)
        try await a.waitUntilRunning(id)
        // A second replica with its own local worker starts on the same database while A's job runs.
        let b = try await TestServer(slots: 1, store: a.store)
        defer { Task { await b.stop() } }
        try await b.server.recover()
        #expect(a.server.configuration.localWorkerID != b.server.configuration.localWorkerID)
        let job = try await a.waitForEnd(alice, id)
        #expect(job["state"] as? String == "succeeded")
        #expect(job["attempts"] as? Int == 1)
        #expect(try await a.store.events(jobID: id).allSatisfy { !$0.reason.contains("restarted") })
    }

    @Test func aJobAcceptedWith201SurvivesKill9() async throws {
        let directory = NSTemporaryDirectory() + "proctor-kill-" + UUID().uuidString
        try TestServer.makeCompetitions(in: directory + "/competitions", extra: { _ in })
        func start(slots: Int) async throws -> ServedProcess {
            try await ServedProcess.start(["--data-dir", directory + "/data", "--competitions", directory + "/competitions", "--slots", String(slots),
                                           "--first-slot", String(TestServer.slotBase.add(10, ordering: .relaxed).newValue)])
        }
        try FileManager.default.createDirectory(atPath: directory + "/data", withIntermediateDirectories: true)
        let issued = try await TokenIssuer(store: try await JobStore(sqlitePath: directory + "/data/proctor.sqlite")).issue(user: "alice", role: .user, label: "", expiresIn: nil)

        let server = try await start(slots: 0)
        defer { server.terminate() }
        let response = try await ProctorClient(server: server.url, token: issued.text)
            .submit(competition: "shell", fileName: "solution.sh", contents: Data("echo 4 > out.txt".utf8))
        #expect(response.status == 201)
        let jobID = try #require(response.json?["id"] as? String)
        try await server.stop(signal: SIGKILL)

        let restarted = try await start(slots: 1)
        defer { restarted.terminate() }
        let client2 = ProctorClient(server: restarted.url, token: issued.text)
        var state = ""
        for _ in 0..<300 {
            if let job = try? await client2.call(.GET, "/v1/jobs/\(jobID)").json, let s = job["state"] as? String {
                state = s
                if s == "succeeded" { break }
            }
            try await Task.sleep(for: .milliseconds(100))
        }
        let detail = state == "succeeded" ? "" : (try? await client2.send(.GET, "/v1/jobs/\(jobID)").text) ?? ""
        #expect(state == "succeeded", "\(detail)\n\(restarted.output)")
    }

    @Test func aLateReportFromALostWorkerIsRefused() async throws {
        let server = try await TestServer(slots: 0)
        defer { Task { await server.stop() } }
        let alice = try await server.client("alice")
        let id = try #require(try await server.submitShell(alice, "echo 1 > out.txt")["id"] as? String)
        let past = Date().addingTimeInterval(-10)
        _ = try await server.store.claim(worker: "gone", competitions: ["shell"], maxRunningPerUser: 5, at: past, leaseUntil: past.addingTimeInterval(1))
        let requeued = try await server.store.requeueExpired(at: Date(), heldBy: nil, maxAttempts: 3)
        #expect(requeued.map(\.id) == [id])
        #expect(requeued.first?.state == .queued)
        let late = try await server.store.report(jobID: id, worker: "gone", update: JobUpdate(state: .succeeded, reason: "late", score: 1), at: Date())
        #expect(late == nil)
        #expect(try await server.store.job(id: id)?.state == .queued)
    }

    @Test func leasesThatKeepLapsingEndInErrored() async throws {
        let server = try await TestServer(slots: 0)
        defer { Task { await server.stop() } }
        let alice = try await server.client("alice")
        let id = try #require(try await server.submitShell(alice, "echo 1 > out.txt")["id"] as? String)
        for attempt in 1...3 {
            let past = Date().addingTimeInterval(-10)
            _ = try await server.store.claim(worker: "flaky-\(attempt)", competitions: ["shell"], maxRunningPerUser: 5, at: past, leaseUntil: past.addingTimeInterval(1))
            _ = try await server.store.requeueExpired(at: Date(), heldBy: nil, maxAttempts: 3)
        }
        let job = try await alice.call(.GET, "/v1/jobs/\(id)").json
        #expect(job?["state"] as? String == "errored")
        #expect((job?["error"] as? [String: Any])?["fault"] as? String == "infrastructure")
    }

    @Test func terminalStatesNeverChange() async throws {
        let server = try await TestServer(slots: 1)
        defer { Task { await server.stop() } }
        let alice = try await server.client("alice")
        let id = try #require(try await server.submitShell(alice, "echo 1 > out.txt")["id"] as? String)
        #expect(try await server.waitForEnd(alice, id)["state"] as? String == "succeeded")
        let local = server.server.configuration.localWorkerID
        #expect(try await server.store.report(jobID: id, worker: local, update: JobUpdate(state: .running, reason: "glitch"), at: Date()) == nil)
        #expect(try await server.store.cancel(jobID: id, actor: "user:alice", at: Date())?.state == .succeeded)
        #expect(try await server.store.requeueExpired(at: Date().addingTimeInterval(1e6), heldBy: local, maxAttempts: 3).isEmpty)
        #expect(try await server.store.job(id: id)?.state == .succeeded)
    }
}
