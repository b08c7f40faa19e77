import Foundation
import HTTPTypes
import Hummingbird

/// An error answered as RFC 9457 problem details (`application/problem+json`),
/// with a stable `type` that programs can rely on and a `detail` a person can act on.
public struct Problem: Error, HTTPResponseError, Sendable {
    public var status: HTTPResponse.Status
    /// The stable part: `/problems/<slug>`.
    public var slug: String
    public var title: String
    public var detail: String
    /// Seconds after which a retry may succeed (sent as `Retry-After`).
    public var retryAfter: Int?
    public var extra: [String: String] = [:]
    /// More response headers (`Allow` on a 405).
    public var headers = HTTPFields()

    public init(_ status: HTTPResponse.Status, slug: String, title: String, detail: String, retryAfter: Int? = nil) {
        self.status = status
        self.slug = slug
        self.title = title
        self.detail = detail
        self.retryAfter = retryAfter
    }

    public func response(from request: Request, context: some RequestContext) throws -> Response {
        var body: [String: JSONBodyValue] = [
            "type": .string("/problems/\(slug)"), "title": .string(title), "status": .int(Int(status.code)),
            "detail": .string(detail),
        ]
        if let context = context as? ProctorRequestContext { body["instance"] = .string("/requests/\(context.requestID)") }
        if let retryAfter { body["retry_after"] = .int(retryAfter) }
        for (key, value) in extra { body[key] = .string(value) }
        var headers = self.headers
        headers[.contentType] = "application/problem+json"
        if let retryAfter { headers[.retryAfter] = String(retryAfter) }
        let data = try JSONEncoder().encode(body)
        return Response(status: status, headers: headers, body: .init(byteBuffer: ByteBuffer(bytes: data)))
    }

    static func badRequest(_ detail: String, slug: String = "invalid-request") -> Problem {
        Problem(.badRequest, slug: slug, title: "The request is not valid", detail: detail)
    }
    static func unauthorized(_ detail: String) -> Problem {
        Problem(.unauthorized, slug: "unauthorized", title: "Authentication needed", detail: detail)
    }
    static func forbidden(_ detail: String) -> Problem {
        Problem(.forbidden, slug: "forbidden", title: "Not allowed", detail: detail)
    }
    static func notFound(_ detail: String) -> Problem {
        Problem(.notFound, slug: "not-found", title: "Not found", detail: detail)
    }
    static func conflict(_ detail: String, slug: String = "conflict") -> Problem {
        Problem(.conflict, slug: slug, title: "Conflict", detail: detail)
    }
    static func tooMany(_ detail: String, slug: String, retryAfter: Int) -> Problem {
        Problem(.tooManyRequests, slug: slug, title: "Too many requests", detail: detail, retryAfter: max(1, retryAfter))
    }
    static func unavailable(_ detail: String) -> Problem {
        Problem(.serviceUnavailable, slug: "unavailable", title: "Service unavailable", detail: detail, retryAfter: 5)
    }
}

/// The few JSON shapes a problem body holds.
enum JSONBodyValue: Encodable {
    case string(String), int(Int)
    func encode(to encoder: any Encoder) throws {
        var c = encoder.singleValueContainer()
        switch self {
        case .string(let s): try c.encode(s)
        case .int(let i): try c.encode(i)
        }
    }
}
