import AsyncHTTPClient
import Foundation
import NIOCore
import NIOHTTP1

/// An answer from the server: status, headers and body.
public struct APIResponse: Sendable {
    public var status: Int
    public var headers: [(String, String)]
    public var body: Data

    /// The body as a JSON object (problem details included), if it is one.
    public var json: [String: Any]? { try? JSONSerialization.jsonObject(with: body) as? [String: Any] }
    public var text: String { String(decoding: body, as: UTF8.self) }
    public func header(_ name: String) -> String? { headers.first { $0.0.lowercased() == name.lowercased() }?.1 }
}

/// Why a client call failed: the server's problem details, or no answer.
public enum ClientError: Error, CustomStringConvertible {
    case problem(status: Int, type: String, detail: String, retryAfter: String?)
    case transport(String)

    public var description: String {
        switch self {
        case .problem(let status, _, let detail, let retry):
            "server answered \(status): \(detail)" + (retry.map { " (retry after \($0) s)" } ?? "")
        case .transport(let message): "could not reach the server: \(message)"
        }
    }
}

/// Talks to a Proctor server over HTTP with a bearer token. Used by the
/// `proctor` client commands and by the tests.
public struct ProctorClient: Sendable {
    public let server: String
    public let token: String?
    let http: HTTPClient

    /// A process-wide client that gives up connecting after 3 s, so a server
    /// that is down is reported at once rather than after the request deadline.
    public static let sharedHTTP = HTTPClient(
        eventLoopGroupProvider: .singleton,
        configuration: .init(timeout: .init(connect: .seconds(3), read: .seconds(120))))

    public init(server: String, token: String?, http: HTTPClient = ProctorClient.sharedHTTP) {
        self.server = server.hasSuffix("/") ? String(server.dropLast()) : server
        self.token = token
        self.http = http
    }

    /// Sends a request and returns whatever the server answered.
    public func send(_ method: HTTPMethod, _ path: String, body: Data? = nil, contentType: String? = nil,
                     headers extra: [(String, String)] = []) async throws -> APIResponse {
        var request = HTTPClientRequest(url: server + path)
        request.method = method
        if let token { request.headers.add(name: "Authorization", value: "Bearer \(token)") }
        if let contentType { request.headers.add(name: "Content-Type", value: contentType) }
        for (name, value) in extra { request.headers.add(name: name, value: value) }
        if let body { request.body = .bytes(ByteBuffer(bytes: body)) }
        do {
            let response = try await http.execute(request, timeout: .seconds(60))
            let buffer = try await response.body.collect(upTo: 64 << 20)
            return APIResponse(status: Int(response.status.code), headers: response.headers.map { ($0.name, $0.value) },
                               body: Data(buffer.readableBytesView))
        } catch {
            throw ClientError.transport("\(error)")
        }
    }

    /// Like `send`, but a non-2xx answer throws its problem details.
    public func call(_ method: HTTPMethod, _ path: String, body: Data? = nil, contentType: String? = nil,
                     headers: [(String, String)] = []) async throws -> APIResponse {
        let response = try await send(method, path, body: body, contentType: contentType, headers: headers)
        guard (200..<300).contains(response.status) else {
            let json = response.json
            throw ClientError.problem(status: response.status, type: json?["type"] as? String ?? "",
                                      detail: json?["detail"] as? String ?? response.text, retryAfter: response.header("Retry-After"))
        }
        return response
    }

    /// Submits a solution file; returns the server's answer (201, or 200 for an idempotent replay).
    public func submit(competition: String, fileName: String, contents: Data, expectedTime: Double? = nil,
                       metadata: String? = nil, idempotencyKey: String? = nil) async throws -> APIResponse {
        var form = MultipartBody()
        form.add(name: "competition", value: competition)
        if let expectedTime { form.add(name: "expected_time", value: String(expectedTime)) }
        if let metadata { form.add(name: "metadata", value: metadata) }
        form.add(name: "file", fileName: fileName, data: contents)
        return try await call(.POST, "/v1/jobs", body: form.data, contentType: form.contentType,
                              headers: idempotencyKey.map { [("Idempotency-Key", $0)] } ?? [])
    }
}

/// Builds a `multipart/form-data` body.
public struct MultipartBody {
    public let boundary = "proctor-" + UUID().uuidString
    public private(set) var data = Data()

    public init() {}

    public var contentType: String { "multipart/form-data; boundary=\(boundary)" }

    public mutating func add(name: String, value: String) {
        reopen()
        data.append(Data("--\(boundary)\r\nContent-Disposition: form-data; name=\"\(name)\"\r\n\r\n\(value)\r\n".utf8))
        close()
    }

    public mutating func add(name: String, fileName: String, data contents: Data) {
        reopen()
        data.append(Data("--\(boundary)\r\nContent-Disposition: form-data; name=\"\(name)\"; filename=\"\(fileName)\"\r\nContent-Type: application/octet-stream\r\n\r\n".utf8))
        data.append(contents)
        data.append(Data("\r\n".utf8))
        close()
    }

    private var end: Data { Data("--\(boundary)--\r\n".utf8) }

    private mutating func reopen() {
        if data.count >= end.count, data.suffix(end.count) == end { data.removeLast(end.count) }
    }

    private mutating func close() { data.append(end) }
}
