import AsyncHTTPClient
import Foundation
import Logging
import ProctorClient
import ProctorCore
import ProctorSandbox
import ProctorServer
import ProctorStore
import ProctorWorker
import Synchronization
import Testing

/// A real Proctor server on 127.0.0.1 (any free port) with a real SQLite file
/// in a temporary directory, the Iris demo, and a `shell` test competition
/// whose grader does what the solution's output asks.
final class TestServer: Sendable {
    let directory: String
    let port: Int
    let store: JobStore
    let server: ProctorServer
    private let task: Task<Void, any Error>

    static let slotBase = Atomic<Int>(1000)

    init(slots: Int = 1, quotas: Quotas = Quotas(maxQueued: 50, maxRunning: 4, submissionsPerWindow: 500),
         directory existing: String? = nil, store given: JobStore? = nil, port: Int = 0, leaseSeconds: Double = 30,
         extraCompetitions: (String) throws -> Void = { _ in }, configure: (inout ServerConfiguration) -> Void = { _ in }) async throws {
        let directory = existing ?? NSTemporaryDirectory() + "proctor-server-" + UUID().uuidString
        self.directory = directory
        if existing == nil { try Self.makeCompetitions(in: directory + "/competitions", extra: extraCompetitions) }
        if let given {
            store = given
        } else {
            store = try await JobStore(sqlitePath: directory + "/proctor.sqlite")
        }
        var configuration = ServerConfiguration(
            host: "127.0.0.1", port: port, dataDirectory: directory + "/data", competitionsDirectory: directory + "/competitions",
            quotas: quotas, maxUploadBytes: 64 * 1024, retention: 3600, localSlots: slots, leaseSeconds: leaseSeconds, longPollSeconds: 2)
        configure(&configuration)
        var logger = Logger(label: "test")
        logger.logLevel = .critical
        let sandbox = try Sandbox()
        let firstSlot = Self.slotBase.add(10, ordering: .relaxed).newValue
        server = ProctorServer(configuration: configuration, store: store, sandbox: sandbox, logger: logger, firstSlot: firstSlot)
        let (stream, continuation) = AsyncStream<Int>.makeStream()
        let server = self.server
        task = Task {
            defer { continuation.finish() }
            try await server.run { port in continuation.yield(port) }
        }
        var bound = 0
        for await p in stream { bound = p; break }
        // A server that could not start ends its stream without a port: say why.
        if bound == 0 { try await task.value }
        self.port = bound
    }

    var url: String { "http://127.0.0.1:\(port)" }

    /// A worker on this machine talking to the server over HTTP, as
    /// `proctor worker` does; cancel the task to stop it.
    func remoteWorker(_ name: String, slots: Int = 1, heartbeat: Double = 0.3) async throws -> Task<Void, any Error> {
        let client = try await self.client(name, role: .worker)
        let logger = Logger(label: "worker", factory: { _ in SwiftLogNoOpLogHandler() })
        let worker = Worker(
            broker: HTTPBroker(client: client, slots: slots, waitSeconds: 1, reportPatience: 30),
            catalog: CompetitionCatalog(root: directory + "/competitions"), sandbox: try Sandbox(),
            configuration: WorkerConfiguration(id: name, slots: slots, dataDirectory: directory + "/\(name)-data", heartbeat: heartbeat,
                                               firstSlot: Self.slotBase.add(10, ordering: .relaxed).newValue, keepsJobFiles: false),
            logger: logger)
        return Task { try await worker.run() }
    }

    /// A client with a fresh token for `user`. A `patient` one waits up to 30 s
    /// for a connection (the shared client gives up after 3 s), for tests that
    /// send many requests at once on a machine the whole suite keeps busy.
    func client(_ user: String, role: Role = .user, expiresIn: Double? = nil, patient: Bool = false) async throws -> ProctorClient {
        let issued = try await TokenIssuer(store: store).issue(user: user, role: role, label: "test", expiresIn: expiresIn)
        return patient ? ProctorClient(server: url, token: issued.text, http: Self.patientHTTP) : ProctorClient(server: url, token: issued.text)
    }

    static let patientHTTP = HTTPClient(eventLoopGroupProvider: .singleton,
                                        configuration: .init(timeout: .init(connect: .seconds(30), read: .seconds(120))))

    func stop() async {
        task.cancel()
        _ = try? await task.value
    }

    /// Submits a shell solution to the `shell` competition.
    func submitShell(_ client: ProctorClient, _ script: String, expectedTime: Double? = nil, key: String? = nil) async throws -> [String: Any] {
        let response = try await client.submit(competition: "shell", fileName: "solution.sh", contents: Data(script.utf8),
                                               expectedTime: expectedTime, idempotencyKey: key)
        return response.json ?? [:]
    }

