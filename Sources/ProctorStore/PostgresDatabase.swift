import Foundation
import Logging
import PostgresNIO
import ProctorCore

/// The database for many machines: one PostgreSQL database shared by every
/// `proctor serve` replica. Claims lock what they take (`FOR UPDATE SKIP
/// LOCKED`), so two replicas never take one job; per-user quota checks lock
/// the user's row, so parallel submissions cannot slip past them.
final class PostgresDatabase: SQLDatabase {
    let client: PostgresClient
    let logger: Logger
    private let runner: Task<Void, Never>

    var dialect: SQLDialect { .postgres }

    /// Connects to `url` (`postgres://user[:password]@host[:port]/database`).
    init(url: String, logger: Logger) async throws {
        var configuration = try Self.configuration(url: url)
        configuration.options.maximumConnections = 20
        // Prepared statements (the claim) keep one plan instead of planning each call.
        configuration.options.additionalStartupParameters = [("plan_cache_mode", "force_generic_plan")]
        let client = PostgresClient(configuration: configuration, backgroundLogger: logger)
        self.client = client
        self.logger = logger
        // The client's connection pool runs for the store's lifetime. Give
        // the task a turn to start before the first query leases a connection.
        runner = Task { await client.run() }
        for _ in 0..<3 { await Task.yield() }
    }

    deinit { runner.cancel() }

    /// The client configuration for `postgres://user[:password]@host[:port]/database`.
    static func configuration(url: String) throws -> PostgresClient.Configuration {
        guard let components = URLComponents(string: url), ["postgres", "postgresql"].contains(components.scheme ?? ""),
            let host = components.host, let user = components.user
        else {
            throw StoreError.invalid("the database URL must look like postgres://user:password@host:5432/database")
        }
        let database = components.path.split(separator: "/").first.map(String.init)
        return PostgresClient.Configuration(
            host: host, port: components.port ?? 5432, username: user, password: components.password, database: database, tls: .disable)
    }

    func read(_ statement: SQL) async throws -> [SQLRow] {
        try await client.query(Self.query(statement), logger: logger).collect().map(SQLRow.init(row:))
    }

    func write(_ statement: SQL) async throws -> [SQLRow] {
        try await read(statement)
    }

    func transaction<T: Sendable>(_ first: [SQL], then: @Sendable ([[SQLRow]]) throws -> FollowUp<T>) async throws -> T {
        do {
            return try await client.withTransaction(logger: logger) { connection in
                var rows: [[SQLRow]] = []
                for statement in first {
                    rows.append(try await connection.query(Self.query(statement), logger: logger).collect().map(SQLRow.init(row:)))
                }
                let followUp = try then(rows)
                for statement in followUp.statements { _ = try await connection.query(Self.query(statement), logger: logger).collect() }
                return followUp.result
            }
        } catch let error as PostgresTransactionError {
            // The store's own errors (quotas) come out as themselves, not wrapped.
            if let cause = error.closureError as? StoreError { throw cause }
            throw error
        }
    }

    func claim(_ request: ClaimRequest) async throws -> Job? {
        let statement = PostgresClaim(competitions: request.competitions, maxExpectedTime: request.maxExpectedTime,
                                      maxRunningPerUser: request.maxRunningPerUser, worker: request.worker,
                                      leaseUntil: request.leaseUntil.timeIntervalSince1970, at: request.at.timeIntervalSince1970)
        var claimed: Job?
        for try await job in try await client.execute(statement, logger: logger) { claimed = job }
        return claimed
    }

    /// PostgreSQL's autovacuum gives deleted rows' space back on its own.
    func reclaimSpace() async throws {}

    static func query(_ statement: SQL) -> PostgresQuery {
        let (text, values) = statement.rendered(for: .postgres)
        var bindings = PostgresBindings(capacity: values.count)
        for value in values {
            switch value {
            case .null(.integer): bindings.append(Int64?.none)
            case .null(.real): bindings.append(Double?.none)
            case .null(.text): bindings.append(String?.none)
            case .null(.boolean): bindings.append(Bool?.none)
            case .integer(let v): bindings.append(v)
            case .real(let v): bindings.append(v)
            case .text(let v): bindings.append(v)
            case .boolean(let v): bindings.append(v)
            }
        }
        return PostgresQuery(unsafeSQL: text, binds: bindings)
    }
}

extension SQLRow {
    /// The row's columns in the store's value types (the schema uses no others;
    /// sums and averages are cast to them in the SQL).
    init(row: PostgresRow) throws {
        var values: [String: SQLValue] = [:]
        for cell in row {
            guard cell.bytes != nil else {
                values[cell.columnName] = .null(.text)
                continue
            }
            switch cell.dataType {
            case .int2, .int4, .int8: values[cell.columnName] = .integer(try cell.decode(Int64.self))
            case .float4, .float8: values[cell.columnName] = .real(try cell.decode(Double.self))
            case .bool: values[cell.columnName] = .boolean(try cell.decode(Bool.self))
            case .void: values[cell.columnName] = .null(.text)
            default: values[cell.columnName] = .text(try cell.decode(String.self))
            }
        }
        self.init(values)
    }
}
