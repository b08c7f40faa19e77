import AsyncHTTPClient
import Foundation
import NIOCore

/// One Server-Sent Event: its name (`message` when unnamed) and its data
/// lines joined with newlines.
public struct ServerSentEvent: Sendable, Equatable {
    public var name: String
    public var data: String

    public init(name: String, data: String) {
        self.name = name
        self.data = data
    }
}

/// Turns a stream's text into events as it arrives (comments and fields
/// other than `event` and `data` are skipped).
struct ServerSentEventParser {
    private var buffer = ""
    private var name = ""
    private var data: [String] = []

    /// The events `text` completes.
    mutating func feed(_ text: String) -> [ServerSentEvent] {
        buffer += text
        var events: [ServerSentEvent] = []
        while let newline = buffer.firstIndex(of: "\n") {
            let line = String(buffer[..<newline]).replacingOccurrences(of: "\r", with: "")
            buffer = String(buffer[buffer.index(after: newline)...])
            if line.isEmpty {
                if !data.isEmpty || !name.isEmpty { events.append(ServerSentEvent(name: name.isEmpty ? "message" : name, data: data.joined(separator: "\n"))) }
                name = ""
                data = []
            } else if line.hasPrefix("event:") {
                name = line.dropFirst(6).trimmingCharacters(in: .whitespaces)
            } else if line.hasPrefix("data:") {
                let value = line.dropFirst(5)
                data.append(String(value.hasPrefix(" ") ? value.dropFirst() : value))
            }
        }
        return events
    }
}

extension ProctorClient {
    /// Follows the Server-Sent Events at `path`, handing each to `handle` as it
    /// arrives, until the server ends the stream or `handle` returns false.
    /// A non-2xx answer throws its problem details.
    public func events(_ path: String, handle: (ServerSentEvent) async throws -> Bool) async throws {
        var request = HTTPClientRequest(url: server + path)
        request.headers.add(name: "Accept", value: "text/event-stream")
        if let token { request.headers.add(name: "Authorization", value: "Bearer \(token)") }
        let response: HTTPClientResponse
        do {
            response = try await http.execute(request, timeout: .hours(24))
        } catch {
            throw ClientError.transport("\(error)")
        }
        guard (200..<300).contains(Int(response.status.code)) else {
            let body = Data((try await response.body.collect(upTo: 1 << 20)).readableBytesView)
            let json = try? JSONSerialization.jsonObject(with: body) as? [String: Any]
            throw ClientError.problem(status: Int(response.status.code), type: json?["type"] as? String ?? "",
                                      detail: json?["detail"] as? String ?? String(decoding: body, as: UTF8.self), retryAfter: nil)
        }
        var parser = ServerSentEventParser()
        for try await buffer in response.body {
            for event in parser.feed(String(decoding: buffer.readableBytesView, as: UTF8.self)) {
                guard try await handle(event) else { return }
            }
        }
    }
}
