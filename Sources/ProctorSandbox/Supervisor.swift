#if canImport(Glibc)
import Glibc
#endif

/// Watches one run from its helper's start to the last process's end: reads
/// the helper's status lines, samples the cgroup exactly when a time limit
/// could first be reached, stops the run for a limit or a cancel, and cleans
/// up whatever happened.
struct Supervisor: ~Copyable {
    let sandbox: Sandbox
    let spec: SandboxSpec
    let cancel: CancelSignal?
    let monitor: (any ResourceMonitor)?
    var group: any ControlGroup
    /// How long the helper may take to build the sandbox and seed the workspace.
    static let setupTimeout = 120.0
    /// How long init gets to end a run it was told to end, before it is killed too.
    static let stopGrace = 2.0

    init(sandbox: Sandbox, spec: SandboxSpec, cancel: CancelSignal?, monitor: (any ResourceMonitor)?) throws {
        self.sandbox = sandbox
        self.spec = spec
        self.cancel = cancel
        self.monitor = monitor
        self.group = sandbox.hierarchy.group(slot: spec.slot)
    }

    mutating func run() throws -> RunReport {
        let uid = sandbox.uid(forSlot: spec.slot)
        // Rootless, the uid is the caller's own: never swept, only the run's namespace is.
        let slotUID = sandbox.isRootless ? nil : uid
        // A supervisor of this slot that crashed may have left something behind;
        // a normal run leaves nothing (see the sweep after it).
        if !group.processes().isEmpty {
            _ = group.killAll(timeout: 2)
            StraySweeper.sweep(uid: slotUID)
        }
        try group.prepare(limits: spec.limits, devices: spec.devices.compactMap(DeviceNumber.init(path:)))

        // Everything init is told is known before it starts, so no error leaves it waiting.
        let initConfiguration = try InitConfiguration(
            spec: spec, uid: uid, gid: sandbox.gid(forSlot: spec.slot), rootDirectory: sandbox.configuration.stateDirectory + "/root",
            // A kept namespace belongs to the host's user namespace, which a rootless init cannot join.
            networkNamespace: spec.network == .none && !sandbox.isRootless ? try sandbox.networks.path(forSlot: spec.slot) : nil,
            cgroupProcs: group.procsFiles, rootless: sandbox.isRootless,
            filterCache: sandbox.configuration.oneRunPerProcess ? sandbox.configuration.stateDirectory : nil)
        let streams = try StandardStreams(spec: spec)
        var config = try Pipe(), status = try Pipe(), control = try Pipe()
        let helper = try HelperProcess.spawn(
            path: sandbox.configuration.helperPath, stdio: (streams.input, streams.output, streams.error),
            config: config.readEnd, status: status.writeEnd, control: control.readEnd)
        _ = consume streams
        config.closeRead()
        status.closeWrite()
        control.closeRead()
        _ = writeAll(config.writeEnd, initConfiguration.bytes)
        config.closeWrite()

        var watch = Watch(spec: spec, group: group, control: control.writeEnd, helper: helper, monitor: monitor)
        watch.loop(status: status.readEnd, cancel: cancel)
        helper.wait()
        control.closeWrite()
        _ = group.killAll(timeout: 2)
        // Once init has exited the kernel has killed and reaped every process
        // of its pid namespace, so the namespace only needs a scan when init
        // had to be killed from outside; the slot's uid is checked always.
        StraySweeper.sweep(uid: slotUID, pidNamespace: watch.forced ? watch.pidNamespace : nil)
        if let childUsage = watch.outcome.childUsage { group.settle(childUsage: childUsage) }
        var report = watch.report(usage: group.usage())
        if sandbox.isRootless { report.notes = (report.notes ?? []) + [Self.rootlessNote] }
        return report
    }

    /// What a rootless run's report says of itself, so no one reads more into it.
    static let rootlessNote = "rootless sandbox: memory was sampled every 100 ms (the processes' anonymous memory, summed), not held by a cgroup: the batch system's cgroup is the hard bound; a failed fork is not told apart from other failures"
}

