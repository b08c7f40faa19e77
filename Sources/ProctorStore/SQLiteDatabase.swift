import Foundation
import GRDB

/// The embedded database: one SQLite file in WAL mode, with `synchronous=FULL`
/// so that a job answered with 201 survives a crash of the server or the
/// machine. Reads run on the pool's readers beside the single writer.
struct SQLiteDatabase: SQLDatabase {
    let pool: DatabasePool
    /// Claims, written in groups: one transaction (one fsync) for all that arrive together.
    let claims: SQLiteClaims
    /// Connections for reads, beside the pool's writer.
    let readers: SQLiteReaders
    /// The database file.
    let path: String

    var dialect: SQLDialect { .sqlite }

    /// Opens (creating if needed) the database file at `path`.
    init(path: String) throws {
        self.path = path
        var configuration = Configuration()
        configuration.busyMode = .timeout(10)
        configuration.prepareDatabase { db in
            try db.execute(sql: "PRAGMA synchronous = FULL; PRAGMA foreign_keys = ON")
        }
        pool = try DatabasePool(path: path, configuration: configuration)
        try pool.writeWithoutTransaction { db in
            // Deleted history gives its pages back a few at a time (incremental
            // vacuum). A database made before this setting is converted once,
            // at start; a new one before its first table exists.
            if try Int.fetchOne(db, sql: "PRAGMA auto_vacuum") != 2 {
                try db.execute(sql: "PRAGMA auto_vacuum = INCREMENTAL")
                try db.execute(sql: "VACUUM")
            }
            // Databases made before the shared migration list recorded their
            // migrations as GRDB's ("v3: …"); carry those over once.
            if try db.tableExists("grdb_migrations"), try !db.tableExists("proctor_migrations") {
                try db.execute(sql: """
                    CREATE TABLE proctor_migrations (version INTEGER PRIMARY KEY, applied_at REAL NOT NULL);
                    INSERT INTO proctor_migrations SELECT CAST(substr(identifier, 2, instr(identifier, ':') - 2) AS INTEGER), ?
                    FROM grdb_migrations WHERE identifier GLOB 'v[0-9]*:*';
                    """, arguments: [Date().timeIntervalSince1970])
            }
        }
        claims = SQLiteClaims(pool: pool)
        readers = SQLiteReaders(path: path)
    }

    /// Reads run on the calling thread, each on a read-only connection of its
    /// own (``SQLiteReaders``): in WAL mode a reader never waits for the
    /// writer, and the store's reads are indexed lookups of the page cache
    /// (microseconds, CPU work like encoding the answer), so handing each to
    /// a queue and back would cost more than the read itself. Each read is one
    /// statement, consistent on its own.
    func read(_ statement: SQL) async throws -> [SQLRow] {
        let (text, values) = statement.rendered(for: .sqlite)
        return try readers.rows(text, values)
    }

    func write(_ statement: SQL) async throws -> [SQLRow] {
        try await pool.write { db in try Self.run(statement, in: db) }
    }

    func transaction<T: Sendable>(_ first: [SQL], then: @Sendable ([[SQLRow]]) throws -> FollowUp<T>) async throws -> T {
        try await pool.write { db in
            let rows = try first.map { try Self.run($0, in: db) }
            let followUp = try then(rows)
            for statement in followUp.statements { _ = try Self.run(statement, in: db) }
            return followUp.result
        }
    }

    func claim(_ request: ClaimRequest) async throws -> Job? {
        try await claims.claim(request)
    }

    /// Opened and migrated before the store is handed out.
    func ready() async throws {}

    func reclaimSpace() async throws {
        try await pool.writeWithoutTransaction { db in _ = try Row.fetchAll(db, sql: "PRAGMA incremental_vacuum") }
    }

    /// Runs one statement on `db`. Statements are compiled once per
    /// connection and kept: planning a query can cost more than running it.
    static func run(_ statement: SQL, in db: Database) throws -> [SQLRow] {
        let (text, values) = statement.rendered(for: .sqlite)
        if statement.isScript {
            try db.execute(sql: text)
            return []
        }
        let arguments = StatementArguments(values.map { $0.databaseValue })
        return try Row.fetchAll(try db.cachedStatement(sql: text), arguments: arguments).map(SQLRow.init(row:))
    }
}

extension SQLValue {
    var databaseValue: DatabaseValue {
        switch self {
        case .null: .null
        case .integer(let value): value.databaseValue
        case .real(let value): value.databaseValue
        case .text(let value): value.databaseValue
        case .boolean(let value): value.databaseValue
        }
    }
}

extension SQLRow {
    init(row: Row) {
        var values: [String: SQLValue] = [:]
        values.reserveCapacity(row.count)
        for (column, value) in row {
            switch value.storage {
            case .null: values[column] = .null(.text)
            case .int64(let v): values[column] = .integer(v)
            case .double(let v): values[column] = .real(v)
            case .string(let v): values[column] = .text(v)
            case .blob(let v): values[column] = .text(String(decoding: v, as: UTF8.self))
            }
        }
        self.init(values)
    }
}

import ProctorCore
