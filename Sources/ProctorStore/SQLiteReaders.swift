import GRDBSQLite
import Synchronization

/// Read-only connections to the store's SQLite file for the hot reads (a
/// job page, a token), each used by one caller at a time and kept with its
/// compiled statements. GRDB's pool stays the writer and the owner of the
/// schema; these exist because its per-read bookkeeping on Linux (a reader
/// pool, a lock, a dispatch queue, a row copy) cost several times the read.
/// A reader sees every committed write (WAL), never waits for the writer,
/// and cannot write (`SQLITE_OPEN_READONLY`).
final class SQLiteReaders: Sendable {
    private let path: String
    private let idle = Mutex<[Reader]>([])

    init(path: String) {
        self.path = path
    }

    /// Runs one statement on an idle reader (opening one if none is idle).
    func rows(_ text: String, _ values: [SQLValue]) throws -> [SQLRow] {
        let reader = try idle.withLock { $0.popLast() } ?? Reader(path: path)
        defer { idle.withLock { $0.append(reader) } }
        return try reader.rows(text, values)
    }
}

/// One read-only connection and its compiled statements; used by one caller
/// at a time (``SQLiteReaders`` hands it out and takes it back under a lock).
private final class Reader: @unchecked Sendable {
    private let connection: OpaquePointer
    private var statements: [String: OpaquePointer] = [:]

    init(path: String) throws {
        var handle: OpaquePointer?
        let opened = sqlite3_open_v2(path, &handle, SQLITE_OPEN_READONLY | SQLITE_OPEN_NOMUTEX, nil)
        guard opened == SQLITE_OK, let handle else {
            let message = handle.map { String(cString: sqlite3_errmsg($0)) } ?? "out of memory"
            sqlite3_close(handle)
            throw SQLiteReadError(message: "cannot open \(path) to read: \(message)")
        }
        connection = handle
        sqlite3_busy_timeout(handle, 10_000)
    }

    deinit {
        for statement in statements.values { sqlite3_finalize(statement) }
        sqlite3_close(connection)
    }

    func rows(_ text: String, _ values: [SQLValue]) throws -> [SQLRow] {
        let statement = try prepared(text)
        defer {
            sqlite3_reset(statement)
            sqlite3_clear_bindings(statement)
        }
        for (index, value) in values.enumerated() {
            let position = Int32(index + 1)
            switch value {
            case .null: sqlite3_bind_null(statement, position)
            case .integer(let v): sqlite3_bind_int64(statement, position, v)
            case .real(let v): sqlite3_bind_double(statement, position, v)
            case .boolean(let v): sqlite3_bind_int64(statement, position, v ? 1 : 0)
            case .text(let v): sqlite3_bind_text(statement, position, v, -1, Self.transient)
            }
        }
        var rows: [SQLRow] = []
        let count = sqlite3_column_count(statement)
        while true {
            let step = sqlite3_step(statement)
            if step == SQLITE_DONE { return rows }
            guard step == SQLITE_ROW else { throw SQLiteReadError(message: String(cString: sqlite3_errmsg(connection))) }
            var row: [String: SQLValue] = [:]
            row.reserveCapacity(Int(count))
            for column in 0..<count {
                let name = String(cString: sqlite3_column_name(statement, column))
                switch sqlite3_column_type(statement, column) {
                case SQLITE_INTEGER: row[name] = .integer(sqlite3_column_int64(statement, column))
                case SQLITE_FLOAT: row[name] = .real(sqlite3_column_double(statement, column))
                case SQLITE_NULL: row[name] = .null(.text)
                default: row[name] = .text(sqlite3_column_text(statement, column).map { String(cString: $0) } ?? "")
                }
            }
            rows.append(SQLRow(row))
        }
    }

    private func prepared(_ text: String) throws -> OpaquePointer {
        if let statement = statements[text] { return statement }
        var statement: OpaquePointer?
        guard sqlite3_prepare_v3(connection, text, -1, UInt32(SQLITE_PREPARE_PERSISTENT), &statement, nil) == SQLITE_OK, let statement else {
            throw SQLiteReadError(message: String(cString: sqlite3_errmsg(connection)))
        }
        statements[text] = statement
        return statement
    }

    /// SQLite copies the bound text before the call returns.
    private static let transient = unsafeBitCast(-1, to: sqlite3_destructor_type.self)
}

/// A read the database refused (it names SQLite's reason).
struct SQLiteReadError: Error, CustomStringConvertible {
    var message: String
    var description: String { "SQLite: \(message)" }
}
