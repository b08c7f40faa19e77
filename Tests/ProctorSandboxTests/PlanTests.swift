import Testing

@testable import ProctorSandbox

/// The pure parts of the supervisor: the root filesystem plan, the limit
/// clock, and the verdict rules.
@Suite struct PlanTests {
    let plan = MountPlan(uid: 7, gid: 8) { path in
        switch path {
        case "/usr", "/etc/ssl": (true, nil)
        case "/bin": (true, "usr/bin")
        default: (false, nil)
        }
    }

    @Test func rootIsAnAllowList() {
        let steps = plan.steps(for: SandboxSpec(command: ["/bin/true"]))
        #expect(steps.contains(.bind(source: "/usr", destination: "/usr", writable: false)))
        #expect(steps.contains(.symlink(target: "usr/bin", path: "/bin")))
        #expect(steps.contains(.bind(source: "/etc/ssl", destination: "/etc/ssl", writable: false)))
        #expect(steps.contains(.proc("/proc")))
        let binds = steps.compactMap { step -> String? in
            if case .bind(let source, _, _, _) = step { return source }
            return nil
        }
        #expect(binds.allSatisfy { $0 == "/usr" || $0 == "/etc/ssl" || $0.hasPrefix("/dev/") })
        #expect(!binds.contains("/etc/shadow") && !binds.contains("/home"))
    }

    @Test func writableMountsAreSizeLimitedTmpfs() {
        var spec = SandboxSpec(command: ["/bin/true"])
        spec.limits.disk = 1 << 20
        let steps = plan.steps(for: spec)
        #expect(steps.contains(.tmpfs("/tmp", options: "size=1048576,nr_inodes=1024,mode=1777")))
        #expect(steps.contains(.tmpfs("/workspace", options: "size=1048576,nr_inodes=1024,mode=0755,uid=7,gid=8")))
    }

    @Test func aRootfsReplacesTheHostsSystemDirectoriesAndScratchDirectoriesAreSizeLimited() {
        let plan = MountPlan(uid: 7, gid: 8) { path in
            switch path {
            case "/srv/tree/usr", "/srv/tree/etc/os-release", "/usr", "/etc/ssl": (true, nil)
            case "/srv/tree/bin": (true, "usr/bin")
            default: (false, nil)
            }
        }
        var spec = SandboxSpec(command: ["/bin/true"], rootfs: "/srv/tree", scratch: ["/env"])
        spec.limits.disk = 1 << 20
        let steps = plan.steps(for: spec)
        #expect(steps.contains(.bind(source: "/srv/tree/usr", destination: "/usr", writable: false)))
        #expect(steps.contains(.symlink(target: "usr/bin", path: "/bin")))
        #expect(steps.contains(.bind(source: "/srv/tree/etc/os-release", destination: "/etc/os-release", writable: false)))
        #expect(!steps.contains(.bind(source: "/usr", destination: "/usr", writable: false)), "nothing of the host's system")
        #expect(!steps.contains(.bind(source: "/etc/ssl", destination: "/etc/ssl", writable: false)))
        #expect(steps.contains(.tmpfs("/env", options: "size=1048576,nr_inodes=1024,mode=0755,uid=7,gid=8")))
    }

    @Test func userBindsAndDevicesComeLast() {
        var spec = SandboxSpec(command: ["/bin/true"])
        spec.binds = [BindMount(source: "/srv/data", destination: "/data", writable: true)]
        spec.devices = ["/dev/nvidia0"]
        let steps = plan.steps(for: spec)
        #expect(steps.last == .bind(source: "/srv/data", destination: "/data", writable: true))
        #expect(steps.contains(.bind(source: "/dev/nvidia0", destination: "/dev/nvidia0", writable: true, devices: true)))
    }

