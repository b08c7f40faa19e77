import Foundation
import ProctorClient
import ProctorCore
import ProctorServer
import ProctorStore
import Testing

/// "Thread count grows unbounded"; "Event loop blocked by synchronous
/// operations": `proctor serve` as its own process, so that its threads are
/// its own, with more sandboxes running than the machine has cores and a
/// crowd of requests on top.
@Suite struct ThreadTests {
    /// The threads a process has now (`Threads:` of /proc/PID/status).
    static func threads(of pid: Int32) throws -> Int {
        let status = try String(contentsOfFile: "/proc/\(pid)/status", encoding: .utf8)
        let line = try #require(status.split(separator: "\n").first { $0.hasPrefix("Threads:") })
        return try #require(Int(line.dropFirst("Threads:".count).trimmingCharacters(in: .whitespaces)))
    }

    static func states(_ ids: [String], in store: JobStore) async throws -> [JobState?] {
        var states: [JobState?] = []
        for id in ids { states.append(try await store.job(id: id)?.state) }
        return states
    }

    @Test func runningSandboxesAndACrowdOfRequestsNeitherBlockTheServerNorGrowItsThreads() async throws {
        let slots = 4
        let directory = NSTemporaryDirectory() + "proctor-threads-" + UUID().uuidString
        // A competition like `shell` whose runs may last a while (55 s asked, under the
        // minute that every slot takes, the first included): the sandboxes
        // outlive the crowds however loaded the machine is, and are cancelled after.
        try TestServer.makeCompetitions(in: directory + "/competitions") { root in
            try FileManager.default.copyItem(atPath: root + "/shell", toPath: root + "/long")
            var manifest = try JSONDecoder().decode(CompetitionManifest.self, from: Data(contentsOf: URL(fileURLWithPath: root + "/long/competition.json")))
            manifest.id = "long"
            manifest.limits = StageLimits(cpuTime: 120, idleTime: 120, wallTime: 120, memory: 64 << 20, processes: 32, disk: 16 << 20, output: 64 << 10)
            manifest.maxExpectedTime = 120
            try JSONEncoder().encode(manifest).write(to: URL(fileURLWithPath: root + "/long/competition.json"))
        }
        let served = try await ServedProcess.start(["--data-dir", directory + "/data", "--competitions", directory + "/competitions",
                                                    "--slots", String(slots), "--max-running", String(slots),
                                                    "--first-slot", String(TestServer.slotBase.add(10, ordering: .relaxed).newValue)])
        defer { served.terminate() }
        let process = served.process, server = served.url
        let store = try await JobStore(sqlitePath: directory + "/data/proctor.sqlite")
        let issued = try await TokenIssuer(store: store).issue(user: "alice", role: .user, label: "", expiresIn: nil)
        // The patient client, whose pool is not the one most tests share: its crowds
        // neither time out waiting for a connection nor hold up the other tests.
        let alice = ProctorClient(server: server, token: issued.text, http: TestServer.patientHTTP)
        _ = try await alice.call(.GET, "/v1/jobs")
        let idle = try Self.threads(of: process.processIdentifier)

        // More sandboxes than cores, each waited on until it ends.
        var ids: [String] = []
        for _ in 0..<slots {
            let response = try await alice.submit(competition: "long", fileName: "solution.sh",
                                                  contents: Data("sleep 100; echo 1 > out.txt".utf8), expectedTime: 55)
            ids.append(try #require(response.json?["id"] as? String))
        }
        var running = 0
        for _ in 0..<750 where running < slots {
            running = try await Self.states(ids, in: store).filter { $0 == .running }.count
            if running < slots { try await Task.sleep(for: .milliseconds(20)) }
        }
        try #require(running == slots)

        // Two crowds of requests while they run: every one answered, the second
        // five times the first, the threads the same.
        var counts: [Int] = []
        let jobs = ids
        for crowd in [50, 250] {
            let answered = try await withThrowingTaskGroup(of: Int.self) { group in
                for i in 0..<crowd {
                    group.addTask { try await alice.call(.GET, i.isMultiple(of: 2) ? "/v1/jobs/\(jobs[i % slots])" : "/healthz").status }
                }
                return try await group.reduce(into: [Int]()) { $0.append($1) }
            }
            #expect(answered.allSatisfy { $0 == 200 }, "statuses: \(Set(answered))")
            counts.append(try Self.threads(of: process.processIdentifier))
        }
        // All of it happened while every sandbox still ran: none of them held up the server.
        #expect(try await Self.states(ids, in: store).allSatisfy { $0 == .running })
        #expect(counts[1] <= counts[0] + 1, "threads: idle \(idle), after 50 requests \(counts[0]), after 250 \(counts[1])")
        #expect(counts[0] <= idle + slots + 8, "threads: idle \(idle), with \(slots) sandboxes and 50 requests \(counts[0])")

        for id in ids {
            #expect(try await alice.send(.POST, "/v1/jobs/\(id)/cancel").status == 200)
            var state = ""
            for _ in 0..<300 where state != "cancelled" {
                state = try await alice.call(.GET, "/v1/jobs/\(id)").json?["state"] as? String ?? ""
                try await Task.sleep(for: .milliseconds(50))
            }
            let job = try await alice.send(.GET, "/v1/jobs/\(id)").text
            #expect(state == "cancelled", "\(job)")
        }
    }
}
