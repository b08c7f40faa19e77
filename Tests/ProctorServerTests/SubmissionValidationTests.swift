import Foundation
import ProctorClient
import ProctorCore
import Testing

/// Every field of a submission is checked, and every refusal says what was wrong.
@Suite struct SubmissionValidationTests {
    struct Case: Sendable, CustomTestStringConvertible {
        var name: String
        var competition = "shell"
        var fileName = "solution.sh"
        var contents = "echo 1 > out.txt"
        var expectedTime: String?
        var metadata: String?
        var status: Int
        var type: String
        var mention: String
        var testDescription: String { name }
    }

    static let cases: [Case] = [
        Case(name: "unknown competition", competition: "nope", status: 404, type: "unknown-competition", mention: "nope"),
        Case(name: "path as competition", competition: "../etc", status: 400, type: "invalid-field", mention: "not a valid id"),
        Case(name: "competition with SQL", competition: "x' OR 1=1 --", status: 400, type: "invalid-field", mention: "not a valid id"),
        Case(name: "competition with spaces", competition: "my comp", status: 400, type: "invalid-field", mention: "not a valid id"),
        Case(name: "wrong file name", fileName: "main.py", status: 400, type: "invalid-field", mention: "accepts solution.sh"),
        Case(name: "path traversal", fileName: "../../solution.sh", status: 400, type: "invalid-field", mention: "plain name"),
        Case(name: "control character", fileName: "sol\u{1}.sh", status: 400, type: "invalid-field", mention: "plain name"),
        Case(name: "empty file", contents: "", status: 400, type: "invalid-field", mention: "empty"),
        Case(name: "negative expected_time", expectedTime: "-1", status: 400, type: "invalid-field", mention: "expected_time"),
        Case(name: "zero expected_time", expectedTime: "0", status: 400, type: "invalid-field", mention: "expected_time"),
        Case(name: "huge expected_time", expectedTime: "99999999999999999999", status: 400, type: "invalid-field", mention: "expected_time"),
        Case(name: "word expected_time", expectedTime: "soon", status: 400, type: "invalid-field", mention: "expected_time"),
        Case(name: "metadata not an object", metadata: "[1,2]", status: 400, type: "invalid-field", mention: "metadata"),
        Case(name: "metadata not JSON", metadata: "{oops", status: 400, type: "invalid-field", mention: "metadata"),
        Case(name: "metadata too large", metadata: "{\"x\": \"" + String(repeating: "a", count: 5000) + "\"}", status: 400, type: "invalid-field", mention: "larger"),
        Case(name: "upload too large", contents: String(repeating: "#", count: 70 * 1024), status: 413, type: "upload-too-large", mention: "bytes"),
    ]

    @Test(arguments: cases)
    func badFieldIsRefusedClearly(_ c: Case) async throws {
        let server = try await TestServer(slots: 0)
        defer { Task { await server.stop() } }
        let alice = try await server.client("alice")
        var form = MultipartBody()
        form.add(name: "competition", value: c.competition)
        if let e = c.expectedTime { form.add(name: "expected_time", value: e) }
        if let m = c.metadata { form.add(name: "metadata", value: m) }
        form.add(name: "file", fileName: c.fileName, data: Data(c.contents.utf8))
        let response = try await alice.send(.POST, "/v1/jobs", body: form.data, contentType: form.contentType)
        #expect(response.status == c.status, "\(c.name): \(response.text)")
        #expect(response.json?["type"] as? String == "/problems/\(c.type)")
        #expect((response.json?["detail"] as? String ?? "").contains(c.mention), "\(c.name): \(response.text)")
        let jobs = try await alice.call(.GET, "/v1/jobs").json?["jobs"] as? [Any]
        #expect(jobs?.isEmpty == true, "a refused submission creates no job")
    }

