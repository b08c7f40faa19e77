import HTTPTypes
import Hummingbird
import Synchronization

/// Where the caller is, and how many may be served at once. Resolves the
/// client address behind trusted proxies (``ClientAddress``), and refuses a
/// request with 503 and `Retry-After` while `limit` requests are already in
/// flight, so that a crowd or a flood slows the service down instead of
/// felling it. `/healthz`, `/readyz` and `/metrics` are always answered:
/// operators must see an overloaded service.
struct AdmissionMiddleware: RouterMiddleware {
    typealias Context = ProctorRequestContext
    let trustedProxies: [IPNetwork]
    let limit: Int
    let inFlight: InFlightCounter

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        var context = context
        if !trustedProxies.isEmpty {
            let forwarded = request.headers[values: .xForwardedFor]
            context.remoteAddress = ClientAddress.resolve(peer: context.peerAddress, forwardedFor: forwarded, trusted: trustedProxies)
        }
        if ["/healthz", "/readyz", "/metrics"].contains(request.uri.path) { return try await next(request, context) }
        guard inFlight.enter(limit: limit) else {
            throw Problem(.serviceUnavailable, slug: "overloaded", title: "Service overloaded",
                          detail: "the service is answering \(limit) requests already; retry in a moment", retryAfter: 1)
        }
        defer { inFlight.leave() }
        return try await next(request, context)
    }
}

/// Requests being answered now.
final class InFlightCounter: Sendable {
    private let count = Atomic<Int>(0)

    /// Counts one more unless `limit` are in flight; whether it did.
    func enter(limit: Int) -> Bool {
        var current = count.load(ordering: .relaxed)
        while current < limit {
            let (exchanged, original) = count.compareExchange(expected: current, desired: current + 1, ordering: .acquiringAndReleasing)
            if exchanged { return true }
            current = original
        }
        return false
    }

    func leave() { count.subtract(1, ordering: .acquiringAndReleasing) }
}

extension HTTPField.Name {
    static let xForwardedFor = Self("X-Forwarded-For")!
}
