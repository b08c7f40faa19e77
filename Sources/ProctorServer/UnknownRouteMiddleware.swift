import HTTPTypes
import Hummingbird
import Synchronization

/// A request that matches no route gets the same problem+json answer as every
/// other error, instead of the router's empty 404: 405 with `Allow` when the
/// path exists under other methods, else 404; both name the method and path
/// and where the API is described.
struct UnknownRouteMiddleware: RouterMiddleware {
    typealias Context = ProctorRequestContext
    /// The router's routes, known once they are all registered.
    let routes: RouteTable

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        do {
            return try await next(request, context)
        } catch let error as HTTPError where error.status == .notFound {
            let path = request.uri.path.prefix(200)
            let allowed = routes.methods(forPath: request.uri.path)
            guard allowed.isEmpty else {
                var problem = Problem(.methodNotAllowed, slug: "method-not-allowed", title: "Method not allowed",
                                      detail: "\(path) answers \(allowed.joined(separator: ", ")), not \(request.method); the API is described at /openapi.yaml")
                problem.headers[.allow] = allowed.joined(separator: ", ")
                throw problem
            }
            throw Problem(.notFound, slug: "no-such-route", title: "No such route",
                          detail: "nothing answers \(request.method) \(path); the API is described at /openapi.yaml")
        }
    }
}

/// Which methods each route path answers, for `Allow`.
final class RouteTable: Sendable {
    private let routes = Mutex<[(pattern: [Substring], method: String)]>([])

    /// Takes the router's routes (after every route is registered).
    func load(_ descriptions: [Router<ProctorRequestContext>.RouteDescription]) {
        let loaded = descriptions.map { (pattern: "\($0.path)".split(separator: "/"), method: $0.method.rawValue) }
        routes.withLock { $0 = loaded }
    }

    /// The methods some route answers at `path`, sorted (with `HEAD` wherever
    /// `GET` is: the router answers it); empty if none does.
    func methods(forPath path: String) -> [String] {
        let parts = path.split(separator: "/")
        var methods = Set(routes.withLock { routes in routes.filter { Self.matches($0.pattern, parts) }.map(\.method) })
        if methods.contains("GET") { methods.insert("HEAD") }
        return methods.sorted()
    }

    private static func matches(_ pattern: [Substring], _ parts: [Substring]) -> Bool {
        if pattern.last == "**" { return parts.count >= pattern.count - 1 && zip(pattern.dropLast(), parts).allSatisfy(component) }
        return pattern.count == parts.count && zip(pattern, parts).allSatisfy(component)
    }

    private static func component(_ pattern: Substring, _ part: Substring) -> Bool {
        pattern == "*" || pattern.hasPrefix("{") || pattern.hasPrefix(":") || pattern == part
    }
}
