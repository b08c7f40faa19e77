import Hummingbird
import NIOCore
import ProctorCore

/// Who is calling: the token's role and its user.
public struct Principal: Sendable {
    public var user: User
    public var role: Role
    public var tokenID: Int64

    public var isAdmin: Bool { role == .admin }
    /// How the caller appears in a job's audit trail.
    public var actor: String { "\(role.rawValue):\(user.name)" }
}

/// The request context of every route: Hummingbird's core storage plus the
/// caller (once authenticated), the request id and the peer address.
public struct ProctorRequestContext: RequestContext {
    public var coreContext: CoreRequestContextStorage
    public var principal: Principal?
    /// The browser's session, on the web pages' routes.
    public var session: WebSession?
    /// The id that follows this request into logs and into the job it creates.
    public var requestID: String
    /// The client's IP address (behind a trusted proxy, the one it forwarded
    /// for), for slowing down repeated bad tokens and for logs.
    public var remoteAddress: String
    /// The address of the connection's other end (a proxy, or the client).
    public let peerAddress: String
    /// Uploads above this are refused with 413 before they are read in full.
    public var maxUploadSize: Int { 4 << 20 }

    public init(source: ApplicationRequestContextSource) {
        coreContext = .init(source: source)
        requestID = ""
        peerAddress = source.channel.remoteAddress?.ipAddress ?? "unknown"
        remoteAddress = peerAddress
    }

    /// The authenticated caller; routes behind the authenticator always have one.
    func requirePrincipal() throws -> Principal {
        guard let principal else { throw Problem.unauthorized("this endpoint needs a token: send 'Authorization: Bearer TOKEN'") }
        return principal
    }
}
