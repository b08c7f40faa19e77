import Foundation
import ProctorCore

extension JobStore {
    /// The user called `name`, created at `at` unless it exists.
    public func createUser(name: String, at: Date) async throws -> User {
        guard User.isValidName(name) else { throw StoreError.invalid("user name '\(name)' must match [a-z0-9][a-z0-9._-]{0,63}") }
        let found = try await database.transaction([
            "INSERT INTO users (name, created_at) VALUES (\(name), \(at)) ON CONFLICT (name) DO NOTHING",
            "SELECT * FROM users WHERE name = \(name)",
        ]) { rows in FollowUp(result: try rows[1].first.map(User.init(row:))) }
        guard let found else { throw StoreError.notFound("user \(name)") }
        return found
    }

    /// The user called `name`, if any.
    public func user(named name: String) async throws -> User? {
        try await database.read("SELECT * FROM users WHERE name = \(name)").first.map(User.init(row:))
    }

    /// The user with this id, if any.
    public func user(id: Int64) async throws -> User? {
        try await database.read("SELECT * FROM users WHERE id = \(id)").first.map(User.init(row:))
    }

    /// Every user, by name.
    public func users() async throws -> [User] {
        try await database.read("SELECT * FROM users ORDER BY name").map(User.init(row:))
    }

    /// Disables (or enables again) a user: a disabled user's tokens stop working.
    public func setUserDisabled(id: Int64, _ disabled: Bool) async throws {
        _ = try await database.write("UPDATE users SET disabled = \(disabled) WHERE id = \(id)")
    }

    /// Stores a new token by its hash (the text itself is never kept).
    public func createToken(userID: Int64, role: Role, hash: String, label: String, at: Date, expiresAt: Date?) async throws -> Token {
        let rows = try await database.write("""
            INSERT INTO tokens (user_id, role, hash, label, created_at, expires_at)
            VALUES (\(userID), \(role.rawValue), \(hash), \(label), \(at), \(expiresAt)) RETURNING *
            """)
        guard let row = rows.first else { throw StoreError.conflict("the token was not stored") }
        return try Token(row: row)
    }

    /// The token with this hash and its user; records the use (at most once a
    /// minute per token, so that most requests only read).
    public func useToken(hash: String, at: Date) async throws -> (Token, User)? {
        guard let row = try await database.read("SELECT * FROM tokens WHERE hash = \(hash)").first else { return nil }
        var token = try Token(row: row)
        guard let user = try await user(id: token.userID) else { return nil }
        if token.lastUsedAt.map({ at.timeIntervalSince($0) > 60 }) ?? true {
            _ = try await database.write("UPDATE tokens SET last_used_at = \(at) WHERE id = \(token.id)")
            token.lastUsedAt = at
        }
        return (token, user)
    }

    /// A user's tokens, or everyone's.
    public func tokens(userID: Int64?) async throws -> [Token] {
        let rows = if let userID {
            try await database.read("SELECT * FROM tokens WHERE user_id = \(userID) ORDER BY id")
        } else {
            try await database.read("SELECT * FROM tokens ORDER BY id")
        }
        return try rows.map(Token.init(row:))
    }

    /// Jobs each token submitted since `date`, by token id (tokens with none are absent).
    public func submissionsByToken(since date: Date) async throws -> [Int64: Int] {
        var counts: [Int64: Int] = [:]
        for row in try await database.read("""
            SELECT token_id, COUNT(*) AS n FROM jobs WHERE created_at >= \(date) AND token_id IS NOT NULL GROUP BY token_id
            """) {
            counts[try row.value("token_id")] = try row.value("n")
        }
        return counts
    }

    /// Revokes a token; `false` if there is none or it was revoked already.
    public func revokeToken(id: Int64, at: Date) async throws -> Bool {
        try await !database.write("UPDATE tokens SET revoked_at = \(at) WHERE id = \(id) AND revoked_at IS NULL RETURNING id").isEmpty
    }

    /// Deletes tokens revoked, or expired, before `date`: they can never be
    /// used again, and past the history retention nothing refers to them
    /// (the jobs they submitted are gone too). Returns how many.
    public func deleteEndedTokens(before date: Date) async throws -> Int {
        try await database.write("""
            DELETE FROM tokens WHERE revoked_at < \(date) OR expires_at < \(date) RETURNING id
            """).count
    }
}
