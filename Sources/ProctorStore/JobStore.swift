import Foundation
import GRDB
import GRDBSQLite
import Logging
import ProctorCore
import ServiceLifecycle

/// Everything Proctor keeps: users and tokens, jobs and their events, nodes,
/// and the fair queue. One implementation, its queries written once, over
/// either database: SQLite on one machine, PostgreSQL for many. Every method
/// is one statement or one transaction; a job's state only moves along
/// `JobState.successors`, and every move is recorded as an event.
public struct JobStore: Sendable {
    let database: any SQLDatabase

    var dialect: SQLDialect { database.dialect }

    private init(database: any SQLDatabase, migrate: Bool = true) async throws {
        self.database = database
        if migrate { try await Schema.migrate(database) }
    }

    /// Opens (creating if needed) the SQLite database at `path` and migrates it.
    /// A file that is not a database, or whose pages are broken, is refused
    /// with what to do about it.
    public init(sqlitePath path: String) async throws {
        do {
            try await self.init(database: try SQLiteDatabase(path: path))
        } catch let error as DatabaseError where [SQLITE_CORRUPT, SQLITE_NOTADB].contains(error.resultCode.primaryResultCode.rawValue) {
            throw StoreError.invalid(Self.damaged(path, because: error.message ?? "\(error.resultCode)"))
        }
    }

    /// Connects to PostgreSQL at `url` (`postgres://user[:password]@host[:port]/database`)
    /// and migrates it.
    public init(postgresURL url: String, options: PostgresOptions = PostgresOptions(),
                logger: Logger = Logger(label: "proctor.postgres")) async throws {
        let database = try await PostgresDatabase(url: url, logger: logger, options: options)
        do {
            try await self.init(database: database)
        } catch {
            let host = (try? PostgresDatabase.configuration(url: url).host).flatMap { $0 } ?? "?"
            throw StoreError.invalid("cannot use the PostgreSQL database at \(host): \(String(reflecting: error))")
        }
    }

    /// A PostgreSQL store whose connection pool runs as `service` in the
    /// server's service group: the service migrates the schema when it
    /// starts, and the store's calls wait for that (``ready()``).
    /// The service fails (and so do the calls) when the database does not
    /// answer and migrate within `startTimeout`, or when this machine's clock
    /// is further from the database server's than `options` allow.
    public static func postgresService(url: String, startTimeout: Duration = .seconds(30), options: PostgresOptions = PostgresOptions(),
                                       logger: Logger = Logger(label: "proctor.postgres"))
        async throws -> (store: JobStore, service: any Service)
    {
        let database = try await PostgresDatabase(url: url, logger: logger, runsItself: false, startTimeout: startTimeout, options: options)
        return (try await JobStore(database: database, migrate: false), database)
    }

    /// Returns once the store takes calls; throws why it never will (a
    /// database that cannot be reached or migrated).
    public func ready() async throws {
        try await database.ready()
    }

    /// Creates an empty database beside the one `serverURL` names and returns
    /// its URL: a scratch database for tests and benchmarks.
    public static func createScratchDatabase(serverURL: String) async throws -> String {
        let database = try await PostgresDatabase(url: serverURL, logger: Logger(label: "proctor.scratch"))
        let name = "proctor_" + UUID().uuidString.prefix(8).lowercased()
        _ = try await database.write("CREATE DATABASE \(raw: name)")
        return serverURL.split(separator: "/", omittingEmptySubsequences: false).dropLast().joined(separator: "/") + "/" + name
    }
}
