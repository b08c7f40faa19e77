import Foundation
import Hummingbird
import ProctorCore
import ProctorStore

/// Authenticates `Authorization: Bearer TOKEN`: the token is hashed, looked up
/// by hash and compared in constant time; expired, revoked and unknown tokens
/// (and disabled users) are refused alike, and never logged. Lookups go
/// through a one-second cache shared by every route group, so a revoked token
/// (or disabled user) stops working on every replica within that second.
struct Authenticator: RouterMiddleware {
    typealias Context = ProctorRequestContext
    let store: JobStore
    let tokens: ExpiringCache<String, TokenLookup>
    let limiter: BadTokenLimiter
    /// Roles allowed past this middleware.
    let roles: Set<Role>

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        guard let header = request.headers[.authorization], header.hasPrefix("Bearer "), header.count > 7 else {
            throw Problem.unauthorized("send your token as 'Authorization: Bearer TOKEN' (create one with 'proctor admin token create')")
        }
        let text = String(header.dropFirst(7)).trimmingCharacters(in: .whitespaces)
        let hash = TokenCodec.hash(text)
        let now = Date()
        let found = try await tokens.value(for: hash) { try await store.useToken(hash: hash, at: now).map(TokenLookup.init) }
        guard let (token, user) = found.map({ ($0.token, $0.user) }), TokenCodec.constantTimeEqual(token.hash, hash),
            token.isUsable(at: now), !user.disabled
        else {
            // Only bad guesses slow down: behind a proxy or a NAT one address
            // is many people, and a valid token always works.
            if let wait = await limiter.retryAfter(for: context.remoteAddress) {
                throw Problem.tooMany("too many requests with bad tokens from your address; wait before trying again",
                                      slug: "too-many-bad-tokens", retryAfter: wait)
            }
            await limiter.recordFailure(from: context.remoteAddress)
            throw Problem.unauthorized("the token is unknown, expired or revoked; ask an admin for a new one")
        }
        guard roles.contains(token.role) else {
            throw Problem.forbidden("a \(token.role.rawValue) token cannot use this endpoint")
        }
        var context = context
        context.principal = Principal(user: user, role: token.role, tokenID: token.id)
        context.logger[metadataKey: "user"] = "\(user.name)"
        return try await next(request, context)
    }
}

/// A token found by its hash, with its user.
struct TokenLookup: Sendable {
    var token: Token
    var user: User
}
