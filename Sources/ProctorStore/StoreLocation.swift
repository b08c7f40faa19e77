import Foundation
import ServiceLifecycle

/// Where the state lives: PostgreSQL when a `postgres://` URL is given,
/// otherwise the embedded SQLite file in the data directory.
public struct StoreLocation: Sendable {
    public let url: String?
    public let dataDirectory: String
    /// How PostgreSQL is used, when it is.
    public let postgres: PostgresOptions

    public init(_ url: String?, dataDirectory: String, postgres: PostgresOptions = PostgresOptions()) {
        self.url = url.flatMap { $0.isEmpty ? nil : $0 }
        self.dataDirectory = dataDirectory
        self.postgres = postgres
    }

    /// Opens the store for the server: PostgreSQL's connection pool comes back
    /// as a service for the server's service group to run (it migrates as it
    /// starts); SQLite is opened and migrated at once and needs none.
    public func openForService() async throws -> (store: JobStore, service: (any Service)?) {
        if let url {
            let (store, service) = try await JobStore.postgresService(url: url, options: postgres)
            return (store, service)
        }
        return (try await open(), nil)
    }

    /// Opens (and migrates) the store.
    public func open() async throws -> JobStore {
        if let url { return try await JobStore(postgresURL: url, options: postgres) }
        try FileManager.default.createDirectory(atPath: dataDirectory, withIntermediateDirectories: true)
        return try await JobStore(sqlitePath: dataDirectory + "/proctor.sqlite")
    }
}
