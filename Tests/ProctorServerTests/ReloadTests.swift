import Foundation
import ProctorClient
import ProctorServer
import ProctorStore
import Testing

/// Competitions change without a restart: an admin's reload or SIGHUP takes
/// in a new competition, and a job running meanwhile finishes as it began.
@Suite struct ReloadTests {
    /// A copy of the shell competition under another id.
    static func addCompetition(_ id: String, to root: String) throws {
        try FileManager.default.copyItem(atPath: root + "/shell", toPath: root + "/" + id)
        let manifest = root + "/" + id + "/competition.json"
        let text = try String(contentsOfFile: manifest, encoding: .utf8).replacingOccurrences(of: "\"shell\"", with: "\"\(id)\"")
        try text.write(toFile: manifest, atomically: true, encoding: .utf8)
    }

    @Test func anAdminReloadAddsACompetitionWhileAJobRuns() async throws {
        let server = try await TestServer(slots: 1)
        defer { Task { await server.stop() } }
        let alice = try await server.client("alice"), admin = try await server.client("root", role: .admin)
        let id = try #require(try await server.submitShell(alice, "sleep 1; echo 1 > out.txt", expectedTime: 30)["id"] as? String)
        try Self.addCompetition("shell-two", to: server.directory + "/competitions")
        let reloaded = try await admin.call(.POST, "/v1/admin/competitions/reload").json?["competitions"] as? [[String: Any]] ?? []
        #expect(reloaded.contains { $0["id"] as? String == "shell-two" && $0["enabled"] as? Bool == true })
        #expect(try await server.waitForEnd(alice, id)["state"] as? String == "succeeded")
        // The new competition takes jobs at once.
        #expect(try await postSubmission(alice, competition: "shell-two").status == 201)
        #expect(try await alice.send(.POST, "/v1/admin/competitions/reload").status == 403)
    }

    @Test func sighupReloadsTheCompetitionsOfARunningServer() async throws {
        let directory = NSTemporaryDirectory() + "proctor-sighup-" + UUID().uuidString
        try TestServer.makeCompetitions(in: directory + "/competitions", extra: { _ in })
        try FileManager.default.createDirectory(atPath: directory + "/data", withIntermediateDirectories: true)
        let issued = try await TokenIssuer(store: try await JobStore(sqlitePath: directory + "/data/proctor.sqlite"))
            .issue(user: "alice", role: .user, label: "", expiresIn: nil)
        let served = try await ServedProcess.start(["--data-dir", directory + "/data", "--competitions", directory + "/competitions", "--slots", "0"])
        defer { served.terminate() }
        let process = served.process
        let alice = ProctorClient(server: served.url, token: issued.text)
        func ids() async -> [String] {
            ((try? await alice.call(.GET, "/v1/competitions").json?["competitions"] as? [[String: Any]]) ?? []).compactMap { $0["id"] as? String }
        }
        for _ in 0..<100 where await ids().isEmpty { try await Task.sleep(for: .milliseconds(50)) }
        #expect(await !ids().contains("shell-three"))
        try Self.addCompetition("shell-three", to: directory + "/competitions")
        kill(process.processIdentifier, SIGHUP)
        var found = false
        for _ in 0..<100 where !found {
            found = await ids().contains("shell-three")
            if !found { try await Task.sleep(for: .milliseconds(50)) }
        }
        #expect(found)
        #expect(process.isRunning)
    }
}
