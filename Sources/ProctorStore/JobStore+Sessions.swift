import Foundation
import ProctorCore

extension JobStore {
    /// Stores a browser's new session by the hash of its cookie.
    public func createSession(hash: String, tokenID: Int64, csrf: String, at: Date, expiresAt: Date) async throws -> WebSession {
        guard let row = try await database.write("""
            INSERT INTO web_sessions (hash, token_id, csrf, created_at, expires_at)
            VALUES (\(hash), \(tokenID), \(csrf), \(at), \(expiresAt)) RETURNING *
            """).first else { throw StoreError.conflict("the session was not stored") }
        return try WebSession(row: row)
    }

    /// The session with this cookie hash, with its token and user.
    public func session(hash: String) async throws -> (WebSession, Token, User)? {
        guard let row = try await database.read("SELECT * FROM web_sessions WHERE hash = \(hash)").first else { return nil }
        let session = try WebSession(row: row)
        guard let tokenRow = try await database.read("SELECT * FROM tokens WHERE id = \(session.tokenID)").first else { return nil }
        let token = try Token(row: tokenRow)
        guard let user = try await user(id: token.userID) else { return nil }
        return (session, token, user)
    }

    /// Ends the session with this cookie hash (signing out).
    public func revokeSession(hash: String, at: Date) async throws {
        _ = try await database.write("UPDATE web_sessions SET revoked_at = \(at) WHERE hash = \(hash) AND revoked_at IS NULL")
    }

    /// Deletes sessions that ended before `date`; returns how many.
    public func deleteEndedSessions(before date: Date) async throws -> Int {
        try await database.write("DELETE FROM web_sessions WHERE revoked_at < \(date) OR expires_at < \(date) RETURNING id").count
    }
}

extension WebSession {
    init(row: SQLRow) throws {
        self.init(id: try row.value("id"), hash: try row.value("hash"), tokenID: try row.value("token_id"), csrf: try row.value("csrf"),
                  createdAt: try row.value("created_at"), expiresAt: try row.value("expires_at"), revokedAt: try row.value("revoked_at"))
    }
}