/// The supervisor's state while a run is live.
private struct Watch {
    let spec: SandboxSpec
    let group: any ControlGroup
    let control: Int32
    let helper: HelperProcess
    let monitor: (any ResourceMonitor)?
    let limits: LimitWatch
    /// The highest reading of the monitor (VRAM), if one watches the run.
    var monitoredPeak: UInt64?
    /// The highest memory the supervisor read itself, where the group has no counter (rootless).
    var sampledMemoryPeak: UInt64 = 0
    var outcome = RunOutcome()
    var startedAt: Double?
    var endedAt: Double?
    var stoppedAt: Double?
    var forced = false
    /// The run's pid namespace (`pid:[inode]`), read when init starts: how
    /// the stray sweep recognises the run's processes whatever their owner.
    var pidNamespace: String?
    var baseline: (cpu: UInt64, stall: UInt64) = (0, 0)
    /// The reading at the moment the run was stopped: the metrics report that,
    /// not what init spent ending the run, so they agree with the verdict.
    var atStop: (cpu: UInt64, stall: UInt64)?
    let createdAt = MonotonicClock.now()

    init(spec: SandboxSpec, group: any ControlGroup, control: Int32, helper: HelperProcess, monitor: (any ResourceMonitor)?) {
        self.spec = spec
        self.monitor = monitor
        self.group = group
        self.control = control
        self.helper = helper
        self.limits = LimitWatch(limits: spec.limits, cpuCount: Double(max(1, sysconf(Int32(_SC_NPROCESSORS_ONLN)))))
    }

