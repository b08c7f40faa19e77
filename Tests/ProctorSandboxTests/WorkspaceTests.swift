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

/// What comes back from /workspace is bounded and cannot be amplified: hard
/// links stay links, holes stay holes, too many entries or too deep a tree is
/// the program's verdict (and nothing partial is kept), and modes come back
/// tame and owned by the service.
@Suite struct WorkspaceCopyBackTests {
    /// Bytes the host actually allocated under `directory`.
    static func allocated(_ directory: String) -> UInt64 {
        var total: UInt64 = 0
        var seen = Set<UInt64>()
        let enumerator = FileManager.default.enumerator(atPath: directory)
        while let name = enumerator?.nextObject() as? String {
            var st = stat()
            guard lstat(directory + "/" + name, &st) == 0, seen.insert(UInt64(st.st_ino)).inserted else { continue }
            total += UInt64(st.st_blocks) * 512
        }
        return total
    }

    @Test func hardLinksComeBackAsLinksNotCopies() async throws {
        let directory = try Harness.temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let run = try await Harness.run("head -c 10485760 /dev/urandom > big; mkdir d; for i in $(seq 40); do ln big d/link$i; done") {
            $0.disk = 64 << 20
        } configure: { $0.workspace = directory }
        #expect(run.report.verdict == .exited(code: 0))
        var st = stat()
        #expect(lstat(directory + "/d/link40", &st) == 0)
        #expect(st.st_nlink == 41)
        #expect(st.st_size == 10 << 20)
        #expect(Self.allocated(directory) < 12 << 20)
    }

    @Test func holesStayHoles() async throws {
        let directory = try Harness.temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let run = try await Harness.run("for i in 1 2 3 4 5 6 7 8; do truncate -s 200M sparse$i; done; echo tail >> sparse8") {
            $0.disk = 16 << 20
        } configure: { $0.workspace = directory }
        #expect(run.report.verdict == .exited(code: 0))
        let attributes = try FileManager.default.attributesOfItem(atPath: directory + "/sparse8")
        #expect((attributes[.size] as? NSNumber)?.uint64Value == (200 << 20) + 5)
        #expect(Self.allocated(directory) < 1 << 20)
    }

    @Test func tooManyEntriesIsTheProgramsVerdictAndNothingIsKept() async throws {
        let directory = try Harness.temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let run = try await Harness.python("""
            for i in range(10050):
                open(f"f{i}", "w").close()
            """) { $0.disk = 64 << 20 } configure: { $0.workspace = directory }
        #expect(run.report.verdict == .limitExceeded(.workspace))
        #expect(run.report.notes?.first?.contains("10000 files and directories") == true)
        #expect(try FileManager.default.contentsOfDirectory(atPath: directory).isEmpty)
    }

    @Test func deepNestingIsTheProgramsVerdictNotAnInternalError() async throws {
        let directory = try Harness.temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let run = try await Harness.run("p=.; for i in $(seq 66); do p=$p/d; done; mkdir -p $p && echo x > $p/leaf") { _ in } configure: {
            $0.workspace = directory
        }
        #expect(run.report.verdict == .limitExceeded(.workspace))
        #expect(run.report.notes?.first?.contains("deeper than 32") == true)
        #expect(try FileManager.default.contentsOfDirectory(atPath: directory).isEmpty)
    }

    @Test func modesComeBackTameAndOwnedByTheService() async throws {
        let directory = try Harness.temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let run = try await Harness.run("""
            echo a > open; chmod 0666 open
            echo b > setuid; chmod 4777 setuid
            echo c > setgid; chmod 2750 setgid
            mkdir wide; chmod 1777 wide; echo d > wide/in
            """) { _ in } configure: { $0.workspace = directory }
        #expect(run.report.verdict == .exited(code: 0))
        func mode(_ name: String) -> (mode: UInt32, uid: UInt32) {
            var st = stat()
            lstat(directory + "/" + name, &st)
            return (UInt32(st.st_mode) & 0o7777, st.st_uid)
        }
        #expect(mode("open").mode == 0o644)
        #expect(mode("setuid").mode == 0o755)
        #expect(mode("setgid").mode == 0o755)
        #expect(mode("wide").mode == 0o755)
        #expect(mode("wide/in").uid == geteuid())
    }
}
