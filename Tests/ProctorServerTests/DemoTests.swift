import Foundation
import ProctorClient
import Testing

/// `proctor serve --demo`, a newcomer's first command: it prints a working
/// token and the lines to paste, and a later demo start revokes the earlier token.
@Suite struct DemoTests {
    /// Starts `proctor serve --demo` on `directory` and returns it with what it printed once ready.
    func startDemo(_ directory: String) async throws -> (ServedProcess, String) {
        let served = try await ServedProcess.start(["--demo", "--data-dir", directory + "/data", "--competitions", directory + "/competitions", "--slots", "0"])
        for _ in 0..<300 {
            let text = served.output
            if text.contains("Stop the server") { return (served, text) }
            try await Task.sleep(for: .milliseconds(50))
        }
        served.terminate()
        throw ServeFailure(text: "the demo printed no instructions:\n\(served.output)")
    }

    func token(in text: String) throws -> String {
        let line = try #require(text.split(separator: "\n").first { $0.contains("PROCTOR_TOKEN=") })
        return try #require(line.split(separator: " ").first { $0.hasPrefix("PROCTOR_TOKEN=") }).dropFirst("PROCTOR_TOKEN=".count).description
    }

    @Test func theDemoPrintsAWorkingTokenAndTheLinesToPasteAndRevokesTheLastOne() async throws {
        let directory = NSTemporaryDirectory() + "proctor-demo-" + UUID().uuidString
        try TestServer.makeCompetitions(in: directory + "/competitions", extra: { _ in })
        let (first, printed) = try await startDemo(directory)
        let server = first.url
        #expect(printed.contains("export PROCTOR_SERVER=\(server)"))
        #expect(printed.contains("submit --competition"))
        // The command it prints is one that exists, and the pages are offered too.
        let command = try #require(printed.split(separator: "\n").first { $0.hasSuffix(" competitions") }?.trimmingCharacters(in: .whitespaces))
        let binary = String(command.prefix { $0 != " " })
        #expect(FileManager.default.isExecutableFile(atPath: binary), "the demo prints \(binary), which does not exist")
        #expect(printed.contains("open \(server)/ in a browser"))
        let firstToken = try token(in: printed)
        #expect(try await ProctorClient(server: server, token: firstToken).send(.GET, "/v1/competitions").status == 200)
        try await first.stop()

        let (second, printedAgain) = try await startDemo(directory)
        defer { second.terminate() }
        let secondToken = try token(in: printedAgain)
        let server2 = second.url
        #expect(secondToken != firstToken)
        #expect(try await ProctorClient(server: server2, token: secondToken).send(.GET, "/v1/competitions").status == 200)
        #expect(try await ProctorClient(server: server2, token: firstToken).send(.GET, "/v1/competitions").status == 401)
    }
}
