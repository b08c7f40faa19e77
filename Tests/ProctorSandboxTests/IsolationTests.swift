import Foundation
import Testing

@testable import ProctorSandbox

/// What a program can see and do: an allow-list filesystem, no network, no
/// dangerous system calls, nothing of the caller's environment or descriptors.
@Suite struct IsolationTests {
    @Test func hostDirectoriesOutsideTheAllowListAreAbsent() async throws {
        let run = try await Harness.run("for d in /home /root /var /srv /mnt /run /boot /sys /etc/shadow /etc/ssh; do [ -e $d ] && echo present $d; done; ls /")
        #expect(run.report.verdict == .exited(code: 0))
        #expect(!run.stdout.contains("present"))
        let top = Set(run.stdout.split(separator: "\n").map(String.init))
        #expect(top.isSubset(of: ["bin", "dev", "etc", "lib", "lib32", "lib64", "libx32", "opt", "proc", "sbin", "tmp", "usr", "workspace"]))
    }

    @Test func hostTmpIsNotVisible() async throws {
        let secret = NSTemporaryDirectory() + "proctor-secret-" + UUID().uuidString
        try "secret".write(toFile: secret, atomically: true, encoding: .utf8)
        defer { try? FileManager.default.removeItem(atPath: secret) }
        let run = try await Harness.run("cat \(secret) /tmp/\((secret as NSString).lastPathComponent)")
        #expect(run.report.verdict == .exited(code: 1))
        #expect(!run.stdout.contains("secret"))
    }

    @Test func systemDirectoriesAndReadOnlyBindsCannotBeWritten() async throws {
        let directory = try Harness.temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let run = try await Harness.run("touch /usr/x /etc/x /x /data/x /proc/sys/kernel/hostname 2>/dev/null; echo $?; ls /data") {
            _ in
        } configure: { $0.binds = [BindMount(source: directory, destination: "/data")] }
        #expect(run.stdout == "1\n")
        #expect(try FileManager.default.contentsOfDirectory(atPath: directory).isEmpty)
    }

    @Test func writableBindAcceptsWrites() async throws {
        let directory = try Harness.temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        try FileManager.default.setAttributes([.posixPermissions: 0o777], ofItemAtPath: directory)
        let run = try await Harness.run("echo out > /data/result") { _ in } configure: {
            $0.binds = [BindMount(source: directory, destination: "/data", writable: true)]
        }
        #expect(run.report.verdict == .exited(code: 0))
        #expect(try String(contentsOfFile: directory + "/result", encoding: .utf8) == "out\n")
    }

    @Test func programRunsAsThePoolUidWithoutCapabilities() async throws {
        let slot = Harness.slot()
        let run = try await Harness.run("id -u; id -g; grep -E '^(CapEff|CapBnd|NoNewPrivs)' /proc/self/status") { _ in } configure: {
            $0.slot = slot
        }
        let uid = Harness.sandbox.uid(forSlot: slot)
        #expect(run.stdout.hasPrefix("\(uid)\n\(uid)\n"))
        #expect(run.stdout.contains("CapEff:\t0000000000000000"))
        #expect(run.stdout.contains("CapBnd:\t0000000000000000"))
        #expect(run.stdout.contains("NoNewPrivs:\t1"))
    }

    @Test func onlyItsOwnProcessesAreVisible() async throws {
        // The run's own pid namespace, and in it only the program's processes
        // (init, root's, is hidden: see HardeningTests).
        let run = try await Harness.run("ls /proc | grep -E '^[0-9]+$' | wc -l; echo $$")
        let lines = run.stdout.split(separator: "\n")
        #expect(Int(lines.first?.trimmingCharacters(in: .whitespaces) ?? "") ?? 99 <= 5)
        #expect(Int(lines.last ?? "") ?? 99 < 10)
    }

