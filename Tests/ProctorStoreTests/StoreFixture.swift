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

    /// A fresh, empty store, or `nil` (with a recorded issue in CI) when
    /// PostgreSQL is not configured.
    func make() async throws -> (any JobStore)? {
        switch self {
        case .sqlite:
            let directory = NSTemporaryDirectory() + "proctor-store-" + UUID().uuidString
            try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
            return try SQLiteStore(path: directory + "/proctor.sqlite")
        case .postgres:
            guard let base = Self.postgresURL else {
                if ProcessInfo.processInfo.environment["CI"] != nil { Issue.record("PROCTOR_TEST_POSTGRES is not set in CI") }
                return nil
            }
            let url = try await PostgresStore.createScratchDatabase(serverURL: base)
            return try await PostgresStore(url: url)
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
