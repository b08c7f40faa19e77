// Queue-depth benchmark: `bash bench/queue.sh`. A real server on a SQLite file
// seeded with 1k, 10k and 100k queued jobs over 100 users, then 1M finished
// jobs on top; at each depth, the latency of the calls people and workers make
// while the queue is deep: claim (POST /v1/worker/lease), submit (POST
// /v1/jobs, answered with a queue position), GET /v1/queue, GET /v1/jobs for a
// user with 1,000 jobs, GET /v1/jobs/{id}. Each figure is a ratio against the
// same call at 1k queued, measured in this run.
import Foundation
import GRDB
import Logging
import ProctorClient
import ProctorCore
import ProctorServer
import ProctorStore

let repository = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent().path
let directory = NSTemporaryDirectory() + "proctor-queue-bench-" + UUID().uuidString
try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
defer { try? FileManager.default.removeItem(atPath: directory) }
let databasePath = directory + "/proctor.sqlite"
let store = try await JobStore(sqlitePath: databasePath)

var logger = Logger(label: "bench")
logger.logLevel = .critical
let configuration = ServerConfiguration(
    port: 0, dataDirectory: directory + "/data", competitionsDirectory: repository + "/examples/competitions",
    quotas: Quotas(maxQueued: 10_000_000, maxRunning: 10_000_000, submissionsPerWindow: 10_000_000), localSlots: 0)
let server = ProctorServer(configuration: configuration, store: store, sandbox: nil, logger: logger)
let (stream, continuation) = AsyncStream<Int>.makeStream()
let serverTask = Task { try await server.run { continuation.yield($0) } }
var port = 0
for await p in stream { port = p; break }
let url = "http://127.0.0.1:\(port)"

let issuer = TokenIssuer(store: store)
var userIDs: [Int64] = []
for i in 0..<100 { userIDs.append(try await store.createUser(name: "u\(i)", at: Date()).id) }
let heavyID = try await store.createUser(name: "heavy", at: Date()).id
let submitter = ProctorClient(server: url, token: try await issuer.issue(user: "u0", role: .user, label: "", expiresIn: nil).text)
let heavy = ProctorClient(server: url, token: try await issuer.issue(user: "heavy", role: .user, label: "", expiresIn: nil).text)
let node = ProctorClient(server: url, token: try await issuer.issue(user: "node-1", role: .worker, label: "", expiresIn: nil).text)
let solution = try Data(contentsOf: URL(fileURLWithPath: repository + "/examples/iris/solution.py"))

// Seeding goes straight to the file: millions of rows through the API would take hours.
let seeder = try DatabaseQueue(path: databasePath)
nonisolated(unsafe) var seeded = 0
func seed(jobs count: Int, state: String, users: [Int64], prefix: String) throws {
    let first = seeded
    try seeder.write { db in
        try db.execute(sql: """
            WITH RECURSIVE n(i) AS (SELECT 0 UNION ALL SELECT i + 1 FROM n WHERE i + 1 < ?)
            INSERT INTO jobs (id, user_id, competition_id, competition_version, state, priority, file_name, request_id,
                              created_at, started_at, finished_at, score)
            SELECT printf('%s-%09d', ?, i + ?), json_extract(?, '$[' || (i % ?) || ']'), 'iris', '1', ?, 0, 'solution.py', 'bench',
                   ?, CASE WHEN ? = 'queued' THEN NULL ELSE ? END, CASE WHEN ? = 'queued' THEN NULL ELSE ? + 2 END,
                   CASE WHEN ? = 'queued' THEN NULL ELSE 0.9 END
            FROM n
            """, arguments: [count, prefix, first, "[" + users.map(String.init).joined(separator: ",") + "]", users.count, state,
                             Date().timeIntervalSince1970 - 86400, state, Date().timeIntervalSince1970 - 86400, state,
                             Date().timeIntervalSince1970 - 86400, state])
    }
    seeded += count
}

func milliseconds(_ d: Duration) -> Double { Double(d.components.seconds) * 1000 + Double(d.components.attoseconds) / 1e15 }

/// Median latency of `call` over `runs` sequential requests, after a warm-up.
func latency(runs: Int = 60, _ call: () async throws -> Void) async throws -> Double {
    for _ in 0..<5 { try await call() }
    var samples: [Double] = []
    for _ in 0..<runs {
        let started = ContinuousClock.now
        try await call()
        samples.append(milliseconds(ContinuousClock.now - started))
    }
    return samples.sorted()[samples.count / 2]
}

func expect(_ response: APIResponse, _ status: Int, _ what: String) throws {
    guard response.status == status else { fatalError("\(what): HTTP \(response.status) \(response.text.prefix(200))") }
}

let calls = ["claim", "submit", "GET /v1/queue", "GET /v1/jobs", "GET /v1/jobs/{id}"]
var table: [(label: String, values: [Double])] = []
// The heavy user's 1,000 jobs (finished), listed a page at a time.
try seed(jobs: 1000, state: "succeeded", users: [heavyID], prefix: "h")
let lease = Data(#"{"slots": 1, "competitions": ["iris"], "wait_seconds": 0}"#.utf8)
let known = try await submitter.submit(competition: "iris", fileName: "solution.py", contents: solution).json?["id"] as? String ?? ""

for (label, queued, finished) in [("1k queued", 1_000, 0), ("10k queued", 10_000, 0), ("100k queued", 100_000, 0),
                                   ("100k queued + 1M finished", 100_000, 1_000_000)] {
    let current = try await seeder.read { db in try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM jobs WHERE state = 'queued'") ?? 0 }
    if queued > current { try seed(jobs: queued - current, state: "queued", users: userIDs, prefix: "q") }
    if finished > 0 {
        for _ in 0..<(finished / 100_000) { try seed(jobs: 100_000, state: "succeeded", users: userIDs, prefix: "f") }
    }
    // Fold the seeded rows into the database file, as the service's own checkpoints would.
    try seeder.writeWithoutTransaction { db in _ = try Row.fetchAll(db, sql: "PRAGMA wal_checkpoint(TRUNCATE)") }
    var values: [Double] = []
    values.append(try await latency { try expect(try await node.call(.POST, "/v1/worker/lease", body: lease, contentType: "application/json"), 200, "claim") })
    values.append(try await latency { try expect(try await submitter.submit(competition: "iris", fileName: "solution.py", contents: solution), 201, "submit") })
    values.append(try await latency { try expect(try await submitter.call(.GET, "/v1/queue"), 200, "queue") })
    values.append(try await latency { try expect(try await heavy.call(.GET, "/v1/jobs?limit=50"), 200, "list") })
    values.append(try await latency(runs: 200) { try expect(try await submitter.call(.GET, "/v1/jobs/\(known)"), 200, "get") })
    table.append((label, values))
    print("measured: \(label)")
}

print("\nMedian latency in ms (ratio to 1k queued), SQLite store, release build:")
print("call".padding(toLength: 20, withPad: " ", startingAt: 0) + table.map { $0.label.padding(toLength: 28, withPad: " ", startingAt: 0) }.joined())
for (index, call) in calls.enumerated() {
    var line = call.padding(toLength: 20, withPad: " ", startingAt: 0)
    for row in table {
        let value = row.values[index], base = table[0].values[index]
        line += String(format: "%7.2f (%5.2fx)", value, value / base).padding(toLength: 28, withPad: " ", startingAt: 0)
    }
    print(line)
}
serverTask.cancel()
