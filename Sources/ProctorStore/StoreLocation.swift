import Foundation

/// Where the state lives: PostgreSQL when a `postgres://` URL is given,
/// otherwise the embedded SQLite file in the data directory.
public struct StoreLocation: Sendable {
    public let url: String?
    public let dataDirectory: String

    public init(_ url: String?, dataDirectory: String) {
        self.url = url.flatMap { $0.isEmpty ? nil : $0 }
        self.dataDirectory = dataDirectory
    }

    /// Opens (and migrates) the store.
    public func open() async throws -> JobStore {
        if let url { return try await JobStore(postgresURL: url) }
        try FileManager.default.createDirectory(atPath: dataDirectory, withIntermediateDirectories: true)
        return try await JobStore(sqlitePath: dataDirectory + "/proctor.sqlite")
    }
}
