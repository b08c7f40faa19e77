import Foundation
import Logging
import ProctorStore
import ServiceLifecycle
import Testing

/// The PostgreSQL connection pool as a service of a service group: calls made
/// before it runs wait for its migrations, shutting the group down ends it,
/// and a database it cannot use fails every waiting call with the reason.
@Suite(.enabled(if: StoreKind.postgresURL != nil || ProcessInfo.processInfo.environment["CI"] != nil,
                "PostgreSQL is not configured: set PROCTOR_TEST_POSTGRES (bash .ci/postgres.sh start)"))
struct PostgresServiceTests {
    @Test func callsWaitForTheServiceToMigrateAndItStopsWithTheGroup() async throws {
        let base = try #require(StoreKind.postgresURL, "PROCTOR_TEST_POSTGRES must be set under CI")
        let url = try await JobStore.createScratchDatabase(serverURL: base)
        let (store, service) = try await JobStore.postgresService(url: url)
        // Made before the pool runs: it waits, then finds the migrated schema.
        let early = Task { try await store.createUser(name: "early", at: Date()) }
        try await Task.sleep(for: .milliseconds(100))
        let group = ServiceGroup(configuration: .init(services: [.init(service: service)], logger: Logger(label: "test")))
        let running = Task { try await group.run() }
        #expect(try await early.value.name == "early")
        #expect(try await store.users().map(\.name) == ["early"])
        await group.triggerGracefulShutdown()
        try await running.value
    }

    @Test func aDatabaseThatCannotBeUsedFailsTheCallsWithTheReason() async throws {
        var quiet = Logger(label: "test")
        quiet.logLevel = .critical
        let (store, service) = try await JobStore.postgresService(url: "postgres://nobody@127.0.0.1:1/none", startTimeout: .seconds(1), logger: quiet)
        let group = ServiceGroup(configuration: .init(services: [.init(service: service)], logger: Logger(label: "test")))
        let running = Task { try await group.run() }
        let reason = await #expect(throws: StoreError.self) { try await store.ready() }
        #expect(reason?.description.contains("127.0.0.1") == true)
        await #expect(throws: (any Error).self) { try await store.users() }
        await #expect(throws: (any Error).self) { try await running.value }
    }

    @Test func aStatementThatHangsFailsAfterTheTimeoutInsteadOfHoldingItsCaller() async throws {
        let base = try #require(StoreKind.postgresURL, "PROCTOR_TEST_POSTGRES must be set under CI")
        let url = try await JobStore.createScratchDatabase(serverURL: base)
        let store = try await JobStore(postgresURL: url, options: PostgresOptions(statementTimeout: .seconds(1)))
        let locker = try await Self.lockJobs(in: url, forSeconds: 20)
        defer { locker.terminate() }
        let error = await #expect(throws: (any Error).self) { try await store.job(id: "any") }
        #expect(String(reflecting: error).contains("statement timeout"), "\(String(reflecting: error))")
    }

    @Test func callersBeyondThePoolWaitForAConnectionInsteadOfOpeningMore() async throws {
        let base = try #require(StoreKind.postgresURL, "PROCTOR_TEST_POSTGRES must be set under CI")
        let url = try await JobStore.createScratchDatabase(serverURL: base)
        let store = try await JobStore(postgresURL: url, options: PostgresOptions(maximumConnections: 4))
        let database = try #require(url.split(separator: "/").last.map(String.init))
        let locker = try await Self.lockJobs(in: url, forSeconds: 4)
        defer { locker.terminate() }
        // Forty callers at once, all held up by the lock.
        let callers = Task {
            try await withThrowingTaskGroup { group in
                for _ in 0..<40 { group.addTask { _ = try await store.job(id: "any") } }
                try await group.waitForAll()
            }
        }
        var most = 0
        while true {
            let open = try await Self.psql(url, """
                SELECT count(*) FROM pg_stat_activity WHERE datname = '\(database)' AND application_name = 'proctor'
                """)
            most = max(most, Int(open) ?? 0)
            if !locker.isRunning { break }
            try await Task.sleep(for: .milliseconds(100))
        }
        // Every caller got its answer once the lock went, through at most four connections.
        try await callers.value
        #expect(most == 4, "the store opened \(most) connections for 40 callers with a pool of 4")
    }

    /// A `psql` session that locks the jobs table of the database at `url`
    /// for a while; returns once the lock is held.
    static func lockJobs(in url: String, forSeconds seconds: Int) async throws -> Process {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/psql")
        process.arguments = [url, "-q", "-c", "BEGIN; LOCK TABLE jobs IN ACCESS EXCLUSIVE MODE; SELECT pg_sleep(\(seconds)); COMMIT;"]
        process.standardOutput = FileHandle.nullDevice
        try process.run()
        for _ in 0..<100 {
            let held = try await psql(url, """
                SELECT count(*) FROM pg_locks l JOIN pg_class c ON c.oid = l.relation
                WHERE c.relname = 'jobs' AND l.mode = 'AccessExclusiveLock' AND l.granted
                """)
            if held == "1" { return process }
            try await Task.sleep(for: .milliseconds(50))
        }
        process.terminate()
        throw CancellationError()
    }

    /// One value that `psql` prints for `query`.
    static func psql(_ url: String, _ query: String) async throws -> String {
        let file = NSTemporaryDirectory() + "proctor-psql-" + UUID().uuidString
        FileManager.default.createFile(atPath: file, contents: nil)
        defer { try? FileManager.default.removeItem(atPath: file) }
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/psql")
        process.arguments = [url, "-tAc", query]
        process.standardOutput = try FileHandle(forWritingTo: URL(fileURLWithPath: file))
        try process.run()
        while process.isRunning { try await Task.sleep(for: .milliseconds(10)) }
        return (try String(contentsOfFile: file, encoding: .utf8)).trimmingCharacters(in: .whitespacesAndNewlines)
    }
}
