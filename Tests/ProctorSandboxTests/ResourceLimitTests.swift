import Foundation
import Testing

@testable import ProctorSandbox

/// Memory, processes, descriptors, disk and output: each limit holds and is
/// named in the verdict.
@Suite struct ResourceLimitTests {
    @Test func memoryHogIsReportedAsMemory() async throws {
        let run = try await Harness.python("""
            chunks = []
            while True:
                chunks.append(bytearray(8 << 20))
            """) { $0.memory = 64 << 20 }
        #expect(run.report.verdict == .limitExceeded(.memory))
        #expect(run.report.metrics.memory <= 64 << 20 + 1 << 20)
    }

    @Test func forkBombHitsTheProcessLimit() async throws {
        let run = try await Harness.python("""
            import os
            while True:
                os.fork()
            """) {
            $0.processes = 24
            $0.wallTime = 10
        }
        #expect(run.report.verdict == .limitExceeded(.processes))
    }

    @Test func shellForkBombEndsAndLeavesNothing() async throws {
        let slot = Harness.slot()
        let run = try await Harness.run("bomb() { bomb | bomb & }; bomb; sleep 5") {
            $0.processes = 32
            $0.wallTime = 2
        } configure: { $0.slot = slot }
        #expect(run.report.verdict == .limitExceeded(.processes))
        #expect(Harness.processes(ownedBy: Harness.sandbox.uid(forSlot: slot)).isEmpty)
    }

    @Test func openFilesAreCapped() async throws {
        let run = try await Harness.python("""
            files = []
            try:
                while True:
                    files.append(open('/dev/null'))
            except OSError as e:
                print(len(files), e.errno)
            """) { $0.openFiles = 32 }
        #expect(run.report.verdict == .exited(code: 0))
        let fields = run.stdout.split(separator: " ").map { Int($0.trimmingCharacters(in: .whitespacesAndNewlines)) }
        #expect(fields.first.flatMap { $0 }.map { $0 < 32 } == true)
        #expect(fields.last.flatMap { $0 } == 24)  // EMFILE
    }

    @Test(arguments: ["/tmp", "/workspace", "/dev/shm"])
    func fillingATmpfsIsReportedAsDisk(directory: String) async throws {
        let run = try await Harness.run("dd if=/dev/zero of=\(directory)/fill bs=1M count=64 2>&1; exit 1") {
            $0.disk = 4 << 20
            $0.fileSize = 1 << 30
        }
        #expect(run.report.verdict == .limitExceeded(.disk))
        #expect(run.stdout.contains("No space left on device"))
    }

    @Test func fillingAScratchDirectoryIsReportedAsDisk() async throws {
        let run = try await Harness.run("dd if=/dev/zero of=/env/fill bs=1M count=64 2>&1; exit 1") {
            $0.disk = 4 << 20
            $0.fileSize = 1 << 30
        } configure: { $0.scratch = ["/env"] }
        #expect(run.report.verdict == .limitExceeded(.disk))
        #expect(run.stdout.contains("No space left on device"))
    }

    @Test func fileSizeLimitStopsOneBigFile() async throws {
        let run = try await Harness.run("exec dd if=/dev/zero of=/tmp/big bs=1M count=8") {
            $0.fileSize = 1 << 20
            $0.disk = 64 << 20
        }
        #expect(run.report.verdict == .signaled(signal: 25))  // SIGXFSZ
    }

    @Test func outputFloodIsCutAtTheCap() async throws {
        let directory = try Harness.temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let run = try await Harness.run("yes flood") {
            $0.output = 1 << 20
        } configure: { $0.stdout = directory + "/out" }
        #expect(run.report.verdict == .limitExceeded(.output))
        let size = try FileManager.default.attributesOfItem(atPath: directory + "/out")[.size] as? Int
        #expect(size == 1 << 20)
    }

    @Test func stderrHasItsOwnCap() async throws {
        let run = try await Harness.run("echo fine; yes err >&2") { $0.output = 64 << 10 }
        #expect(run.report.verdict == .limitExceeded(.output))
        #expect(run.stdout == "fine\n")
        #expect(run.stderr.utf8.count == 64 << 10)
    }
}
