import Foundation
import GRDB
import ProctorCore
@testable import ProctorStore
import Testing

/// The one list of migrations: databases made by earlier versions open with
/// their data, and opening again applies nothing twice.
@Suite struct SchemaTests {
    @Test func aSQLiteDatabaseFromBeforeTheSharedMigrationListOpensWithItsData() async throws {
        let directory = NSTemporaryDirectory() + "proctor-schema-" + UUID().uuidString
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        let path = directory + "/proctor.sqlite"
        // The schema as it stood at v6, its migrations recorded the way
        // earlier versions did (GRDB's migrator), with a user in it.
        let queue = try DatabaseQueue(path: path)
        try await queue.write { db in
            for migration in Schema.migrations(.sqlite).prefix(6) {
                for statement in migration.statements { try db.execute(sql: statement.rendered(for: .sqlite).text) }
            }
            try db.execute(sql: "CREATE TABLE grdb_migrations (identifier TEXT NOT NULL PRIMARY KEY)")
            for name in ["v1: users, tokens, jobs, events", "v2: nodes", "v3: node failure counts", "v4: who a node's failures struck",
                         "v5: queue and state counts kept by triggers", "v6: the token behind each job"] {
                try db.execute(sql: "INSERT INTO grdb_migrations VALUES (?)", arguments: [name])
            }
            try db.execute(sql: "INSERT INTO users (name, created_at) VALUES ('alice', 0)")
        }
        try await queue.close()

        let reopened = try await JobStore(sqlitePath: path)
        #expect(try await reopened.user(named: "alice") != nil)
        let versions = try await DatabaseQueue(path: path).read { db in try Int.fetchAll(db, sql: "SELECT version FROM proctor_migrations ORDER BY version") }
        #expect(versions == Schema.migrations(.sqlite).map(\.version))
    }

    @Test(arguments: StoreKind.available)
    func openingAgainAppliesNothingTwice(kind: StoreKind) async throws {
        let (store, location) = try await kind.makeReopenable()
        _ = try await store.createUser(name: "bob", at: Date())
        let again = try await location()
        #expect(try await again.users().map(\.name) == ["bob"])
    }
}