    @Test func networkIsUnreachable() async throws {
        // A listener on the host's loopback: a sandboxed program must not reach it.
        let server = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        defer { close(server) }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        _ = withUnsafePointer(to: &address) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(server, $0, length) } }
        listen(server, 1)
        _ = withUnsafeMutablePointer(to: &address) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(server, $0, &length) } }
        let port = UInt16(bigEndian: address.sin_port)
        let probe = """
            import socket
            for host in ['127.0.0.1', '1.1.1.1', '10.0.0.1']:
                try:
                    socket.create_connection((host, \(port)), timeout=1)
                    print('reached', host)
                except OSError as e:
                    print('blocked', host)
            print(open('/proc/net/dev').read().count(':'))
            """
        for mode in NetworkMode.allCases {
            let run = try await Harness.python(probe) { _ in } configure: { $0.network = mode }
            #expect(run.report.verdict == .exited(code: 0))
            #expect(!run.stdout.contains("reached"), "network \(mode.rawValue): \(run.stdout)")
            #expect(run.stdout.hasSuffix("1\n"))  // lo is the only interface
        }
    }

    /// Runs without network share their slot's kept network namespace (it costs
    /// more than half a millisecond to make one); nothing of one run is there
    /// for the next: a listening abstract socket left by a process of the first
    /// is gone with it. A loopback run gets a namespace of its own.
    @Test func aSlotsKeptNetworkNamespaceCarriesNothingToTheNextRun() async throws {
        let slot = Harness.slot()
        let first = try await Harness.python(Harness.socketLeftBehind) { _ in } configure: { $0.slot = slot }
        #expect(first.report.verdict == .exited(code: 0), "\(first.stderr)")
        let probe = Harness.socketLeftBehindProbe
        let second = try await Harness.python(probe) { _ in } configure: { $0.slot = slot }
        let lines = second.stdout.split(separator: "\n").map(String.init)
        #expect(lines.count == 3, "\(second.stdout)\(second.stderr)")
        #expect(lines.first == first.stdout.split(separator: "\n").first.map(String.init), "the slot's namespace was kept")
        #expect(lines.dropFirst().first == "nothing")
        #expect(lines.last == "1")  // lo, and nothing added
        let loopback = try await Harness.python(probe) { _ in } configure: { $0.slot = slot; $0.network = .loopback }
        #expect(loopback.stdout.split(separator: "\n").first.map(String.init) != lines.first, "a loopback run's namespace is its own")
    }

    @Test func loopbackModeAllowsTalkingToItself() async throws {
        let run = try await Harness.python("""
            import socket
            s = socket.socket(); s.bind(('127.0.0.1', 0)); s.listen()
            c = socket.create_connection(s.getsockname()); c.send(b'ping')
            print(s.accept()[0].recv(4).decode())
            """) { _ in } configure: { $0.network = .loopback }
        #expect(run.stdout == "ping\n")
    }

    @Test func dangerousSystemCallsAreRefused() async throws {
        let run = try await Harness.python("""
            import ctypes, os
            libc = ctypes.CDLL(None, use_errno=True)
            checks = {
                'ptrace': lambda: libc.ptrace(0, 0, 0, 0),
                'mount': lambda: libc.mount(b'none', b'/tmp', b'tmpfs', 0, None),
                'unshare': lambda: libc.unshare(0x10000000),
                'unshare-net': lambda: libc.unshare(0x40000000),
                'setns': lambda: libc.setns(0, 0),
                'bpf': lambda: libc.syscall(321, 0, 0, 0),
                'perf_event_open': lambda: libc.syscall(298, 0, 0, -1, -1, 0),
                'keyctl': lambda: libc.syscall(250, 0, 0, 0),
                'chroot': lambda: libc.chroot(b'/tmp'),
            }
            for name, call in checks.items():
                r = call()
                print(name, r, ctypes.get_errno())
            """)
        #expect(run.report.verdict == .exited(code: 0))
        let lines = run.stdout.split(separator: "\n")
        #expect(lines.count == 9)
        for line in lines {
            let fields = line.split(separator: " ")
            #expect(fields.count == 3 && fields[1] == "-1" && fields[2] == "1", "\(line) should fail with EPERM")
        }
    }

    @Test func crashesAreReportedAsSignals() async throws {
        let segfault = try await Harness.python("import ctypes; ctypes.string_at(0)")
        #expect(segfault.report.verdict == .signaled(signal: 11))
        let abort = try await Harness.python("import os; os.abort()")
        #expect(abort.report.verdict == .signaled(signal: 6))
    }

    @Test func environmentIsCleanAndExplicit() async throws {
        setenv("PROCTOR_TEST_SECRET", "hunter2", 1)
        let run = try await Harness.run("env | sort") { _ in } configure: { $0.environment = ["GREETING=hi", "LANG=C"] }
        #expect(!run.stdout.contains("hunter2"))
        let names = run.stdout.split(separator: "\n").map { $0.prefix { $0 != "=" } }
        #expect(Set(names) == ["GREETING", "HOME", "LANG", "PATH", "PWD", "TMPDIR"])
        #expect(run.stdout.contains("LANG=C\n"))
    }

    @Test func noDescriptorLeaksIn() async throws {
        let leaked = open("/etc/hostname", O_RDONLY)  // deliberately not close-on-exec
        defer { close(leaked) }
        let run = try await Harness.run("ls /proc/$$/fd")
        #expect(run.stdout.split(separator: "\n").map(String.init) == ["0", "1", "2"])
    }

    @Test func twoRunsAtOnceDoNotSeeEachOther() async throws {
        async let first = Harness.run("echo one > /tmp/mine; echo one > /workspace/mine; sleep 0.5; cat /tmp/mine /workspace/mine; ls /tmp /workspace")
        async let second = Harness.run("echo two > /tmp/mine; echo two > /workspace/mine; sleep 0.5; cat /tmp/mine /workspace/mine; ls /tmp /workspace")
        let (a, b) = try await (first, second)
        #expect(a.stdout.hasPrefix("one\none\n"))
        #expect(b.stdout.hasPrefix("two\ntwo\n"))
        #expect(a.report.verdict == .exited(code: 0) && b.report.verdict == .exited(code: 0))
    }

    @Test func aBusySlotIsRefused() async throws {
        let slot = Harness.slot()
        let long = Task { try await Harness.run("sleep 2") { _ in } configure: { $0.slot = slot } }
        // Once the first run's program is running, the slot is taken.
        let group = try CgroupHierarchy.detect().group(slot: slot)
        for _ in 0..<300 where group.processes().isEmpty { try await Task.sleep(for: .milliseconds(10)) }
        await #expect(throws: SandboxError.self) { try await Harness.run("true") { _ in } configure: { $0.slot = slot } }
        _ = try await long.value
    }
}

/// Programs that reopen their streams by name still work as the sandbox user.
@Suite struct StandardStreamTests {
    @Test func devStdoutAndStderrCanBeReopened() async throws {
        let run = try await Harness.run("echo out > /dev/stdout; echo err > /dev/stderr")
        #expect(run.report.verdict == .exited(code: 0))
        #expect(run.stdout == "out\n")
        #expect(run.stderr == "err\n")
    }
}
