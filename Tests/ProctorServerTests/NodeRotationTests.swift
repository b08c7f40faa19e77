import Foundation
import ProctorClient
import ProctorCore
import ProctorServer
import ProctorStore
import ProctorWire
import Testing

/// When a node leaves the rotation: after failures the worker itself caused,
/// or failures that struck different users' jobs, never because one user's
/// jobs keep failing the same way. A node here is a worker token speaking the
/// worker protocol by hand, so each report says exactly what a worker would.
@Suite struct NodeRotationTests {
    struct FakeNode {
        let client: ProctorClient

        /// Leases the next job; its id and owner's name as the service gave them.
        func lease() async throws -> String? {
            let body = Data(#"{"slots": 1, "competitions": ["shell"], "wait_seconds": 1}"#.utf8)
            let response = try await client.send(.POST, "/v1/worker/lease", body: body, contentType: "application/json")
            return (response.json?["job"] as? [String: Any])?["id"] as? String
        }

        /// Reports an infrastructure failure, retried, as `proctor worker` does.
        func fail(_ id: String, nodeFault: Bool) async throws {
            let update = JobUpdate(state: .queued, reason: "retrying after an infrastructure failure", nodeFault: nodeFault)
            let response = try await client.send(.POST, "/v1/worker/jobs/\(id)/report", body: try JSONEncoder().encode(WorkerReport(update)),
                                                 contentType: "application/json")
            #expect(response.status == 200)
        }
    }

    func state(of node: String, _ server: TestServer) async throws -> Node? {
        try await server.store.nodes().first { $0.name == node }
    }

    @Test func oneUsersJobsFailingAgainAndAgainDoNotDrainTheNode() async throws {
        let server = try await TestServer(slots: 0, quotas: Quotas(maxQueued: 50, maxRunning: 10, submissionsPerWindow: 500))
        defer { Task { await server.stop() } }
        let node = FakeNode(client: try await server.client("node-a", role: .worker))
        let alice = try await server.client("alice"), bob = try await server.client("bob")
        for _ in 0..<3 { _ = try await server.submitShell(alice, "echo 1 > out.txt") }
        // Five failures in a row, all of them alice's jobs, none the node's own doing.
        for _ in 0..<5 {
            let id = try #require(try await node.lease())
            try await node.fail(id, nodeFault: false)
        }
        var current = try #require(try await state(of: "node-a", server))
        #expect(current.state == .active)
        #expect(current.infrastructureFailures == 5)
        #expect(current.infrastructureFailureUsers.count == 1)
        // The same failure on another user's job: the node is the common factor.
        let listed = try await alice.call(.GET, "/v1/jobs").json?["jobs"] as? [[String: Any]] ?? []
        for job in listed {
            let id = job["id"] as? String ?? ""
            _ = try await alice.send(.POST, "/v1/jobs/\(id)/cancel")
        }
        _ = try await server.submitShell(bob, "echo 1 > out.txt")
        let bobs = try #require(try await node.lease())
        try await node.fail(bobs, nodeFault: false)
        current = try #require(try await state(of: "node-a", server))
        #expect(current.state == .draining)
    }

    @Test func failuresTheWorkerCausedDrainTheNode() async throws {
        let server = try await TestServer(slots: 0)
        defer { Task { await server.stop() } }
        let node = FakeNode(client: try await server.client("node-b", role: .worker))
        let alice = try await server.client("alice")
        _ = try await server.submitShell(alice, "echo 1 > out.txt")
        for attempt in 0..<3 {
            let id = try #require(try await node.lease())
            #expect(try await state(of: "node-b", server)?.state == .active, "after \(attempt) failures")
            try await node.fail(id, nodeFault: true)
        }
        #expect(try await state(of: "node-b", server)?.state == .draining)
        #expect(try await state(of: "node-b", server)?.nodeFaults == 3)
    }

    @Test func aSuccessEndsTheStreak() async throws {
        let server = try await TestServer(slots: 0)
        defer { Task { await server.stop() } }
        let node = FakeNode(client: try await server.client("node-c", role: .worker))
        let alice = try await server.client("alice")
        _ = try await server.submitShell(alice, "echo 1 > out.txt")
        let id = try #require(try await node.lease())
        try await node.fail(id, nodeFault: true)
        let again = try #require(try await node.lease())
        for update in [JobUpdate(state: .running, reason: "started"), JobUpdate(state: .succeeded, reason: "graded", score: 1)] {
            let response = try await node.client.send(.POST, "/v1/worker/jobs/\(again)/report", body: try JSONEncoder().encode(WorkerReport(update)),
                                                      contentType: "application/json")
            #expect(response.status == 200, "\(response.text)")
        }
        let current = try #require(try await state(of: "node-c", server))
        #expect(current.infrastructureFailures == 0)
        #expect(current.nodeFaults == 0)
        #expect(current.infrastructureFailureUsers.isEmpty)
    }

    @Test func theServiceAloneDecidesWhetherAFailedJobIsRetried() async throws {
        let server = try await TestServer(slots: 0)
        defer { Task { await server.stop() } }
        let node = FakeNode(client: try await server.client("node-d", role: .worker))
        let alice = try await server.client("alice")
        let id = try #require(try await server.submitShell(alice, "echo 1 > out.txt")["id"] as? String)
        // The worker reports what happened; the service requeues while the
        // job has attempts left, whatever the worker asks for.
        for attempt in 1...3 {
            #expect(try await node.lease() == id)
            let update = attempt == 3
                ? JobUpdate(state: .queued, reason: "please retry")
                : JobUpdate(state: .errored, reason: "sandbox broke", error: JobError(.infrastructure, "sandbox broke"))
            let response = try await node.client.send(.POST, "/v1/worker/jobs/\(id)/report", body: try JSONEncoder().encode(WorkerReport(update)),
                                                      contentType: "application/json")
            #expect(response.json?["state"] as? String == (attempt < 3 ? "queued" : "errored"), "attempt \(attempt)")
        }
        let job = try await alice.call(.GET, "/v1/jobs/\(id)").json
        #expect(job?["state"] as? String == "errored")
        #expect(job?["attempts"] as? Int == 3)
        #expect((job?["error"] as? [String: Any])?["fault"] as? String == "infrastructure")
        let reasons = try await server.store.events(jobID: id).map(\.reason)
        #expect(reasons.contains("retrying after an infrastructure failure: sandbox broke"))
    }
}