    mutating func loop(status: Int32, cancel: CancelSignal?) {
        var pending: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 4096)
        var fds = [pollfd(fd: status, events: Int16(POLLIN), revents: 0),
                   pollfd(fd: cancel?.pollDescriptor ?? -1, events: Int16(POLLIN), revents: 0)]
        while true {
            let timeout = nextTimeout()
            fds[0].revents = 0
            fds[1].revents = 0
            let ready = poll(&fds, nfds_t(fds.count), timeout)
            if ready < 0 && errno != EINTR { break }
            if fds[1].revents != 0 {
                fds[1].fd = -1
                outcome.internalError = outcome.internalError ?? "the run was cancelled"
                stop(for: nil)
            }
            if fds[0].revents != 0 {
                let n = chunk.withUnsafeMutableBytes { read(status, $0.baseAddress, $0.count) }
                if n < 0 && errno == EINTR { continue }
                if n <= 0 { break }
                pending += chunk[0..<n]
                while let newline = pending.firstIndex(of: UInt8(ascii: "\n")) {
                    let line = String(decoding: pending[..<newline], as: UTF8.self)
                    pending.removeSubrange(...newline)
                    handle(line: line)
                }
            }
        }
        if endedAt == nil { endedAt = MonotonicClock.now() }
    }

    /// Milliseconds `poll` may sleep; also enforces the limits due now.
    mutating func nextTimeout() -> Int32 {
        let now = MonotonicClock.now()
        if stoppedAt != nil || endedAt != nil {
            if !forced && now > finishDeadline {
                // Init did not end the run in time: end init, and with it the namespace.
                forced = true
                if endedAt != nil && outcome.ending == nil {
                    outcome.internalError = outcome.internalError ?? "the sandbox did not finish copying the workspace back in time"
                }
                kill(helper.pid, SIGKILL)
                _ = group.killAll(timeout: 1)
            }
            return 50
        }
        guard let startedAt, endedAt == nil else {
            if startedAt == nil && now - createdAt > Supervisor.setupTimeout {
                outcome.internalError = "the sandbox took longer than \(Int(Supervisor.setupTimeout)) s to start"
                stop(for: nil)
            }
            return 100
        }
        let sample = group.sampleCPU()
        let real = now - startedAt
        let cpu = Double(sample.cpu &- baseline.cpu) / 1e9
        let stall = Double(sample.stall &- baseline.stall) / 1e9
        if let limit = limits.exceeded(real: real, cpu: cpu, stall: stall) {
            stop(for: limit)
            return 50
        }
        if let monitor, let used = monitor.sample(pids: group.processes()) {
            monitoredPeak = max(monitoredPeak ?? 0, used)
            if let limit = spec.limits.vram, used > limit {
                stop(for: .vram)
                return 50
            }
        }
        if let memory = group.sampleMemory() {
            sampledMemoryPeak = max(sampledMemoryPeak, memory)
            if memory > spec.limits.memory {
                stop(for: .memory)
                return 50
            }
        }
        let seconds = limits.secondsUntilNextCheck(real: real, cpu: cpu, stall: stall)
        // A monitor (VRAM) or a group without a memory counter is sampled every 100 ms: there is no kernel counter to wait on.
        let ceiling: Double = monitor == nil && !group.samplesMemory ? 5000 : 100
        return Int32(min(max((seconds * 1000).rounded(.up), 1), ceiling))
    }

    /// When init must have reported: `stopGrace` after a stop request for it
    /// to end the program; once the program has ended, until the copy-back's
    /// own deadline (the wall limit plus its grace) has passed by `stopGrace`.
    var finishDeadline: Double {
        let stopped = (stoppedAt ?? endedAt ?? createdAt) + Supervisor.stopGrace
        guard endedAt != nil else { return stopped }
        let copyBack = (startedAt ?? createdAt) + spec.limits.wallTime + InitConfiguration.copyBackGrace + Supervisor.stopGrace
        return max(stopped, copyBack)
    }

    mutating func handle(line: String) {
        switch outcome.apply(line: Substring(line)) {
        case .started:
            startedAt = MonotonicClock.now()
            baseline = group.sampleCPU()
        case .outputExceeded:
            stop(for: .output)
        case .ended:
            // The program is over; init now ends the rest and copies the workspace back.
            if endedAt == nil { endedAt = MonotonicClock.now() }
        case .none:
            if pidNamespace == nil, let pid = outcome.initPID {
                pidNamespace = StraySweeper.pidNamespace(of: pid)
                group.follow(initPID: pid, namespace: pidNamespace)
            }
            if outcome.ending != nil && endedAt == nil { endedAt = MonotonicClock.now() }
        }
    }

    /// Tells init to end the run now (it kills every process, then reports).
    mutating func stop(for limit: LimitKind?) {
        guard stoppedAt == nil, endedAt == nil else { return }
        stoppedAt = MonotonicClock.now()
        if startedAt != nil { atStop = group.sampleCPU() }
        if outcome.stoppedFor == nil { outcome.stoppedFor = limit }
        _ = writeAll(control, [UInt8(ascii: "k")])
    }

    func report(usage raw: CgroupUsage) -> RunReport {
        var usage = raw
        usage.cpuNanoseconds = (atStop?.cpu ?? raw.cpuNanoseconds) &- baseline.cpu
        usage.cpuStallNanoseconds = (atStop?.stall ?? raw.cpuStallNanoseconds) &- baseline.stall
        if startedAt == nil { usage.cpuNanoseconds = 0 }
        let real = startedAt.map { max(0, (stoppedAt ?? endedAt ?? $0) - $0) } ?? 0
        let cpu = Double(usage.cpuNanoseconds) / 1e9
        let stall = Double(usage.cpuStallNanoseconds) / 1e9
        let metrics = Metrics(
            cpuTime: cpu, realTime: real, idlenessTime: LimitWatch.idleness(real: real, cpu: cpu, stall: stall),
            memory: max(usage.peakMemory, sampledMemoryPeak), vram: monitoredPeak)
        let notes = outcome.notes(limits: spec.limits) + (monitor?.notes() ?? [])
        return RunReport(
            verdict: outcome.verdict(usage: usage, limits: spec.limits), metrics: metrics,
            skippedEntries: outcome.skippedEntries > 0 ? outcome.skippedEntries : nil, notes: notes.isEmpty ? nil : notes)
    }
}
