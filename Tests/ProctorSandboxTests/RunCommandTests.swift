import Foundation
import Testing

@testable import ProctorSandbox

/// `proctor run` as a person types it: the real binary, its output and exit status.
@Suite struct RunCommandTests {
    struct Result {
        var status: Int32
        var stdout: String
        var stderr: String
        var report: [String: Any]? {
            guard let line = stdout.split(separator: "\n").last else { return nil }
            return try? JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any]
        }
    }

    func proctor(_ arguments: [String], slot: Int = Harness.slot()) async throws -> Result {
        let binary = URL(fileURLWithPath: Sandbox.Configuration.defaultHelperPath()).deletingLastPathComponent()
            .appendingPathComponent("proctor")
        let process = Process()
        process.executableURL = binary
        process.arguments = ["run", "--slot", String(slot)] + arguments
        let out = Foundation.Pipe(), err = Foundation.Pipe()
        process.standardOutput = out
        process.standardError = err
        try process.run()
        async let outData = Task.detached { out.fileHandleForReading.readDataToEndOfFile() }.value
        async let errData = Task.detached { err.fileHandleForReading.readDataToEndOfFile() }.value
        let (o, e) = await (outData, errData)
        process.waitUntilExit()
        return Result(status: process.terminationStatus, stdout: String(decoding: o, as: UTF8.self), stderr: String(decoding: e, as: UTF8.self))
    }

    @Test func printsTheProgramsOutputThenTheReport() async throws {
        let result = try await proctor(["--", "/bin/sh", "-c", "echo hi"])
        #expect(result.status == 0)
        #expect(result.stdout.hasPrefix("hi\n"))
        let verdict = result.report?["verdict"] as? [String: Any]
        #expect(verdict?["kind"] as? String == "exited")
        #expect(verdict?["exit_code"] as? Int == 0)
        let metrics = result.report?["metrics"] as? [String: Any]
        #expect(Set(metrics?.keys.map { $0 } ?? []) == ["cpu_time", "real_time", "idleness_time", "memory"])
    }

    @Test func limitVerdictStillExitsZero() async throws {
        let result = try await proctor(["--cpu-time", "0.3", "--", "/bin/sh", "-c", "while :; do :; done"])
        #expect(result.status == 0)
        let verdict = result.report?["verdict"] as? [String: Any]
        #expect(verdict?["kind"] as? String == "limit_exceeded")
        #expect(verdict?["limit"] as? String == "cpu_time")
    }

    @Test func reportCanGoToAFile() async throws {
        let directory = try Harness.temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let result = try await proctor(["--report", directory + "/report.json", "--", "/bin/sh", "-c", "echo only"])
        #expect(result.status == 0)
        #expect(result.stdout == "only\n")
        let report = try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: directory + "/report.json"))) as? [String: Any]
        #expect((report?["verdict"] as? [String: Any])?["kind"] as? String == "exited")
    }

    @Test(arguments: [
        (["--memory", "lots", "--", "/bin/true"], "--memory"),
        (["--cpu-time", "-1", "--", "/bin/true"], "--cpu-time"),
        (["--network", "internet", "--", "/bin/true"], "--network"),
        (["--bind", "/tmp", "--", "/bin/true"], "--bind"),
        (["--env", "=x", "--", "/bin/true"], "--env"),
        ([], "no program"),
        (["--spec", "/nonexistent.json"], "--spec"),
        (["--bogus", "--", "/bin/true"], "Unknown option '--bogus'"),
        (["--slot", "first", "--", "/bin/true"], "--slot"),
    ])
    func badUsageExitsTwoAndSaysWhy(arguments: [String], mention: String) async throws {
        let result = try await proctor(arguments)
        #expect(result.status == 2)
        #expect(result.stderr.contains(mention), "stderr: \(result.stderr)")
    }

    @Test func helpNamesTheCommandAndEveryOption() async throws {
        let result = try await proctor(["--help"])
        #expect(result.status == 0)
        #expect(result.stdout.contains("USAGE: proctor run"))
        #expect(result.stdout.contains("--wall-time") && result.stdout.contains("--rootless"))
    }

    /// One run per process: the slot's network namespace stays mounted for the
    /// next `proctor run` (making one costs half a millisecond), the host's it is
    /// not, and nothing of one run is in it for the next.
    @Test func successiveRunsOfASlotShareAMountedNetworkNamespaceAndNothingElse() async throws {
        let slot = Harness.slot()
        let first = try await proctor(["--", "/usr/bin/python3", "-c", Harness.socketLeftBehind], slot: slot)
        let second = try await proctor(["--", "/usr/bin/python3", "-c", Harness.socketLeftBehindProbe], slot: slot)
        let (a, b) = (first.stdout.split(separator: "\n"), second.stdout.split(separator: "\n"))
        // The program's lines, then the report's.
        #expect(a.count == 2 && b.count == 4, "\(first.stdout)\(first.stderr)\(second.stdout)\(second.stderr)")
        #expect(a.first == b.first, "the slot's namespace was kept")
        let host = try FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/ns/net")
        #expect(a.first.map(String.init) != host)
        #expect(b.dropFirst().first == "nothing", "a socket of the first run outlived it")
        #expect(b.dropFirst(2).first == "1", "interfaces other than lo: \(second.stdout)")
        let kept = Harness.sandbox.configuration.stateDirectory + "/net/slot-\(slot)"
        let mounts = try Harness.mountTable()
        #expect(mounts.contains(" \(kept) "), "no mount at \(kept)")
    }

    /// One run per process: the compiled seccomp filter is kept for the next
    /// `proctor run`, named by what made it; one made by anything else (here a
    /// stale file whose program allows everything) is compiled anew, never loaded.
    @Test func aKeptFilterIsOnlyEverTheOneThisBinaryCompiled() async throws {
        let path = Harness.sandbox.configuration.stateDirectory + "/seccomp-none.bpf"
        // A program of one instruction, "allow", under a header no binary writes.
        let stale = Data("proctor-seccomp 1 exe=0:0:0:0 libseccomp=0.0.0 network=none\n".utf8) + Data([6, 0, 0, 0, 0, 0, 0xff, 0x7f])
        try stale.write(to: URL(fileURLWithPath: path))
        let probe = "import socket\ntry:\n socket.socket(socket.AF_INET); print('allowed')\nexcept OSError as e:\n print(e.errno)"
        let first = try await proctor(["--", "/usr/bin/python3", "-c", probe])
        #expect(first.stdout.hasPrefix("97\n"), "\(first.stdout)\(first.stderr)")  // EAFNOSUPPORT: the real filter
        let kept = try Data(contentsOf: URL(fileURLWithPath: path))
        let header = String(decoding: kept.prefix { $0 != 10 }, as: UTF8.self)
        #expect(header.hasPrefix("proctor-seccomp 1 exe=") && !header.contains("exe=0:0:0:0") && header.hasSuffix("network=none"), "\(header)")
        #expect(kept.count > 200)
        let inode = try FileManager.default.attributesOfItem(atPath: path)[.systemFileNumber] as? Int
        let second = try await proctor(["--", "/usr/bin/python3", "-c", probe])
        #expect(second.stdout.hasPrefix("97\n"))
        #expect(try FileManager.default.attributesOfItem(atPath: path)[.systemFileNumber] as? Int == inode, "the kept filter was compiled again")
    }

    @Test func internalErrorExitsOne() async throws {
        let result = try await proctor(["--", "no-such-program"])
        #expect(result.status == 1)
        let verdict = result.report?["verdict"] as? [String: Any]
        #expect(verdict?["kind"] as? String == "internal_error")
        #expect((verdict?["message"] as? String)?.contains("no-such-program") == true)
    }

    @Test func specFileWithFlagsOnTop() async throws {
        let directory = try Harness.temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let spec = #"{"command": ["/bin/sh", "-c", "sleep 5"], "limits": {"wall_time": 30, "idle_time": 30}}"#
        try spec.write(toFile: directory + "/spec.json", atomically: true, encoding: .utf8)
        let result = try await proctor(["--spec", directory + "/spec.json", "--wall-time", "0.3"])
        #expect(result.status == 0)
        #expect((result.report?["verdict"] as? [String: Any])?["limit"] as? String == "real_time")
    }
}
