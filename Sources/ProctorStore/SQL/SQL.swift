/// One statement, written once for both databases: literal text with bound
/// values interpolated (`"… WHERE id = \(id)"` binds `id`, it never splices
/// it), rendered with `?` placeholders for SQLite and `$n` for PostgreSQL.
public struct SQL: Sendable, ExpressibleByStringInterpolation {
    enum Part: Sendable {
        case text(String)
        case value(SQLValue)
    }

    var parts: [Part]
    /// Several statements in one text, run as a script (schema changes only; nothing bound).
    let isScript: Bool

    public init(stringLiteral value: String) {
        parts = [.text(value)]
        isScript = false
    }

    public init(stringInterpolation: StringInterpolation) {
        parts = stringInterpolation.parts
        isScript = false
    }

    /// Several `;`-separated statements with nothing bound, such as trigger definitions.
    init(script: String) {
        parts = [.text(script)]
        isScript = true
    }

    /// The text with each bound value replaced by the dialect's placeholder, and the values in order.
    func rendered(for dialect: SQLDialect) -> (text: String, values: [SQLValue]) {
        var text = "", values: [SQLValue] = []
        for part in parts {
            switch part {
            case .text(let literal): text += literal
            case .value(let value):
                values.append(value)
                text += dialect == .postgres ? "$\(values.count)" : "?"
            }
        }
        return (text, values)
    }

    /// Builds a statement: interpolated values are bound, `raw:` text is spliced (for the
    /// store's own fragments only), `list:` binds a comma-separated list.
    public struct StringInterpolation: StringInterpolationProtocol {
        var parts: [Part] = []

        public init(literalCapacity: Int, interpolationCount: Int) {
            parts.reserveCapacity(interpolationCount * 2 + 1)
        }

        public mutating func appendLiteral(_ literal: String) {
            parts.append(.text(literal))
        }

        public mutating func appendInterpolation(_ value: some SQLBindable) {
            parts.append(.value(value.sqlValue))
        }

        /// A value that may be absent: `NULL` of its type.
        public mutating func appendInterpolation<T: SQLBindable>(_ value: T?) {
            parts.append(.value(value.sqlValue))
        }

        /// The store's own SQL text (a dialect's clause, a column name), never a request's.
        public mutating func appendInterpolation(raw text: String) {
            parts.append(.text(text))
        }

        /// Another statement's parts, in place.
        public mutating func appendInterpolation(_ fragment: SQL) {
            parts.append(contentsOf: fragment.parts)
        }

        /// `a, b, c` bound one by one, for `IN (…)`; an empty list is `NULL`, which matches nothing.
        public mutating func appendInterpolation(list values: [some SQLBindable]) {
            guard !values.isEmpty else { return parts.append(.text("NULL")) }
            for (index, value) in values.enumerated() {
                if index > 0 { parts.append(.text(", ")) }
                parts.append(.value(value.sqlValue))
            }
        }
    }
}
