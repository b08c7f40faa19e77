import Foundation

/// One result row, by column name, as either driver read it.
public struct SQLRow: Sendable {
    let values: [String: SQLValue]

    init(_ values: [String: SQLValue]) {
        self.values = values
    }

    /// The column's value as `T`; a missing column or a value of another
    /// type is an error that names the column (a schema fault, never input).
    func value<T: SQLDecodable>(_ column: String, as type: T.Type = T.self) throws -> T {
        guard let value = values[column] else { throw SQLColumnError(column: column, problem: "is not in the result") }
        guard let decoded = T(sqlValue: value) else { throw SQLColumnError(column: column, problem: "holds \(value), not \(T.self)") }
        return decoded
    }
}

/// A row that did not have the shape the store expected.
struct SQLColumnError: Error, CustomStringConvertible {
    var column: String
    var problem: String
    var description: String { "database column '\(column)' \(problem)" }
}

/// A Swift value a column can be read as.
protocol SQLDecodable {
    /// The value, or `nil` when the column holds another type.
    init?(sqlValue: SQLValue)
}

extension Int64: SQLDecodable {
    init?(sqlValue: SQLValue) {
        switch sqlValue {
        case .integer(let v): self = v
        case .boolean(let v): self = v ? 1 : 0
        case .real(let v) where v.rounded() == v && abs(v) < 9e18: self = Int64(v)
        default: return nil
        }
    }
}

extension Int: SQLDecodable {
    init?(sqlValue: SQLValue) {
        guard let value = Int64(sqlValue: sqlValue) else { return nil }
        self = Int(value)
    }
}

extension Double: SQLDecodable {
    init?(sqlValue: SQLValue) {
        switch sqlValue {
        case .real(let v): self = v
        case .integer(let v): self = Double(v)
        default: return nil
        }
    }
}

extension String: SQLDecodable {
    init?(sqlValue: SQLValue) {
        guard case .text(let v) = sqlValue else { return nil }
        self = v
    }
}

/// SQLite keeps booleans as 0 and 1.
extension Bool: SQLDecodable {
    init?(sqlValue: SQLValue) {
        switch sqlValue {
        case .boolean(let v): self = v
        case .integer(let v): self = v != 0
        default: return nil
        }
    }
}

extension Date: SQLDecodable {
    init?(sqlValue: SQLValue) {
        guard let seconds = Double(sqlValue: sqlValue) else { return nil }
        self.init(timeIntervalSince1970: seconds)
    }
}

extension Optional: SQLDecodable where Wrapped: SQLDecodable {
    init?(sqlValue: SQLValue) {
        if case .null = sqlValue {
            self = .none
        } else if let value = Wrapped(sqlValue: sqlValue) {
            self = .some(value)
        } else {
            return nil
        }
    }
}
