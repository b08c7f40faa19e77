import Foundation
import Logging
import PostgresNIO
import ProctorCore
import ServiceLifecycle

/// The database for many machines: one PostgreSQL database shared by every
/// `proctor serve` replica. Claims lock what they take (`FOR UPDATE SKIP
/// LOCKED`), so two replicas never take one job; per-user quota checks lock
/// the user's row, so parallel submissions cannot slip past them.
///
/// Its connection pool runs either as a `Service` of the server's service
/// group (``run()`` migrates, then opens the database to queries, which wait
/// until then) or, for tools and tests, on its own for the database's lifetime.
final class PostgresDatabase: SQLDatabase, Service {
    let client: PostgresClient
    let logger: Logger
    private let runner: Task<Void, Never>?
    /// How long ``run()`` may take to reach the database and migrate it.
    let startTimeout: Duration
    /// Where the database is, for messages.
    let host: String
    let options: PostgresOptions
    private let gate = ReadinessGate()
    /// Set while ``run()`` migrates: those queries pass the closed gate.
    @TaskLocal private static var migrating = false

    var dialect: SQLDialect { .postgres }

    /// Connects to `url` (`postgres://user[:password]@host[:port]/database`);
    /// unless `runsItself`, nothing is sent before ``run()`` starts.
    init(url: String, logger: Logger, runsItself: Bool = true, startTimeout: Duration = .seconds(30),
         options: PostgresOptions = PostgresOptions()) async throws {
        self.startTimeout = startTimeout
        self.options = options
        var configuration = try Self.configuration(url: url)
        host = "\(configuration.host ?? "?"):\(configuration.port ?? 5432)"
        configuration.options.maximumConnections = options.maximumConnections
        configuration.options.additionalStartupParameters = options.startupParameters
        let client = PostgresClient(configuration: configuration, backgroundLogger: logger)
        self.client = client
        self.logger = logger
        guard runsItself else {
            runner = nil
            return
        }
        // The client's connection pool runs for the store's lifetime. Give
        // the task a turn to start before the first query leases a connection.
        runner = Task { await client.run() }
        gate.open()
        for _ in 0..<3 { await Task.yield() }
    }

    deinit { runner?.cancel() }

    /// Runs the connection pool until the service group shuts down: migrates
    /// the schema first, then lets queries through (or fails them all with
    /// the reason the database cannot be used).
    func run() async throws {
        try await withThrowingDiscardingTaskGroup { group in
            group.addTask { await self.client.run() }
            do {
                try await withThrowingTaskGroup { start in
                    start.addTask {
                        try await Self.$migrating.withValue(true) {
                            try await Schema.migrate(self)
                            try await self.checkClock()
                        }
                    }
                    start.addTask {
                        try await Task.sleep(for: self.startTimeout)
                        throw StoreError.invalid("""
                            cannot use the PostgreSQL database at \(self.host): no answer within \(self.startTimeout); \
                            check that it runs and that the URL is right
                            """)
                    }
                    try await start.next()
                    start.cancelAll()
                }
                gate.open()
            } catch {
                gate.fail(error)
                throw error
            }
        }
    }

    /// Refuses a machine whose clock is further from the database server's
    /// than the options allow, saying by how much and what to do.
    private func checkClock() async throws {
        let sent = Date()
        let rows = try await read("SELECT CAST(EXTRACT(EPOCH FROM clock_timestamp()) AS DOUBLE PRECISION) AS now")
        let received = Date()
        let databaseNow = try rows.first?.value("now", as: Double.self) ?? 0
        // The database read its clock between sending and receiving: compare with the middle.
        let skew = (sent.timeIntervalSince1970 + received.timeIntervalSince1970) / 2 - databaseNow
        let allowed = Double(options.maximumClockSkew.components.seconds)
        guard abs(skew) <= allowed else {
            throw StoreError.invalid("""
                this machine's clock is \(Int(abs(skew).rounded())) s \(skew > 0 ? "ahead of" : "behind") the clock of the \
                PostgreSQL server at \(host) (at most \(Int(allowed)) s allowed): replicas compare the times they write \
                (quota windows, lease deadlines); synchronise the clocks (NTP) and start again
                """)
        }
    }

    func ready() async throws {
        try await gate.pass()
    }

    private func pass() async throws {
        if !Self.migrating { try await gate.pass() }
    }

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
        try await pass()
        return try await client.query(Self.query(statement), logger: logger).collect().map(SQLRow.init(row:))
    }

    func write(_ statement: SQL) async throws -> [SQLRow] {
        try await read(statement)
    }

    func transaction<T: Sendable>(_ first: [SQL], then: @Sendable ([[SQLRow]]) throws -> FollowUp<T>) async throws -> T {
        try await pass()
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
        try await pass()
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
