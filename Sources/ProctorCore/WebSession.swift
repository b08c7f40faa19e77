#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif

/// A browser's sign-in: made from a token pasted once, carried by an
/// HttpOnly cookie whose value is kept only as a hash (like tokens). It acts
/// with its token's user and role, and ends when it expires, is signed out,
/// or its token stops working.
public struct WebSession: Codable, Sendable, Equatable {
    public var id: Int64
    /// Lower-case hex SHA-256 of the cookie's value.
    public var hash: String
    /// The token signed in with.
    public var tokenID: Int64
    /// The value every form of the session carries against cross-site requests.
    public var csrf: String
    public var createdAt: Date
    public var expiresAt: Date
    public var revokedAt: Date?

    public init(id: Int64, hash: String, tokenID: Int64, csrf: String, createdAt: Date, expiresAt: Date, revokedAt: Date? = nil) {
        self.id = id
        self.hash = hash
        self.tokenID = tokenID
        self.csrf = csrf
        self.createdAt = createdAt
        self.expiresAt = expiresAt
        self.revokedAt = revokedAt
    }

    /// Whether the session may be used at `date` (its token is checked apart).
    public func isUsable(at date: Date) -> Bool { revokedAt == nil && date < expiresAt }
}
