import Foundation
import Hummingbird
import ProctorCore
import ProctorStore

/// Signs pages' requests in from the session cookie: the cookie's value is
/// hashed and looked up (a second's cache shared by every page), and the
/// session must be live, its token usable and its user enabled; a page
/// asked for without one goes to the sign-in page, which brings the browser
/// back afterwards. `admin` keeps a group for admins (others get a page that
/// says so).
struct WebSessionMiddleware: RouterMiddleware {
    typealias Context = ProctorRequestContext
    let store: JobStore
    let sessions: ExpiringCache<String, SessionLookup>
    var admin = false

    /// The session cookie's name.
    static let cookie = "proctor_session"

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        let now = Date()
        guard let value = request.cookies[Self.cookie]?.value, !value.isEmpty, value.utf8.count <= 128 else {
            return WebPage.redirect("/sign-in?next=" + Self.escape(request.uri.path))
        }
        let hash = TokenCodec.hash(value)
        let found = try await sessions.value(for: hash) { try await store.session(hash: hash).map(SessionLookup.init) }
        guard let found, TokenCodec.constantTimeEqual(found.session.hash, hash), found.session.isUsable(at: now),
            found.token.isUsable(at: now), !found.user.disabled, found.token.role != .worker
        else {
            return WebPage.redirect("/sign-in?next=" + Self.escape(request.uri.path))
        }
        if admin && found.token.role != .admin {
            throw Problem.forbidden("this page is for admins; you are signed in as \(found.user.name), a \(found.token.role.rawValue)")
        }
        var context = context
        context.principal = Principal(user: found.user, role: found.token.role, tokenID: found.token.id)
        context.session = found.session
        context.logger[metadataKey: "user"] = "\(found.user.name)"
        return try await next(request, context)
    }

    /// A path as a query value.
    static func escape(_ path: String) -> String {
        path.addingPercentEncoding(withAllowedCharacters: .alphanumerics.union(CharacterSet(charactersIn: "/-_.~"))) ?? "/"
    }
}

/// A session found by its cookie's hash, with its token and user.
struct SessionLookup: Sendable {
    var session: WebSession
    var token: Token
    var user: User

    init(_ found: (WebSession, Token, User)) {
        (session, token, user) = found
    }
}
