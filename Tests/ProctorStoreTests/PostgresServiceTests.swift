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
}
