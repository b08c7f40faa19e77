#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif

/// A person (or agent, or node) known to the service.
public struct User: Codable, Sendable, Equatable {
    public var id: Int64
    public var name: String
    public var createdAt: Date
    /// When a job of theirs last started: the fair queue serves the least recent first.
    public var lastRunAt: Date?
    public var disabled: Bool

    public init(id: Int64, name: String, createdAt: Date, lastRunAt: Date? = nil, disabled: Bool = false) {
        self.id = id
        self.name = name
        self.createdAt = createdAt
        self.lastRunAt = lastRunAt
        self.disabled = disabled
    }

    /// Names are short, lower-case and safe anywhere: `[a-z0-9][a-z0-9._-]{0,63}`.
    public static func isValidName(_ name: String) -> Bool {
        Identifier.matches(name, maxLength: 64, extra: "._-")
    }
}

/// A bearer token as stored: only its SHA-256, never the token itself.
public struct Token: Codable, Sendable, Equatable {
    public var id: Int64
    public var userID: Int64
    public var role: Role
    /// Lower-case hex SHA-256 of the token text.
    public var hash: String
    public var label: String
    public var createdAt: Date
    public var expiresAt: Date?
    public var revokedAt: Date?
    public var lastUsedAt: Date?

    public init(id: Int64, userID: Int64, role: Role, hash: String, label: String, createdAt: Date, expiresAt: Date?) {
        self.id = id
        self.userID = userID
        self.role = role
        self.hash = hash
        self.label = label
        self.createdAt = createdAt
        self.expiresAt = expiresAt
    }

    /// Whether the token may be used at `date`.
    public func isUsable(at date: Date) -> Bool {
        revokedAt == nil && (expiresAt.map { date < $0 } ?? true)
    }
}
