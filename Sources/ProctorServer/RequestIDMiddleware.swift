import HTTPTypes
import Hummingbird
import Logging

extension HTTPField.Name {
    static let requestID = Self("X-Request-Id")!
    static let idempotencyKey = Self("Idempotency-Key")!
}

/// Gives every request an id (the client's `X-Request-Id` if it is a safe
/// token, else a fresh one), puts it in the logger's metadata and echoes it in
/// the response; turns any unexpected error into a problem, never a crash.
struct RequestIDMiddleware: RouterMiddleware {
    typealias Context = ProctorRequestContext
    let metrics: HTTPMetrics

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        var context = context
        let given = request.headers[.requestID] ?? ""
        context.requestID = Self.isSafe(given) ? given : Self.fresh()
        context.logger[metadataKey: "request"] = "\(context.requestID)"
        let started = ContinuousClock.now
        var response: Response
        do {
            response = try await next(request, context)
        } catch let error as any HTTPResponseError {
            response = try error.response(from: request, context: context)
        } catch {
            context.logger.error("unhandled error", metadata: ["error": "\(error)"])
            response = try Problem(.internalServerError, slug: "internal", title: "Internal error",
                                   detail: "the server failed to answer; quote request id \(context.requestID) to the operators")
                .response(from: request, context: context)
        }
        response.headers[.requestID] = context.requestID
        await metrics.record(route: context.endpointPath ?? "unmatched", status: Int(response.status.code), seconds: (ContinuousClock.now - started).seconds)
        return response
    }

    static func isSafe(_ id: String) -> Bool {
        !id.isEmpty && id.utf8.count <= 64 && id.utf8.allSatisfy { ($0 >= 48 && $0 <= 57) || ($0 >= 65 && $0 <= 90) || ($0 >= 97 && $0 <= 122) || $0 == 45 || $0 == 95 }
    }

    /// 16 random hex digits.
    static func fresh() -> String {
        let digits = String(UInt64.random(in: .min ... .max), radix: 16)
        return String(repeating: "0", count: 16 - digits.count) + digits
    }
}

extension Duration {
    var seconds: Double { Double(components.seconds) + Double(components.attoseconds) / 1e18 }
}
