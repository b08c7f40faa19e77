import Foundation
import Testing

@testable import ProctorSandbox

/// The kill is of the whole tree, and after every run nothing of it remains:
/// no process, no mount, no cgroup member.
@Suite struct CleanupTests {
    /// Runs `script` in a fresh slot and checks the host is clean afterwards.
    func runAndCheckClean(_ script: String, limits: (inout Limits) -> Void = { _ in }) async throws -> RunReport {
        let slot = Harness.slot()
        // (A `proctor run` of this slot number in an earlier test run may have left its namespace mounted.)
        let kept = " " + Harness.sandbox.configuration.stateDirectory + "/net/slot-\(slot) "
        let keptBefore = try Harness.mountTable().contains(kept)
        let run = try await Harness.run(script, limits: limits) { $0.slot = slot }
        let uid = Harness.sandbox.uid(forSlot: slot)
        #expect(Harness.processes(ownedBy: uid).isEmpty, "processes of uid \(uid) survived")
        #expect(Harness.sandbox.hierarchy.group(slot: slot).processes().isEmpty, "the slot's cgroup is not empty")
        let mounts = try Harness.mountTable()
        #expect(!mounts.contains(Harness.sandbox.configuration.stateDirectory + "/root"))
        // A long-lived process holds its slots' network namespaces itself: it mounts none.
        #expect(keptBefore || !mounts.contains(kept), "an in-process run mounted its network namespace")
        #expect(try Harness.sandbox.networks.path(forSlot: slot).hasPrefix("/proc/\(getpid())/fd/"), "not a descriptor of this process")
        return run.report
    }

    @Test func doubleForkedDaemonDiesWithTheRun() async throws {
        let report = try await runAndCheckClean("(setsid sh -c 'sleep 1000' &); (nohup sleep 1000 >/dev/null 2>&1 &); exit 0")
        #expect(report.verdict == .exited(code: 0))
        #expect(report.metrics.realTime < 5)
    }

    @Test func sigtermIgnoringProcessIsKilled() async throws {
        let report = try await runAndCheckClean("trap '' TERM INT HUP; sleep 1000") { $0.wallTime = 0.5 }
        #expect(report.verdict == .limitExceeded(.realTime))
    }

    @Test func stoppedProcessesAreKilled() async throws {
        let report = try await runAndCheckClean("sleep 1000 & kill -STOP $!; kill -STOP $$") { $0.idleTime = 0.5 }
        #expect(report.verdict == .limitExceeded(.idlenessTime))
    }

    @Test func backgroundSpinnerAfterExitIsKilled() async throws {
        let report = try await runAndCheckClean("(while :; do :; done) & echo started")
        #expect(report.verdict == .exited(code: 0))
    }

    @Test func cancellingARunKillsItPromptly() async throws {
        let slot = Harness.slot()
        var spec = SandboxSpec(command: ["/bin/sh", "-c", "trap '' TERM; sleep 1000"], slot: slot)
        spec.limits.wallTime = 60
        spec.limits.idleTime = 60
        let task = Task { try await Harness.sandbox.run(spec) }
        try await Task.sleep(for: .milliseconds(300))
        let cancelledAt = ContinuousClock.now
        task.cancel()
        await #expect(throws: CancellationError.self) { try await task.value }
        // Far within the run's 60 s limits: the cancel stopped it, not a limit. How
        // soon (a millisecond or two) is measured by `bash bench/sandbox.sh`, not here,
        // where a machine busy with the rest of the suite may take a second.
        #expect(ContinuousClock.now - cancelledAt < .seconds(10))
        #expect(Harness.processes(ownedBy: Harness.sandbox.uid(forSlot: slot)).isEmpty)
    }

    @Test func strayProcessOfTheSlotUidIsSwept() async throws {
        // A process running as the slot's uid outside any run (as if a previous
        // supervisor crashed) is found and killed before the next run.
        let slot = Harness.slot()
        let uid = Harness.sandbox.uid(forSlot: slot)
        let stray = Process()
        stray.executableURL = URL(fileURLWithPath: "/usr/bin/setpriv")
        stray.arguments = ["--reuid=\(uid)", "--regid=\(uid)", "--clear-groups", "/bin/sleep", "1000"]
        try stray.run()
        defer { if stray.isRunning { stray.terminate() } }
        for _ in 0..<200 where Harness.processes(ownedBy: uid).isEmpty { try await Task.sleep(for: .milliseconds(10)) }
        #expect(!Harness.processes(ownedBy: uid).isEmpty)
        _ = try await Harness.run("true") { _ in } configure: { $0.slot = slot }
        stray.waitUntilExit()
        #expect(stray.terminationReason == .uncaughtSignal)
    }

    @Test func nonDumpableProcessOfARunsPidNamespaceIsSwept() async throws {
        // A non-dumpable process's /proc files are root's whatever its uid; it
        // is found by the pid namespace it cannot leave.
        let slot = Harness.slot()
        let uid = Harness.sandbox.uid(forSlot: slot)
        let stray = Process()
        stray.executableURL = URL(fileURLWithPath: "/usr/bin/unshare")
        stray.arguments = ["--pid", "--fork", "/usr/bin/setpriv", "--reuid=\(uid)", "--regid=\(uid)", "--clear-groups", "/usr/bin/python3", "-c",
                           "import ctypes, os, time; ctypes.CDLL(None).prctl(4, 0); print(os.getpid(), flush=True); time.sleep(1000)"]
        let out = Foundation.Pipe()
        stray.standardOutput = out
        try stray.run()
        defer { if stray.isRunning { stray.terminate() } }
        _ = out.fileHandleForReading.availableData  // it is non-dumpable now
        let children = try String(contentsOfFile: "/proc/\(stray.processIdentifier)/task/\(stray.processIdentifier)/children", encoding: .utf8)
        let hidden = try #require(children.split(separator: " ").first.flatMap { Int32($0) })
        var st = stat()
        #expect(stat("/proc/\(hidden)/status", &st) == 0 && st.st_uid == 0)
        let namespace = try #require(StraySweeper.pidNamespace(of: hidden))
        #expect(StraySweeper.sweep(uid: 4_000_000_000, pidNamespace: namespace) == 1)
        stray.waitUntilExit()
        #expect(kill(hidden, 0) != 0)
    }

    @Test func processesOfTheRunsPidNamespaceAreSweptWhateverTheirUid() async throws {
        let stray = Process()
        stray.executableURL = URL(fileURLWithPath: "/usr/bin/unshare")
        stray.arguments = ["--pid", "--fork", "/bin/sleep", "1000"]
        try stray.run()
        defer { if stray.isRunning { stray.terminate() } }
        var namespace: String?
        var inside: Int32?
        for _ in 0..<200 where inside == nil {
            try await Task.sleep(for: .milliseconds(10))
            let children = (try? String(contentsOfFile: "/proc/\(stray.processIdentifier)/task/\(stray.processIdentifier)/children", encoding: .utf8)) ?? ""
            inside = children.split(separator: " ").first.flatMap { Int32($0) }
        }
        let sleeper = try #require(inside)
        namespace = StraySweeper.pidNamespace(of: sleeper)
        #expect(namespace != StraySweeper.pidNamespace(of: getpid()))
        #expect(StraySweeper.sweep(uid: 4_000_000_000, pidNamespace: namespace) == 1)
        stray.waitUntilExit()
        #expect(kill(sleeper, 0) != 0)
    }
}
