/// What differs between the two databases in the store's SQL: placeholders,
/// row locks, and the names of column types. Everything else is written once.
public enum SQLDialect: Sendable {
    case sqlite
    case postgres

    /// Locks the rows a `SELECT` reads until the transaction ends (SQLite
    /// needs none: one writer at a time).
    var forUpdate: String { self == .postgres ? " FOR UPDATE" : "" }

    /// Locks the rows a `SELECT` reads, passing over rows others hold.
    var forUpdateSkipLocked: String { self == .postgres ? " FOR UPDATE SKIP LOCKED" : "" }

    /// A boolean literal as the column stores it.
    func literal(_ value: Bool) -> String {
        switch self {
        case .sqlite: value ? "1" : "0"
        case .postgres: value ? "TRUE" : "FALSE"
        }
    }

    // Column types.

    /// An integer primary key the database assigns.
    var rowID: String { self == .postgres ? "BIGSERIAL PRIMARY KEY" : "INTEGER PRIMARY KEY" }
    /// An integer primary key the database assigns and never reuses.
    var sequence: String { self == .postgres ? "BIGSERIAL PRIMARY KEY" : "INTEGER PRIMARY KEY AUTOINCREMENT" }
    var bigint: String { self == .postgres ? "BIGINT" : "INTEGER" }
    var real: String { self == .postgres ? "DOUBLE PRECISION" : "REAL" }
    var boolean: String { self == .postgres ? "BOOLEAN" : "INTEGER" }
}
