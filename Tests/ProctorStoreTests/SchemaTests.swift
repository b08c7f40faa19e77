import Foundation
import GRDB
import ProctorCore
import ProctorStore
import Testing

/// The one list of migrations: databases made by earlier versions open with
/// their data, and opening again applies nothing twice.
@Suite struct SchemaTests {
    @Test func aSQLiteDatabaseFromBeforeTheSharedMigrationListOpensWithItsData() async throws {
        let directory = NSTemporaryDirectory() + "proctor-schema-" + UUID().uuidString
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        let path = directory + "/proctor.sqlite"
        let store = try await JobStore(sqlitePath: path)
        let alice = try await store.createUser(name: "alice", at: Date())

        // Record the migrations the way earlier versions did (GRDB's migrator).
        let queue = try DatabaseQueue(path: path)
        try await queue.write { db in
            try db.execute(sql: "DROP TABLE proctor_migrations")
            // What migrations after v6 added was not there yet either.
            try db.execute(sql: "ALTER TABLE jobs DROP COLUMN fault")
            try db.execute(sql: "CREATE TABLE grdb_migrations (identifier TEXT NOT NULL PRIMARY KEY)")
            for name in ["v1: users, tokens, jobs, events", "v2: nodes", "v3: node failure counts", "v4: who a node's failures struck",
                         "v5: queue and state counts kept by triggers", "v6: the token behind each job"] {
                try db.execute(sql: "INSERT INTO grdb_migrations VALUES (?)", arguments: [name])
            }
        }
        try await queue.close()

        let reopened = try await JobStore(sqlitePath: path)
        #expect(try await reopened.user(named: "alice")?.id == alice.id)
        let versions = try await DatabaseQueue(path: path).read { db in try Int.fetchAll(db, sql: "SELECT version FROM proctor_migrations ORDER BY version") }
        #expect(versions.count >= 6 && versions == Array(1...versions.count))
    }

    @Test(arguments: StoreKind.available)
    func openingAgainAppliesNothingTwice(kind: StoreKind) async throws {
        let (store, location) = try await kind.makeReopenable()
        _ = try await store.createUser(name: "bob", at: Date())
        let again = try await location()
        #expect(try await again.users().map(\.name) == ["bob"])
    }
}
