import Foundation
import ProctorClient
import ProctorCore
import Testing
import Yams

/// The OpenAPI document against the server's real answers: every request
/// below must hit a documented operation, get a documented status, and (for
/// JSON) a body that has every required field with the documented type.
@Suite struct OpenAPITests {
    struct Document {
        let root: [String: Any]

        func operation(_ method: String, _ path: String) -> [String: Any]? {
            let paths = root["paths"] as? [String: Any] ?? [:]
            for (template, item) in paths {
                let a = template.split(separator: "/"), b = path.split(separator: "?")[0].split(separator: "/")
                guard a.count == b.count, zip(a, b).allSatisfy({ $0 == $1 || $0.hasPrefix("{") }) else { continue }
                return (item as? [String: Any])?[method.lowercased()] as? [String: Any]
            }
            return nil
        }

        func resolve(_ node: [String: Any]) -> [String: Any] {
            guard let ref = node["$ref"] as? String else { return node }
            var current: Any = root
            for part in ref.dropFirst(2).split(separator: "/") { current = (current as? [String: Any])?[String(part)] as Any }
            return resolve(current as? [String: Any] ?? [:])
        }

        /// Problems with `value` against `schema`, as readable paths.
        func check(_ value: JSONValue, against schemaNode: [String: Any], at path: String = "$") -> [String] {
            let schema = resolve(schemaNode)
            var problems: [String] = []
            switch (schema["type"] as? String, value) {
            case ("object", .object(let object)):
                for key in schema["required"] as? [String] ?? [] where object[key] == nil { problems.append("\(path).\(key) is missing") }
                for (key, sub) in schema["properties"] as? [String: Any] ?? [:] {
                    if let v = object[key], let s = sub as? [String: Any] { problems += check(v, against: s, at: "\(path).\(key)") }
                }
            case ("array", .array(let array)):
                if let items = schema["items"] as? [String: Any] {
                    for (i, v) in array.enumerated() { problems += check(v, against: items, at: "\(path)[\(i)]") }
                }
            case ("string", .string(let text)):
                if let allowed = schema["enum"] as? [String], !allowed.contains(text) { problems.append("\(path) '\(text)' is not in the enum") }
            case ("integer", .number(let n)):
                if n != n.rounded() { problems.append("\(path) is not an integer") }
            case ("number", .number), ("boolean", .bool), (nil, _): break
            case (let type?, _):
                problems.append("\(path) is not of type \(type)")
            }
            return problems
        }
    }

    @Test func serverAnswersMatchTheDocument() async throws {
        let server = try await TestServer(slots: 1)
        defer { Task { await server.stop() } }
        let alice = try await server.client("alice"), admin = try await server.client("root", role: .admin)
        let served = try await alice.call(.GET, "/openapi.yaml")
        #expect(served.header("Content-Type") == "application/yaml")
        let document = Document(root: try #require(try Yams.load(yaml: served.text) as? [String: Any]))
        #expect(document.root["openapi"] as? String == "3.0.3")

        let id = try #require(try await server.submitShell(alice, "echo 0.5 > out.txt")["id"] as? String)
        _ = try await server.waitForEnd(alice, id)
        let queued = try #require(try await server.submitShell(alice, "sleep 2; echo 1 > out.txt", expectedTime: 30)["id"] as? String)
        var form = MultipartBody()
        form.add(name: "competition", value: "nope")
        form.add(name: "file", fileName: "solution.sh", data: Data("x".utf8))

        let anonymous = ProctorClient(server: server.url, token: nil)
        let requests: [(String, ProctorClient, String, Data?, String?)] = [
            ("GET", anonymous, "/healthz", nil, nil), ("GET", anonymous, "/readyz", nil, nil), ("GET", anonymous, "/metrics", nil, nil),
            ("GET", alice, "/v1/jobs", nil, nil), ("GET", alice, "/v1/jobs?state=nope", nil, nil), ("GET", anonymous, "/v1/jobs", nil, nil),
            ("GET", alice, "/v1/jobs/\(id)", nil, nil), ("GET", alice, "/v1/jobs/\(queued)", nil, nil),
            ("GET", alice, "/v1/jobs/\(UUID().uuidString.lowercased())", nil, nil),
            ("GET", alice, "/v1/jobs/\(id)/events", nil, nil), ("GET", alice, "/v1/jobs/\(id)/logs?stream=stderr", nil, nil),
            ("GET", alice, "/v1/jobs/\(id)/logs?stream=both", nil, nil), ("POST", alice, "/v1/jobs/\(id)/cancel", nil, nil),
            ("POST", alice, "/v1/jobs", form.data, form.contentType),
            ("GET", alice, "/v1/competitions", nil, nil), ("GET", alice, "/v1/competitions/iris", nil, nil),
            ("GET", alice, "/v1/competitions/nope", nil, nil), ("GET", alice, "/v1/queue", nil, nil),
            ("GET", admin, "/v1/admin/tokens", nil, nil), ("GET", alice, "/v1/admin/tokens", nil, nil),
            ("POST", admin, "/v1/admin/tokens", Data(#"{"user":"dave","role":"user"}"#.utf8), "application/json"),
            ("POST", admin, "/v1/admin/tokens", Data(#"{"nope":1}"#.utf8), "application/json"),
            ("POST", admin, "/v1/admin/tokens/999/revoke", nil, nil), ("GET", admin, "/v1/admin/users", nil, nil),
            ("POST", alice, "/v1/jobs/\(queued)/cancel", nil, nil),
        ]
        for (method, client, path, body, type) in requests {
            let response = try await client.send(method == "GET" ? .GET : .POST, path, body: body, contentType: type)
            #expect(response.header("X-Request-Id")?.isEmpty == false)
            guard let operation = document.operation(method, path) else {
                Issue.record("\(method) \(path) is not in the document")
                continue
            }
            let responses = operation["responses"] as? [String: Any] ?? [:]
            guard let documented = responses[String(response.status)] as? [String: Any] else {
                Issue.record("\(method) \(path) answered \(response.status), which is not documented")
                continue
            }
            let content = document.resolve(documented)["content"] as? [String: Any] ?? [:]
            let mediaType = (response.header("Content-Type") ?? "").split(separator: ";")[0].trimmingCharacters(in: .whitespaces)
            guard let media = content[mediaType] as? [String: Any] else {
                Issue.record("\(method) \(path) answered \(mediaType), not documented for \(response.status)")
                continue
            }
            if mediaType.hasSuffix("json"), let schema = media["schema"] as? [String: Any] {
                let value = try JSONDecoder().decode(JSONValue.self, from: response.body)
                let problems = document.check(value, against: schema)
                #expect(problems.isEmpty, "\(method) \(path) \(response.status): \(problems)")
            }
        }
    }
}