    @Test func binaryUploadAndBrokenMultipartAreRefused() async throws {
        let server = try await TestServer(slots: 0)
        defer { Task { await server.stop() } }
        let alice = try await server.client("alice")
        var form = MultipartBody()
        form.add(name: "competition", value: "shell")
        form.add(name: "file", fileName: "solution.sh", data: Data([0x7f, 0x45, 0x4c, 0x46, 0, 0, 0xff]))
        let binary = try await alice.send(.POST, "/v1/jobs", body: form.data, contentType: form.contentType)
        #expect(binary.status == 400)
        #expect((binary.json?["detail"] as? String ?? "").contains("UTF-8"))
        let broken = try await alice.send(.POST, "/v1/jobs", body: Data("garbage".utf8), contentType: "multipart/form-data; boundary=x")
        #expect(broken.status == 400)
        #expect(broken.json?["type"] as? String == "/problems/invalid-multipart")
        let json = try await alice.send(.POST, "/v1/jobs", body: Data("{}".utf8), contentType: "application/json")
        #expect(json.status == 400)
        let badState = try await alice.send(.GET, "/v1/jobs?state=finished")
        #expect(badState.status == 400)
        let badCursor = try await alice.send(.GET, "/v1/jobs?cursor=abc")
        #expect(badCursor.status == 400)
        let badLogs = try await alice.send(.GET, "/v1/jobs/not-a-uuid/logs")
        #expect(badLogs.status == 404)
    }

    @Test func idempotentRetryReturnsTheSameJob() async throws {
        let server = try await TestServer(slots: 0)
        defer { Task { await server.stop() } }
        let alice = try await server.client("alice")
        let first = try await alice.submit(competition: "shell", fileName: "solution.sh", contents: Data("echo 1 > out.txt".utf8), idempotencyKey: "retry-1")
        let second = try await alice.submit(competition: "shell", fileName: "solution.sh", contents: Data("echo 1 > out.txt".utf8), idempotencyKey: "retry-1")
        #expect(first.status == 201)
        #expect(second.status == 200)
        #expect(first.json?["id"] as? String == second.json?["id"] as? String)
        let jobs = try await alice.call(.GET, "/v1/jobs").json?["jobs"] as? [Any]
        #expect(jobs?.count == 1)
        // The same key from another user is another job.
        let bob = try await server.client("bob")
        let bobs = try await bob.submit(competition: "shell", fileName: "solution.sh", contents: Data("echo 1 > out.txt".utf8), idempotencyKey: "retry-1")
        #expect(bobs.status == 201)
        #expect(bobs.json?["id"] as? String != first.json?["id"] as? String)
    }
}

/// A GPU competition on a service with no GPU worker says so rather than
/// queueing a job that could never run.
@Suite struct GPUCompetitionSubmissionTests {
    @Test func gpuJobsNeedAGPUNode() async throws {
        let server = try await TestServer(slots: 1) { root in
            try FileManager.default.copyItem(atPath: root + "/shell", toPath: root + "/shell-gpu")
            var manifest = try JSONDecoder().decode(CompetitionManifest.self, from: Data(contentsOf: URL(fileURLWithPath: root + "/shell-gpu/competition.json")))
            manifest.id = "shell-gpu"
            manifest.gpus = 1
            try JSONEncoder().encode(manifest).write(to: URL(fileURLWithPath: root + "/shell-gpu/competition.json"))
        }
        defer { Task { await server.stop() } }
        let alice = try await server.client("alice")
        var form = MultipartBody()
        form.add(name: "competition", value: "shell-gpu")
        form.add(name: "file", fileName: "solution.sh", data: Data("echo 1 > out.txt".utf8))
        let refused = try await alice.send(.POST, "/v1/jobs", body: form.data, contentType: form.contentType)
        #expect(refused.status == 503)
        #expect(refused.json?["type"] as? String == "/problems/no-capable-node")
        // A remote node reporting a GPU makes it acceptable.
        _ = try await server.store.touchNode(name: "gpu-node", slots: 1, labels: ["gpus": "1"], version: "1", at: Date())
        #expect(try await alice.send(.POST, "/v1/jobs", body: form.data, contentType: form.contentType).status == 201)
    }
}
