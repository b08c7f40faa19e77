import Foundation
import Testing

@testable import ProctorSandbox

/// What a hostile submission tried against the node after the first audit:
/// memory the OOM killer could pin on the supervisor, an OOM-immune program,
/// socket families that reach past the namespaces, execution domains, other
/// processes' details in /proc, and accounting left over from the last run.
@Suite struct HardeningTests {
    @Test func kernelMemoryInPipesEndsAsAMemoryVerdictNotADeadInit() async throws {
        // Pipe buffers are charged to the run's cgroup but belong to no
        // process's RSS; the OOM killer must still only find the program.
        let run = try await Harness.python("""
            import os, fcntl
            pipes = []
            while True:
                r, w = os.pipe()
                fcntl.fcntl(w, 1031, 1 << 20)  # F_SETPIPE_SZ
                os.set_blocking(w, False)
                try:
                    while True:
                        os.write(w, b"x" * 65536)
                except BlockingIOError:
                    pass
                pipes.append((r, w))
            """) {
            $0.memory = 32 << 20
            $0.cpuTime = 20
            $0.wallTime = 30
        }
        #expect(run.report.verdict == .limitExceeded(.memory))
    }

    @Test func onlyTheProgramsProcessesAreInTheRunsCgroups() async throws {
        // What the OOM killer of the run's memory cgroup can choose from.
        let slot = Harness.slot()
        let run = Task { try await Harness.run("sleep 1 & sleep 1; wait") { _ in } configure: { $0.slot = slot } }
        let group = try CgroupHierarchy.detect().group(slot: slot)
        var members: [String] = []
        for _ in 0..<100 where members.sorted() != ["sh", "sleep", "sleep"] {
            try await Task.sleep(for: .milliseconds(20))
            members = group.processes().compactMap { ControlFile.read("/proc/\($0)/comm")?.trimmingCharacters(in: .whitespacesAndNewlines) }
        }
        // The shell and its two sleeps (a forked shell may not have become
        // `sleep` yet); never the sandbox's init.
        #expect(members.count == 3)
        #expect(members.allSatisfy { $0 == "sh" || $0 == "sleep" })
        #expect(!members.contains("proctor-init"))
        #expect(try await run.value.report.verdict == .exited(code: 0))
    }

    @Test func theProgramIsTheOOMKillersFirstChoice() async throws {
        let run = try await Harness.run("cat /proc/self/oom_score_adj")
        #expect(run.stdout == "1000\n")
    }

    @Test(arguments: [NetworkMode.none, .loopback])
    func onlyAllowedSocketFamiliesOpen(network: NetworkMode) async throws {
        let run = try await Harness.python("""
            import socket
            import ctypes
            for name, family in [("unix", 1), ("inet", 2), ("inet6", 10), ("netlink", 16), ("packet", 17), ("vsock", 40), ("unspec", 0)]:
                kind = socket.SOCK_DGRAM if family in (16, 17) else socket.SOCK_STREAM
                try:
                    socket.socket(family, kind, 0).close()
                    print(name, "open")
                except OSError as e:
                    print(name, e.errno)
            # AF_VSOCK with high bits set, which the kernel would cut off: socket(2) is 41.
            libc = ctypes.CDLL(None, use_errno=True)
            libc.syscall.restype = ctypes.c_long
            result = libc.syscall(ctypes.c_long(41), ctypes.c_ulong((1 << 32) | 40), ctypes.c_ulong(1), ctypes.c_ulong(0))
            print("high", ctypes.get_errno() if result < 0 else "open")
            try:
                a, b = socket.socketpair(socket.AF_INET, socket.SOCK_STREAM)
                print("inetpair open")
            except OSError as e:
                print("inetpair", e.errno)
            """) { _ in } configure: { $0.network = network }
        let inet = network == .loopback ? "open" : "97"  // EAFNOSUPPORT
        #expect(run.report.verdict == .exited(code: 0))
        #expect(run.stdout == """
            unix open
            inet \(inet)
            inet6 \(inet)
            netlink 97
            packet 97
            vsock 97
            unspec 97
            high 97
            inetpair 97

            """)
    }

    @Test func personalityAndLocalDescriptorTablesAreRefused() async throws {
        let run = try await Harness.python("""
            import ctypes, os
            libc = ctypes.CDLL(None, use_errno=True)
            libc.syscall.restype = ctypes.c_long
            def call(number, *args):
                result = libc.syscall(ctypes.c_long(number), *[ctypes.c_ulong(a) for a in args])
                return result if result >= 0 else -ctypes.get_errno()
            # personality (135): the query works, the default is fine, nothing else.
            print(call(135, 0xffffffff), call(135, 0), call(135, 0x0040000), call(135, 0x0400000),
                  call(135, 0x80000000), call(135, (1 << 32) | 0x0040000), call(135, 0xffffffff))
            # modify_ldt (154): read the table.
            buffer = ctypes.create_string_buffer(16)
            print(call(154, 0, ctypes.addressof(buffer), 16))
            """)
        #expect(run.report.verdict == .exited(code: 0))
        #expect(run.stdout == "0 0 -1 -1 -1 -1 0\n-1\n")
    }

    @Test func noCapabilitySetHoldsAnythingEvenWhenTheCallerInheritsSome() async throws {
        // The supervisor itself runs with an inheritable capability.
        let binary = URL(fileURLWithPath: Sandbox.Configuration.defaultHelperPath()).deletingLastPathComponent().path + "/proctor"
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/setpriv")
        process.arguments = ["--inh-caps=+net_raw,+sys_admin", binary, "run", "--slot", String(Harness.slot()), "--",
                             "/bin/grep", "^Cap", "/proc/self/status"]
        let out = Foundation.Pipe()
        process.standardOutput = out
        try process.run()
        let data = out.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        let lines = String(decoding: data, as: UTF8.self).split(separator: "\n").filter { $0.hasPrefix("Cap") }
        #expect(lines.count == 5)
        for line in lines { #expect(line.hasSuffix("0000000000000000"), "\(line)") }
    }

    @Test func initAndItsMountTableAreHidden() async throws {
        let run = try await Harness.run("""
            ls /proc | grep -E '^[0-9]+$' | sort -n | head -1
            cat /proc/1/cmdline /proc/1/mountinfo /proc/1/environ 2>&1 | grep -c 'No such file'
            """)
        let lines = run.stdout.split(separator: "\n")
        #expect(lines.first != "1")
        #expect(lines.last == "3")
    }

    @Test func everyRunStartsWithItsOwnEmptyAccounting() async throws {
        // Page cache the first run leaves charged (a file written to a host
        // directory) must not count against the next run in the same slot.
        let slot = Harness.slot()
        let directory = try Harness.temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        chmod(directory, 0o777)
        let first = try await Harness.run("dd if=/dev/zero of=/out/fill bs=1M count=150 2>/dev/null; echo done") {
            $0.memory = 512 << 20
            $0.fileSize = 1 << 30
        } configure: {
            $0.slot = slot
            $0.binds = [BindMount(source: directory, destination: "/out", writable: true)]
        }
        #expect(first.stdout == "done\n", "\(first.report) \(first.stderr)")
        #expect(first.report.metrics.memory >= 100 << 20)
        let second = try await Harness.run("true") { $0.memory = 512 << 20 } configure: { $0.slot = slot }
        #expect(second.report.verdict == .exited(code: 0))
        #expect(second.report.metrics.memory < 32 << 20)
    }
}
