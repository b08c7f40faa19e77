import Foundation
import Testing

/// The API document and the server cannot drift apart: schemathesis (every
/// check: status codes, content types, response schemas and headers, bad
/// input refused, good input accepted, stateful sequences) runs against a
/// real server with a user's, a worker's and an admin's token. The seed is
/// fixed so that a failure here is the same failure on every machine.
@Suite struct SchemathesisTests {
    static let root = Built.root
    static let binary = root + "/.build/schemathesis/bin/schemathesis"
    static let installed = FileManager.default.isExecutableFile(atPath: binary)

    @Test(.enabled(if: installed || ProcessInfo.processInfo.environment["CI"] != nil,
                   "schemathesis is not installed: bash scripts/install-dependencies.sh test"),
          .timeLimit(.minutes(5)))
    func everyOperationAnswersAsTheDocumentSays() async throws {
        #expect(Self.installed, "scripts/install-dependencies.sh test installs it; under CI it must run")
        let server = try await TestServer(slots: 0, quotas: .init(maxQueued: 100_000, maxRunning: 10, submissionsPerWindow: 100_000))
        defer { Task { await server.stop() } }
        let user = try await server.client("alice"), worker = try await server.client("node-1", role: .worker)
        let admin = try await server.client("root", role: .admin)
        let runs = [
            (user.token ?? "", "^/(v1/(jobs|competitions|queue)|healthz|readyz|metrics|openapi)"),
            (worker.token ?? "", "^/v1/worker"),
            (admin.token ?? "", "^/v1/admin"),
        ]
        for (token, paths) in runs {
            let run = try await runToEnd(Self.binary, [
                "--config-file", URL(fileURLWithPath: #filePath).deletingLastPathComponent().path + "/Fixtures/schemathesis.toml",
                "run", server.url + "/openapi.yaml", "--url", server.url, "--checks", "all", "--max-examples", "20", "--seed", "20261124",
                "--header", "Authorization: Bearer \(token)", "--include-path-regex", paths, "--no-color",
            ], environment: ["PATH": "/usr/bin:/bin", "HOME": NSTemporaryDirectory(), "SCHEMATHESIS_HOOKS": ""])
            #expect(run.status == 0, "schemathesis on \(paths):\n\(run.output.suffix(6000))")
        }
    }
}
