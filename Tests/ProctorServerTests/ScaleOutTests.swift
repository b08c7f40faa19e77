import Foundation
import ProctorClient
import ProctorCore
import ProctorServer
import ProctorStore
import Testing

/// Many machines on one PostgreSQL: two `proctor serve` replicas, several
/// workers spread over them, a few hundred jobs; every job runs exactly once.
@Suite struct ScaleOutTests {
    /// Skipped, visibly, where PostgreSQL is not configured; under CI it must run.
    static let postgres = ProcessInfo.processInfo.environment["PROCTOR_TEST_POSTGRES"]

    @Test(.enabled(if: postgres != nil || ProcessInfo.processInfo.environment["CI"] != nil,
                   "PostgreSQL is not configured: set PROCTOR_TEST_POSTGRES (bash .ci/postgres.sh start)"))
    func twoReplicasAndSeveralWorkersRunEveryJobExactlyOnce() async throws {
        let base = try #require(Self.postgres, "PROCTOR_TEST_POSTGRES must be set under CI")
        let url = try await JobStore.createScratchDatabase(serverURL: base)

        let a = try await TestServer(slots: 0, store: try await JobStore(postgresURL: url), leaseSeconds: 10)
        defer { Task { await a.stop() } }
        // The second replica shares the database and the job files (as replicas
        // behind one load balancer share a volume).
        let b = try await TestServer(slots: 0, directory: a.directory, store: try await JobStore(postgresURL: url), leaseSeconds: 10)
        defer { Task { await b.stop() } }
        var workers: [Task<Void, any Error>] = []
        for (i, replica) in [a, b, a, b].enumerated() { workers.append(try await replica.remoteWorker("node-\(i)", slots: 1)) }
        defer { workers.forEach { $0.cancel() } }

        let users = [try await a.client("alice"), try await b.client("bob"), try await a.client("carol")]
        let total = 240
        var ids: [String] = []
        for i in 0..<total {
            let client = users[i % users.count]
            let server = i % 2 == 0 ? a : b
            let replicaClient = ProctorClient(server: server.url, token: client.token)
            let response = try await replicaClient.submit(competition: "shell", fileName: "solution.sh", contents: Data("echo \(i) > out.txt".utf8))
            ids.append(try #require(response.json?["id"] as? String))
        }
        let deadline = ContinuousClock.now + .seconds(240)
        while ContinuousClock.now < deadline {
            let counts = try await a.store.stateCounts()
            if (counts[.succeeded] ?? 0) + (counts[.failed] ?? 0) + (counts[.errored] ?? 0) == total { break }
            try await Task.sleep(for: .milliseconds(200))
        }
        var nodesUsed = Set<String>()
        for (i, id) in ids.enumerated() {
            let job = try #require(try await a.store.job(id: id))
            #expect(job.state == .succeeded && job.score == Double(i), "job \(i): \(job.state)")
            let events = try await a.store.events(jobID: id)
            #expect(job.attempts == 1, "job \(i): \(events.map { "\($0.actor) \($0.to.rawValue) \($0.reason)" })")
            #expect(events.filter { $0.to == .leased }.count == 1, "job \(i) was leased more than once")
            nodesUsed.formUnion(events.filter { $0.to == .succeeded }.map(\.actor))
        }
        #expect(nodesUsed.count == 4, "every worker took part: \(nodesUsed.sorted())")
    }
}

/// `proctor serve` on PostgreSQL runs the database's connection pool in its
/// service group: it migrates a fresh database, serves, and stops cleanly.
@Suite struct PostgresServeTests {
    @Test(.enabled(if: ScaleOutTests.postgres != nil || ProcessInfo.processInfo.environment["CI"] != nil,
                   "PostgreSQL is not configured: set PROCTOR_TEST_POSTGRES (bash .ci/postgres.sh start)"))
    func serveMigratesAFreshDatabaseServesAndStopsOnSIGTERM() async throws {
        let base = try #require(ScaleOutTests.postgres, "PROCTOR_TEST_POSTGRES must be set under CI")
        let url = try await JobStore.createScratchDatabase(serverURL: base)
        let directory = NSTemporaryDirectory() + "proctor-pgserve-" + UUID().uuidString
        try TestServer.makeCompetitions(in: directory + "/competitions", extra: { _ in })
        // The server made the schema itself; a token made now works through it.
        let served = try await ServedProcess.start(["--data-dir", directory + "/data", "--competitions", directory + "/competitions",
                                                    "--slots", "0", "--database", url])
        defer { served.terminate() }
        let process = served.process
        #expect(try await ProctorClient(server: served.url, token: nil).call(.GET, "/readyz").status == 200)
        let issued = try await TokenIssuer(store: try await JobStore(postgresURL: url)).issue(user: "alice", role: .user, label: "", expiresIn: nil)
        let alice = ProctorClient(server: served.url, token: issued.text)
        #expect(try await alice.submit(competition: "shell", fileName: "solution.sh", contents: Data("echo 1 > out.txt".utf8)).status == 201)

        kill(process.processIdentifier, SIGTERM)
        try await waitForExit(process, timeout: .seconds(30))
        #expect(!process.isRunning)
        #expect(process.terminationStatus == 0)
    }
}
