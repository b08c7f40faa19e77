import Hummingbird

/// A request that matches no route gets the same problem+json answer as every
/// other error, naming the method and path and where the API is described,
/// instead of the router's empty 404.
struct UnknownRouteMiddleware: RouterMiddleware {
    typealias Context = ProctorRequestContext

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        do {
            return try await next(request, context)
        } catch let error as HTTPError where error.status == .notFound {
            throw Problem(.notFound, slug: "no-such-route", title: "No such route",
                          detail: "nothing answers \(request.method) \(request.uri.path.prefix(200)); the API is described at /openapi.yaml")
        }
    }
}