    @Test func configurationIsNulSeparatedTokens() throws {
        let configuration = try InitConfiguration(
            spec: SandboxSpec(command: ["echo", "a b"], environment: ["X=1"]), uid: 5, gid: 5, rootDirectory: "/r",
            networkNamespace: "/n/slot-5", cgroupProcs: ["/cg/cgroup.procs"])
        let text = String(decoding: configuration.bytes, as: UTF8.self)
        #expect(text.contains("argv\0echo\0argv\0a b\0"))
        #expect(text.contains("env\0X=1\0"))
        #expect(text.contains("cgroup\0/cg/cgroup.procs\0"))
        // No network: the slot's kept namespace; loopback: a fresh one (no netns token).
        #expect(text.contains("netns\0/n/slot-5\0"))
        var loopback = SandboxSpec(command: ["true"])
        loopback.network = .loopback
        let fresh = try InitConfiguration(spec: loopback, uid: 5, gid: 5, rootDirectory: "/r", networkNamespace: "/n/slot-5", cgroupProcs: [])
        #expect(!String(decoding: fresh.bytes, as: UTF8.self).contains("netns\0"))
        // The compiled seccomp program travels as whole 8-byte instructions in hex.
        let seccomp = text.components(separatedBy: "seccomp\0").last?.prefix { $0 != "\0" } ?? ""
        #expect(seccomp.count > 16 && seccomp.count % 16 == 0)
        #expect(seccomp.allSatisfy { $0.isHexDigit && !$0.isUppercase })
        #expect(configuration.bytes.last == 0)
    }

    @Test func environmentOverridesReplaceDefaults() {
        let entries = InitConfiguration.environment(for: SandboxSpec(command: ["x"], environment: ["PATH=/opt", "A=b"]))
        #expect(entries.filter { $0.hasPrefix("PATH=") } == ["PATH=/opt"])
        #expect(entries.contains("A=b"))
    }

    @Test func limitWatchSleepsUntilTheEarliestPossibleLimit() {
        var limits = Limits()
        limits.cpuTime = 2
        limits.wallTime = 10
        limits.idleTime = 3
        let watch = LimitWatch(limits: limits, cpuCount: 2)
        // CPU could be used up in (2 - 1) / 2 cores = 0.5 s.
        #expect(watch.secondsUntilNextCheck(real: 1, cpu: 1, stall: 0) == 0.5)
        // Idle for 2.5 s: the idle limit could come in 0.5 s.
        #expect(watch.secondsUntilNextCheck(real: 2.5, cpu: 0, stall: 0) == 0.5)
        #expect(watch.exceeded(real: 1, cpu: 2, stall: 0) == .cpuTime)
        #expect(watch.exceeded(real: 10, cpu: 0, stall: 9) == .realTime)
        #expect(watch.exceeded(real: 3.5, cpu: 0.2, stall: 0) == .idlenessTime)
        // Waiting for a CPU is not idleness.
        #expect(watch.exceeded(real: 3.5, cpu: 0.2, stall: 1) == nil)
    }

    @Test func verdictsTellTheTruth() {
        let limits = Limits()
        func verdict(_ lines: [String], _ usage: CgroupUsage = CgroupUsage(), stopped: LimitKind? = nil) -> Verdict {
            var outcome = RunOutcome()
            for line in lines { _ = outcome.apply(line: Substring(line)) }
            if let stopped { outcome.stoppedFor = stopped }
            return outcome.verdict(usage: usage, limits: limits)
        }
        #expect(verdict(["started", "exited 0"]) == .exited(code: 0))
        #expect(verdict(["started", "signaled 9"], CgroupUsage(oomKills: 1)) == .limitExceeded(.memory))
        #expect(verdict(["started", "exited 0"], CgroupUsage(oomKills: 1)) == .exited(code: 0))
        #expect(verdict(["started", "exited 1"], CgroupUsage(processLimitHits: 3)) == .limitExceeded(.processes))
        #expect(verdict(["started", "killed"], CgroupUsage(processLimitHits: 3), stopped: .realTime) == .limitExceeded(.processes))
        #expect(verdict(["started", "killed"], stopped: .idlenessTime) == .limitExceeded(.idlenessTime))
        #expect(verdict(["started", "disk tmp", "exited 1"]) == .limitExceeded(.disk))
        #expect(verdict(["started", "signaled 11"]) == .signaled(signal: 11))
        #expect(verdict(["execfail x: No such file"]) == .internalError("cannot execute x: No such file"))
        #expect(verdict(["started"]) == .internalError("the sandbox ended without reporting how the program ended"))
        #expect(verdict(["started", "killed"], CgroupUsage(oomKills: 1), stopped: .output) == .limitExceeded(.output))
    }
}
