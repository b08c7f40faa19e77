import Foundation
import ProctorClient
import ProctorCore
import ProctorServer
import ProctorStore
import ProctorWire
import Testing

/// A grader that keeps failing is blamed where the failure lies: on one node
/// while it works elsewhere (that node stops taking the competition), or on
/// the grader itself when it fails everywhere (the competition is disabled
/// with the reason until an admin enables it) — never on the node's
/// infrastructure streak.
@Suite struct GraderBlameTests {
    /// Leases a shell job on `node` and reports it as the worker would: the
    /// grader failing (`failing`) or the job succeeding. Returns whether it got one.
    func run(on node: ProctorClient, graderFails failing: Bool) async throws -> Bool {
        let lease = Data(#"{"slots": 1, "competitions": ["shell"], "wait_seconds": 1}"#.utf8)
        guard let id = ((try await node.send(.POST, "/v1/worker/lease", body: lease, contentType: "application/json")).json?["job"]
            as? [String: Any])?["id"] as? String else { return false }
        let started = JobUpdate(state: .running, reason: "started")
        _ = try await node.send(.POST, "/v1/worker/jobs/\(id)/report", body: try JSONEncoder().encode(WorkerReport(started)),
                                contentType: "application/json")
        let update = failing
            ? JobUpdate(state: .errored, reason: "the grader failed", error: JobError(.graderFailed, "ModuleNotFoundError: No module named 'sklearn'"))
            : JobUpdate(state: .succeeded, reason: "graded", score: 1)
        let response = try await node.send(.POST, "/v1/worker/jobs/\(id)/report", body: try JSONEncoder().encode(WorkerReport(update)),
                                           contentType: "application/json")
        #expect(response.status == 200)
        return true
    }

    @Test func aNodeWhereTheGraderFailsWhileItWorksElsewhereStopsTakingTheCompetition() async throws {
        let server = try await TestServer(slots: 0, quotas: Quotas(maxQueued: 50, maxRunning: 10, submissionsPerWindow: 500))
        defer { Task { await server.stop() } }
        let alice = try await server.client("alice"), admin = try await server.client("root", role: .admin)
        let good = try await server.client("node-good", role: .worker), bad = try await server.client("node-bad", role: .worker)
        _ = try await server.submitShell(alice, "echo 1 > out.txt")
        #expect(try await run(on: good, graderFails: false))
        for _ in 0..<3 {
            _ = try await server.submitShell(alice, "echo 1 > out.txt")
            #expect(try await run(on: bad, graderFails: true))
        }
        // The bad node takes no more shell jobs; the good one does.
        _ = try await server.submitShell(alice, "echo 1 > out.txt")
        #expect(try await run(on: bad, graderFails: true) == false)
        let nodes = try await admin.call(.GET, "/v1/admin/nodes").json?["nodes"] as? [[String: Any]] ?? []
        let badNode = nodes.first { $0["name"] as? String == "node-bad" }
        let why = (badNode?["excluded_competitions"] as? [String: String])?["shell"] ?? ""
        #expect(why.contains("sklearn") && why.contains("works on others"), "\(why)")
        // Not the node's infrastructure failures, and not the competition's fault.
        #expect(badNode?["infrastructure_failures"] as? Int == 0)
        #expect(badNode?["status"] as? String == "active")
        #expect(try await run(on: good, graderFails: false))
        // Resuming the node (repaired) forgets its grader failures.
        #expect(try await admin.send(.POST, "/v1/admin/nodes/node-bad/resume").status == 200)
        _ = try await server.submitShell(alice, "echo 1 > out.txt")
        #expect(try await run(on: bad, graderFails: false))
    }

    @Test func aGraderThatFailsEverywhereDisablesTheCompetitionUntilAnAdminEnablesIt() async throws {
        let server = try await TestServer(slots: 0, quotas: Quotas(maxQueued: 50, maxRunning: 10, submissionsPerWindow: 500))
        defer { Task { await server.stop() } }
        let alice = try await server.client("alice"), admin = try await server.client("root", role: .admin)
        let a = try await server.client("node-a", role: .worker), b = try await server.client("node-b", role: .worker)
        for node in [a, b, a, b, a, b] {
            _ = try await server.submitShell(alice, "echo 1 > out.txt")
            #expect(try await run(on: node, graderFails: true))
        }
        let shell = try await alice.call(.GET, "/v1/competitions/shell").json
        #expect(shell?["enabled"] as? Bool == false)
        #expect((shell?["disabled_reason"] as? String ?? "").contains("every node"))
        let refused = try await postSubmission(alice)
        #expect(refused.status == 503)
        #expect(refused.json?["type"] as? String == "/problems/competition-disabled")

        #expect(try await admin.send(.POST, "/v1/admin/competitions/shell/enable").status == 200)
        #expect(try await alice.call(.GET, "/v1/competitions/shell").json?["enabled"] as? Bool == true)
        _ = try await server.submitShell(alice, "echo 1 > out.txt")
        #expect(try await run(on: a, graderFails: false))
    }
}