    /// Polls the store until the job is `running` (or 6 s pass).
    func waitUntilRunning(_ id: String) async throws {
        for _ in 0..<300 {
            if try await store.job(id: id)?.state == .running { return }
            try await Task.sleep(for: .milliseconds(20))
        }
    }

    /// Polls until the job is in a terminal state (or `timeout` passes).
    func waitForEnd(_ client: ProctorClient, _ id: String, timeout: Duration = .seconds(30)) async throws -> [String: Any] {
        let deadline = ContinuousClock.now + timeout
        while ContinuousClock.now < deadline {
            let job = try await client.call(.GET, "/v1/jobs/\(id)").json ?? [:]
            if let state = job["state"] as? String, ["succeeded", "failed", "timed_out", "cancelled", "errored"].contains(state) { return job }
            try await Task.sleep(for: .milliseconds(50))
        }
        Issue.record("job \(id) did not finish in time")
        return [:]
    }

    static func makeCompetitions(in root: String, extra: (String) throws -> Void) throws {
        let fm = FileManager.default
        try fm.createDirectory(atPath: root, withIntermediateDirectories: true)
        let repository = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        try fm.copyItem(atPath: repository.path + "/examples/competitions/iris", toPath: root + "/iris")
        let fixtures = URL(fileURLWithPath: #filePath).deletingLastPathComponent().path + "/Fixtures/shell"
        try fm.copyItem(atPath: fixtures, toPath: root + "/shell")
        let manifest = CompetitionManifest(
            id: "shell", version: "1", title: "Shell test competition", acceptedFiles: ["solution.sh"],
            run: ["/bin/sh", "solution.sh"], grade: ["/bin/sh", "/grader/grade.sh"], outputFile: "out.txt", maxOutputBytes: 4096,
            limits: StageLimits(cpuTime: 2, idleTime: 3, wallTime: 5, memory: 64 << 20, processes: 32, disk: 16 << 20, output: 64 << 10),
            gradeLimits: StageLimits(cpuTime: 2, wallTime: 5), maxExpectedTime: 60,
            files: ["grader/grade.sh": try sha256(root + "/shell/grader/grade.sh"), "private/answer.txt": try sha256(root + "/shell/private/answer.txt")])
        let encoder = JSONEncoder()
        try encoder.encode(manifest).write(to: URL(fileURLWithPath: root + "/shell/competition.json"))
        try extra(root)
    }

    static func sha256(_ path: String) throws -> String {
        guard let sum = CompetitionCatalog.sha256(path: path) else { throw CocoaError(.fileReadNoSuchFile) }
        return sum
    }
}

/// Runs a program to its end without blocking a thread of the cooperative
/// pool (in-process servers of other tests share it): its output goes to a
/// file, and its end is awaited by polling. With `includingErrors`, what it
/// writes to standard error is in the output too.
func runToEnd(_ path: String, _ arguments: [String], environment: [String: String]? = nil,
              includingErrors: Bool = false) async throws -> (status: Int32, output: String) {
    let file = NSTemporaryDirectory() + "proctor-output-" + UUID().uuidString
    FileManager.default.createFile(atPath: file, contents: nil)
    defer { try? FileManager.default.removeItem(atPath: file) }
    let process = Process()
    process.executableURL = URL(fileURLWithPath: path)
    process.arguments = arguments
    if let environment { process.environment = environment }
    let output = try FileHandle(forWritingTo: URL(fileURLWithPath: file))
    process.standardOutput = output
    if includingErrors { process.standardError = output }
    try process.run()
    try await waitForExit(process)
    return (process.terminationStatus, (try? String(contentsOfFile: file, encoding: .utf8)) ?? "")
}

/// Waits for a process to end, polling, so no cooperative thread blocks on it.
func waitForExit(_ process: Process, timeout: Duration = .seconds(60)) async throws {
    let deadline = ContinuousClock.now + timeout
    while process.isRunning && ContinuousClock.now < deadline { try await Task.sleep(for: .milliseconds(20)) }
}

/// The repository's root and the binaries `swift build` made there, for tests that run them as a user would.
enum Built {
    static let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent().path
    static let proctor = root + "/.build/debug/proctor"
    static let proctorWorker = root + "/.build/debug/proctor-worker"
}

/// A submission's raw answer, whatever its status (a `shell` job by default).
func postSubmission(_ client: ProctorClient, _ script: String = "echo 1 > out.txt", competition: String = "shell",
                    headers: [(String, String)] = []) async throws -> APIResponse {
    var form = MultipartBody()
    form.add(name: "competition", value: competition)
    form.add(name: "file", fileName: "solution.sh", data: Data(script.utf8))
    return try await client.send(.POST, "/v1/jobs", body: form.data, contentType: form.contentType, headers: headers)
}
