// Scale benchmark: `bash bench/scale.sh`. Claims per second with 1, 4 and 16
// concurrent claimers on SQLite and on PostgreSQL (checking that no job is
// claimed twice), and API throughput of two replicas against one on
// PostgreSQL, both measured in this run.
import AsyncHTTPClient
import Foundation
import Logging
import ProctorClient
import ProctorCore
import ProctorServer
import ProctorStore

let postgres = ProcessInfo.processInfo.environment["PROCTOR_TEST_POSTGRES"]
let jobsPerRound = 2000

func freshStore(_ kind: String) async throws -> JobStore {
    if kind == "sqlite" {
        let directory = NSTemporaryDirectory() + "proctor-bench-" + UUID().uuidString
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        return try await JobStore(sqlitePath: directory + "/proctor.sqlite")
    }
    return try await JobStore(postgresURL: try await JobStore.createScratchDatabase(serverURL: postgres ?? ""))
}

func seconds(_ d: Duration) -> Double { Double(d.components.seconds) + Double(d.components.attoseconds) / 1e18 }

print("Claims per second (\(jobsPerRound) queued jobs, 20 users, each round on a fresh database):")
for kind in ["sqlite"] + (postgres == nil ? [] : ["postgres"]) {
    for claimers in [1, 4, 16] {
        let store = try await freshStore(kind)
        var users: [Int64] = []
        for i in 0..<20 { users.append(try await store.createUser(name: "u\(i)", at: Date()).id) }
        for i in 0..<jobsPerRound {
            let job = Job(id: UUID().uuidString.lowercased(), userID: users[i % 20], competitionID: "c", competitionVersion: "1",
                          fileName: "s.py", requestID: "r", createdAt: Date())
            _ = try await store.insert(job, limits: nil)
        }
        let started = ContinuousClock.now
        let claimed = try await withThrowingTaskGroup(of: [String].self) { group in
            for w in 0..<claimers {
                group.addTask {
                    var mine: [String] = []
                    while let job = try await store.claim(worker: "w\(w)", competitions: ["c"], maxRunningPerUser: 1_000_000,
                                                          at: Date(), leaseUntil: Date().addingTimeInterval(600)) {
                        mine.append(job.id)
                    }
                    return mine
                }
            }
            var all: [String] = []
            for try await mine in group { all += mine }
            return all
        }
        let elapsed = seconds(ContinuousClock.now - started)
        let unique = Set(claimed).count
        print("  \(kind.padding(toLength: 8, withPad: " ", startingAt: 0)) \(String(format: "%2d", claimers)) claimers: "
              + String(format: "%7.0f claims/s", Double(claimed.count) / elapsed)
              + "   claimed \(claimed.count), distinct \(unique)\(unique == jobsPerRound && claimed.count == jobsPerRound ? "" : "  <-- DOUBLE CLAIM")")
    }
}

guard let base = postgres else {
    print("(set PROCTOR_TEST_POSTGRES for the PostgreSQL figures)")
    exit(0)
}

// Replicas: GET /v1/jobs/{id} from 16 clients, against one replica and spread over two.
let url = try await JobStore.createScratchDatabase(serverURL: base)
let repository = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent().path
var logger = Logger(label: "bench")
logger.logLevel = .critical
let directory = NSTemporaryDirectory() + "proctor-bench-" + UUID().uuidString
var servers: [(String, Task<Void, any Error>)] = []
for _ in 0..<2 {
    let store = try await JobStore(postgresURL: url)
    let configuration = ServerConfiguration(port: 0, dataDirectory: directory + "/data", competitionsDirectory: repository + "/examples/competitions",
                                            quotas: Quotas(maxQueued: 1_000_000, maxRunning: 100, submissionsPerWindow: 1_000_000), localSlots: 0)
    let server = ProctorServer(configuration: configuration, store: store, sandbox: nil, logger: logger)
    let (stream, continuation) = AsyncStream<Int>.makeStream()
    let task = Task { try await server.run { continuation.yield($0) } }
    var port = 0
    for await p in stream { port = p; break }
    servers.append(("http://127.0.0.1:\(port)", task))
}
let token = try await TokenIssuer(store: try await JobStore(postgresURL: url)).issue(user: "bench", role: .user, label: "", expiresIn: nil).text
let solution = try Data(contentsOf: URL(fileURLWithPath: repository + "/examples/iris/solution.py"))
let id = try await ProctorClient(server: servers[0].0, token: token).submit(competition: "iris", fileName: "solution.py", contents: solution).json?["id"] as? String ?? ""

func rate(over urls: [String]) async throws -> Double {
    let deadline = ContinuousClock.now + .seconds(5)
    let started = ContinuousClock.now
    let count = try await withThrowingTaskGroup(of: Int.self) { group in
        for c in 0..<16 {
            let client = ProctorClient(server: urls[c % urls.count], token: token)
            group.addTask {
                var n = 0
                while ContinuousClock.now < deadline { _ = try await client.call(.GET, "/v1/jobs/\(id)"); n += 1 }
                return n
            }
        }
        var total = 0
        for try await n in group { total += n }
        return total
    }
    return Double(count) / seconds(ContinuousClock.now - started)
}
let one = try await rate(over: [servers[0].0])
let two = try await rate(over: servers.map(\.0))
print("GET /v1/jobs/{id} on PostgreSQL, 16 clients, 5 s each:")
print(String(format: "  one replica  %7.0f req/s", one))
print(String(format: "  two replicas %7.0f req/s   (%.2fx one; all on this 2-core machine)", two, two / one))
servers.forEach { $0.1.cancel() }
