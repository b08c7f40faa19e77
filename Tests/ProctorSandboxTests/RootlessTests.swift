import Foundation
import Testing

@testable import ProctorSandbox

/// `proctor run --rootless` as a user without root (nobody, through
/// `setpriv`), as on a Slurm compute node: what holds, and what the report
/// says does not hold as strongly.
@Suite struct RootlessTests {
    static let nobody: UInt32 = 65534

    /// The binaries, copied where nobody may run them (the build may sit under a directory closed to others).
    static let binaries: String = {
        let directory = NSTemporaryDirectory() + "proctor-rootless-bin-" + UUID().uuidString
        let built = URL(fileURLWithPath: Sandbox.Configuration.defaultHelperPath()).deletingLastPathComponent().path
        try? FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        for name in ["proctor", "proctor-init"] { try? FileManager.default.copyItem(atPath: built + "/" + name, toPath: directory + "/" + name) }
        chmod(directory, 0o755)
        return directory
    }()

    struct Result {
        var status: Int32
        var stdout: String
        var report: [String: Any]
        var verdict: [String: Any] { report["verdict"] as? [String: Any] ?? [:] }
        var metrics: [String: Any] { report["metrics"] as? [String: Any] ?? [:] }
    }

    /// Runs `script` with `proctor run --rootless OPTIONS` as nobody.
    func run(_ options: [String], _ script: String) async throws -> Result {
        let reportPath = NSTemporaryDirectory() + "proctor-rootless-report-" + UUID().uuidString
        FileManager.default.createFile(atPath: reportPath, contents: nil)
        chown(reportPath, Self.nobody, Self.nobody)
        defer { try? FileManager.default.removeItem(atPath: reportPath) }
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/setpriv")
        process.arguments = ["--reuid=\(Self.nobody)", "--regid=\(Self.nobody)", "--clear-groups", Self.binaries + "/proctor", "run", "--rootless",
                             "--report", reportPath, "--slot", String(Harness.slot())] + options + ["--", "/bin/sh", "-c", script]
        process.environment = ["PATH": "/usr/bin:/bin"]
        process.currentDirectoryURL = URL(fileURLWithPath: "/tmp")
        let out = Foundation.Pipe()
        process.standardOutput = out
        try process.run()
        let output = await Task.detached { out.fileHandleForReading.readDataToEndOfFile() }.value
        process.waitUntilExit()
        let data = FileManager.default.contents(atPath: reportPath) ?? Data()
        let report = (try? JSONSerialization.jsonObject(with: data) as? [String: Any]) ?? [:]
        return Result(status: process.terminationStatus, stdout: String(decoding: output, as: UTF8.self), report: report)
    }

    @Test func aRootlessRunIsIsolatedConfinedAndSaysWhatIsWeaker() async throws {
        let result = try await run([], """
            id -u; grep -E '^(CapEff|NoNewPrivs|Seccomp):' /proc/self/status | tr -d '\\t'; ls /; hostname
            echo "processes=$(ps -e -o pid= | wc -l)"; test -e /etc/shadow && echo shadow; test -e /root && echo root
            python3 -c 'import socket; socket.socket()' 2>/dev/null && echo inet
            """)
        let lines = result.stdout.split(separator: "\n").map(String.init)
        #expect(lines.first == String(Self.nobody))
        #expect(lines.contains("CapEff:0000000000000000") && lines.contains("NoNewPrivs:1") && lines.contains("Seccomp:2"))
        // The sandbox's own tree, not the host's.
        #expect(!lines.contains("home") && !lines.contains("work") && !lines.contains("root") && lines.contains("workspace"))
        #expect(lines.contains("proctor"))
        #expect(!lines.contains("shadow") && !lines.contains("inet"))
        // Its own pid namespace: the shell, its subshell, ps and wc, nothing of the host.
        let processes = lines.first { $0.hasPrefix("processes=") }.flatMap { Int($0.dropFirst("processes=".count).trimmingCharacters(in: .whitespaces)) }
        #expect((processes ?? 99) <= 4)
        #expect(result.verdict["kind"] as? String == "exited")
        #expect((result.report["notes"] as? [String])?.contains { $0.hasPrefix("rootless sandbox:") } == true)
    }

    @Test func itsTimeMemoryDiskAndOutputLimitsHold() async throws {
        let cpu = try await run(["--cpu-time", "1"], "while :; do :; done")
        #expect(cpu.verdict["limit"] as? String == "cpu_time")
        #expect((cpu.metrics["cpu_time"] as? Double ?? 0) >= 1)
        let wall = try await run(["--wall-time", "1", "--idle-time", "10"], "sleep 10")
        #expect(wall.verdict["limit"] as? String == "real_time")
        // Memory is sampled: a program holding five times its limit is stopped for it.
        let memory = try await run(["--memory", "50M"], "exec python3 -c 'import time; x = bytearray(250 << 20); time.sleep(2)'")
        #expect(memory.verdict["limit"] as? String == "memory")
        let disk = try await run(["--disk", "1M"], "head -c 5M /dev/zero > /tmp/big || echo full")
        #expect(disk.stdout.hasPrefix("full"))
        let output = try await run(["--output", "10K"], "head -c 1M /dev/zero")
        #expect(output.verdict["limit"] as? String == "output")
    }

    @Test func theProcessLimitHoldsAndNothingOutlivesTheRun() async throws {
        // A sleep long enough to recognise: its length is the marker.
        let marker = String(UInt32.random(in: 1_000_000..<9_000_000))
        let result = try await run(["--processes", "5"], "for i in 1 2 3 4 5 6 7 8 9 10; do sleep \(marker) & echo $i; done")
        let started = result.stdout.split(separator: "\n").compactMap { Int($0) }.max() ?? 0
        // The shell and four sleeps make five: the next fork fails, and the shell with it.
        #expect(started >= 1 && started <= 4)
        #expect(result.verdict["kind"] as? String == "exited" && result.verdict["exit_code"] as? Int != 0)
        // The sleeps left running in the background are gone with the run.
        let survivors = StraySweeper.processes().filter { pid in
            (ControlFile.read("/proc/\(pid)/cmdline") ?? "").contains(marker)
        }
        #expect(survivors.isEmpty)
    }

    @Test func theWorkspaceComesBackOwnedByTheCaller() async throws {
        let workspace = NSTemporaryDirectory() + "proctor-rootless-ws-" + UUID().uuidString
        try FileManager.default.createDirectory(atPath: workspace, withIntermediateDirectories: true)
        chown(workspace, Self.nobody, Self.nobody)
        defer { try? FileManager.default.removeItem(atPath: workspace) }
        try Data("in".utf8).write(to: URL(fileURLWithPath: workspace + "/input.txt"))
        chown(workspace + "/input.txt", Self.nobody, Self.nobody)
        let result = try await run(["--workspace", workspace], "cat input.txt; echo out > output.txt")
        #expect(result.stdout.hasPrefix("in"))
        var st = stat()
        #expect(stat(workspace + "/output.txt", &st) == 0 && st.st_uid == Self.nobody)
        #expect(String(decoding: FileManager.default.contents(atPath: workspace + "/output.txt") ?? Data(), as: UTF8.self) == "out\n")
    }

    @Test func rootlessModeIsRefusedToRootWhichHasTheFullSandbox() {
        #expect(throws: SandboxError.self) { try Sandbox(configuration: .init(rootless: true)) }
    }
}
