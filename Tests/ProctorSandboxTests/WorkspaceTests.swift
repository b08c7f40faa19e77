import Foundation
import Testing

@testable import ProctorSandbox

/// `--workspace DIR` goes in, and what the program left comes back as regular
/// files only: no link it makes can lead the caller outside the workspace.
@Suite struct WorkspaceTests {
    @Test func workspaceIsSeededAndCollected() async throws {
        let directory = try Harness.temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        try FileManager.default.createDirectory(atPath: directory + "/in", withIntermediateDirectories: true)
        try "data".write(toFile: directory + "/in/input.txt", atomically: true, encoding: .utf8)
        try "old".write(toFile: directory + "/delete-me", atomically: true, encoding: .utf8)
        let run = try await Harness.run("pwd; cat in/input.txt; rm delete-me; mkdir -p out/deep; echo result > out/deep/r.txt") { _ in } configure: {
            $0.workspace = directory
        }
        #expect(run.report.verdict == .exited(code: 0))
        #expect(run.stdout == "/workspace\ndata")
        #expect(try String(contentsOfFile: directory + "/out/deep/r.txt", encoding: .utf8) == "result\n")
        #expect(!FileManager.default.fileExists(atPath: directory + "/delete-me"))
    }

    @Test func symlinksAndSpecialFilesDoNotComeBack() async throws {
        let directory = try Harness.temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let run = try await Harness.run("ln -s /etc/shadow shadow; ln -s / root; mkfifo pipe; echo ok > plain") { _ in } configure: {
            $0.workspace = directory
        }
        #expect(run.report.verdict == .exited(code: 0))
        #expect(run.report.skippedEntries == 3)
        #expect(try FileManager.default.contentsOfDirectory(atPath: directory) == ["plain"])
    }

    @Test func seedSymlinksAreNotFollowedIn() async throws {
        let directory = try Harness.temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        try FileManager.default.createSymbolicLink(atPath: directory + "/shadow", withDestinationPath: "/etc/shadow")
        let run = try await Harness.run("ls -A; cat shadow") { _ in } configure: { $0.workspace = directory }
        #expect(run.report.verdict == .exited(code: 1))
        #expect(run.stdout.isEmpty)
    }

    @Test func workspaceFilesBelongToTheProgram() async throws {
        let directory = try Harness.temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        try "x".write(toFile: directory + "/given.txt", atomically: true, encoding: .utf8)
        let run = try await Harness.run("echo more >> given.txt && cat given.txt") { _ in } configure: { $0.workspace = directory }
        #expect(run.stdout == "xmore\n")
    }

    @Test func oversizedSeedIsAClearError() async throws {
        let directory = try Harness.temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        try Data(count: 2 << 20).write(to: URL(fileURLWithPath: directory + "/big"))
        let run = try await Harness.run("true") { $0.disk = 1 << 20 } configure: { $0.workspace = directory }
        guard case .internalError(let message) = run.report.verdict else {
            Issue.record("expected an internal error, got \(run.report.verdict)")
            return
        }
        #expect(message.contains("larger than --disk"))
    }
}
