import Foundation
import ProctorCore
import ProctorStore
import Testing

/// The two store implementations, each made fresh for one test: a SQLite file
/// in a temporary directory, or a new database on the PostgreSQL server that
/// `.ci/run` starts (its URL in PROCTOR_TEST_POSTGRES).
enum StoreKind: String, CaseIterable, Sendable {
    case sqlite, postgres

    static var postgresURL: String? { ProcessInfo.processInfo.environment["PROCTOR_TEST_POSTGRES"] }

    /// The stores this run tests: SQLite always; PostgreSQL where it is
    /// configured, and always under CI, where its absence fails the tests.
    static var available: [StoreKind] {
        postgresURL != nil || ProcessInfo.processInfo.environment["CI"] != nil ? allCases : [.sqlite]
    }

    struct NotConfigured: Error, CustomStringConvertible {
        var description: String { "PROCTOR_TEST_POSTGRES is not set; start a server with 'bash .ci/postgres.sh start'" }
    }

    /// A fresh, empty store, and the SQLite file behind it (nil for PostgreSQL).
    func makeWithPath() async throws -> (JobStore, String?) {
        guard self == .sqlite else { return (try await make(), nil) }
        let directory = NSTemporaryDirectory() + "proctor-store-" + UUID().uuidString
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        return (try await JobStore(sqlitePath: directory + "/proctor.sqlite"), directory + "/proctor.sqlite")
    }

    /// A fresh, empty store, and a way to open it again (another replica, or after a restart).
    func makeReopenable() async throws -> (JobStore, @Sendable () async throws -> JobStore) {
        switch self {
        case .sqlite:
            let (store, path) = try await makeWithPath()
            return (store, { try await JobStore(sqlitePath: path ?? "") })
        case .postgres:
            guard let base = Self.postgresURL else { throw NotConfigured() }
            let url = try await JobStore.createScratchDatabase(serverURL: base)
            return (try await JobStore(postgresURL: url), { try await JobStore(postgresURL: url) })
        }
    }

    /// A fresh, empty store.
    func make() async throws -> JobStore {
        switch self {
        case .sqlite:
            let directory = NSTemporaryDirectory() + "proctor-store-" + UUID().uuidString
            try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
            return try await JobStore(sqlitePath: directory + "/proctor.sqlite")
        case .postgres:
            guard let base = Self.postgresURL else { throw NotConfigured() }
            let url = try await JobStore.createScratchDatabase(serverURL: base)
            return try await JobStore(postgresURL: url)
        }
    }
}

extension Job {
    /// A queued job for tests.
    static func sample(user: Int64, competition: String = "c", key: String? = nil, at: Date = Date()) -> Job {
        Job(id: UUID().uuidString.lowercased(), userID: user, competitionID: competition, competitionVersion: "1",
            fileName: "solution.py", requestID: "r", createdAt: at, idempotencyKey: key)
    }
}
