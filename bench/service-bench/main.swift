// Service benchmark: `bash bench/service.sh`. Starts a real server on
// 127.0.0.1 (SQLite file, local worker) and measures, against its own
// /healthz as the baseline in the same run:
//   - GET /healthz requests per second (baseline)
//   - GET /v1/jobs/{id} requests per second and p99 latency
//   - POST /v1/jobs submissions per second (no worker: pure API + fsync'd SQLite)
//   - end-to-end jobs per second for the trivial Iris demo (2 worker slots)
import AsyncHTTPClient
import Foundation
import Logging
import ProctorClient
import ProctorCore
import ProctorSandbox
import ProctorServer
import ProctorStore

let arguments = CommandLine.arguments
let seconds = arguments.count > 1 ? Double(arguments[1]) ?? 5 : 5
let concurrency = 16
let repository = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent().path
let solution = try Data(contentsOf: URL(fileURLWithPath: repository + "/examples/iris/solution.py"))

func startServer(slots: Int) async throws -> (url: String, token: String, task: Task<Void, any Error>, store: JobStore) {
    let directory = NSTemporaryDirectory() + "proctor-bench-" + UUID().uuidString
    try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
    let store = try await JobStore(sqlitePath: directory + "/proctor.sqlite")
    var logger = Logger(label: "bench")
    logger.logLevel = .critical
    let configuration = ServerConfiguration(
        port: 0, dataDirectory: directory + "/data", competitionsDirectory: repository + "/examples/competitions",
        quotas: Quotas(maxQueued: 1_000_000, maxRunning: 1000, submissionsPerWindow: 1_000_000), localSlots: slots)
    let server = ProctorServer(configuration: configuration, store: store, sandbox: slots > 0 ? try Sandbox() : nil, logger: logger)
    let (stream, continuation) = AsyncStream<Int>.makeStream()
    let task = Task { try await server.run { continuation.yield($0) } }
    var port = 0
    for await p in stream { port = p; break }
    let token = try await TokenIssuer(store: store).issue(user: "bench", role: .user, label: "", expiresIn: nil).text
    return ("http://127.0.0.1:\(port)", token, task, store)
}

/// Runs `body` from `concurrency` tasks for `seconds`; returns rate and p99 latency.
func load(_ name: String, _ body: @escaping @Sendable () async throws -> Void) async throws -> (rate: Double, p99: Double) {
    let deadline = ContinuousClock.now + .milliseconds(Int(seconds * 1000))
    let started = ContinuousClock.now
    let latencies = try await withThrowingTaskGroup(of: [Double].self) { group in
        for _ in 0..<concurrency {
            group.addTask {
                var local: [Double] = []
                while ContinuousClock.now < deadline {
                    let t = ContinuousClock.now
                    try await body()
                    let d = ContinuousClock.now - t
                    local.append(Double(d.components.seconds) + Double(d.components.attoseconds) / 1e18)
                }
                return local
            }
        }
        return try await group.reduce(into: [Double]()) { $0 += $1 }
    }
    let elapsed = ContinuousClock.now - started
    let total = Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18
    let sorted = latencies.sorted()
    let p99 = sorted.isEmpty ? 0 : sorted[min(sorted.count - 1, Int(Double(sorted.count) * 0.99))]
    return (Double(latencies.count) / total, p99)
}

func report(_ name: String, _ result: (rate: Double, p99: Double), baseline: Double) {
    let label = name.padding(toLength: 30, withPad: " ", startingAt: 0)
    print("  \(label) " + String(format: "%8.0f req/s   p99 %6.2f ms   %.2fx of /healthz", result.rate, result.p99 * 1000, result.rate / baseline))
}

// API figures, no worker.
let api = try await startServer(slots: 0)
let client = ProctorClient(server: api.url, token: api.token)
let submitted = try await client.submit(competition: "iris", fileName: "solution.py", contents: solution)
let id = submitted.json?["id"] as? String ?? ""
// The baseline and the GET alternate, three rounds, so that drift in this
// machine's load falls on both alike; each keeps its median round.
var healthzRounds: [(rate: Double, p99: Double)] = [], getRounds: [(rate: Double, p99: Double)] = []
for _ in 0..<3 {
    healthzRounds.append(try await load("healthz") { _ = try await client.call(.GET, "/healthz") })
    getRounds.append(try await load("get") { _ = try await client.call(.GET, "/v1/jobs/\(id)") })
}
func median(_ rounds: [(rate: Double, p99: Double)]) -> (rate: Double, p99: Double) { rounds.sorted { $0.rate < $1.rate }[rounds.count / 2] }
let healthz = median(healthzRounds), getJob = median(getRounds)
let submit = try await load("submit") { _ = try await client.submit(competition: "iris", fileName: "solution.py", contents: solution) }
print("API on 127.0.0.1, \(concurrency) concurrent clients, \(Int(seconds)) s each (GET and /healthz: median of 3 alternating rounds):")
report("GET /healthz (baseline)", healthz, baseline: healthz.rate)
report("GET /v1/jobs/{id}", getJob, baseline: healthz.rate)
report("POST /v1/jobs (submit)", submit, baseline: healthz.rate)
api.task.cancel()

// End to end: submit N Iris jobs and wait until all are graded.
let e2e = try await startServer(slots: 2)
let e2eClient = ProctorClient(server: e2e.url, token: e2e.token)
let jobs = 40
let began = ContinuousClock.now
var ids: [String] = []
for _ in 0..<jobs { ids.append(try await e2eClient.submit(competition: "iris", fileName: "solution.py", contents: solution).json?["id"] as? String ?? "") }
var done = 0
while done < jobs {
    try await Task.sleep(for: .milliseconds(20))
    done = try await e2e.store.stateCounts()[.succeeded] ?? 0
}
let e2eElapsed = ContinuousClock.now - began
let e2eSeconds = Double(e2eElapsed.components.seconds) + Double(e2eElapsed.components.attoseconds) / 1e18
print("End to end, \(jobs) Iris jobs (two sandbox stages each), 2 worker slots:")
print(String(format: "  %.1f jobs/s, %.0f ms per job per slot", Double(jobs) / e2eSeconds, e2eSeconds / Double(jobs) * 2 * 1000))
e2e.task.cancel()
