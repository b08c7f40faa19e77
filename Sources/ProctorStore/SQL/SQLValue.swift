import Foundation

/// One value bound into a statement or read from a row, in the few types the
/// store's columns use. A bound `NULL` keeps its type, so that PostgreSQL
/// knows what a parameter is even when it is absent.
public enum SQLValue: Sendable, Hashable {
    /// The column types a bound `NULL` can stand for.
    public enum Kind: Sendable, Hashable { case integer, real, text, boolean }

    case null(Kind)
    case integer(Int64)
    case real(Double)
    case text(String)
    case boolean(Bool)
}

/// A Swift value that binds as a statement parameter.
public protocol SQLBindable: Sendable {
    /// The value as bound.
    var sqlValue: SQLValue { get }
    /// The kind a missing value of this type binds as.
    static var sqlKind: SQLValue.Kind { get }
}

extension Int64: SQLBindable {
    public var sqlValue: SQLValue { .integer(self) }
    public static var sqlKind: SQLValue.Kind { .integer }
}

extension Int: SQLBindable {
    public var sqlValue: SQLValue { .integer(Int64(self)) }
    public static var sqlKind: SQLValue.Kind { .integer }
}

extension Double: SQLBindable {
    public var sqlValue: SQLValue { .real(self) }
    public static var sqlKind: SQLValue.Kind { .real }
}

extension String: SQLBindable {
    public var sqlValue: SQLValue { .text(self) }
    public static var sqlKind: SQLValue.Kind { .text }
}

extension Bool: SQLBindable {
    public var sqlValue: SQLValue { .boolean(self) }
    public static var sqlKind: SQLValue.Kind { .boolean }
}

/// Times are stored as seconds since 1970, in both databases.
extension Date: SQLBindable {
    public var sqlValue: SQLValue { .real(timeIntervalSince1970) }
    public static var sqlKind: SQLValue.Kind { .real }
}

extension Optional: SQLBindable where Wrapped: SQLBindable {
    public var sqlValue: SQLValue { self?.sqlValue ?? .null(Wrapped.sqlKind) }
    public static var sqlKind: SQLValue.Kind { Wrapped.sqlKind }
}
