/// What the supervisor learned during a run, from the helper's status
/// messages and its own watch; turned into the one verdict that tells the truth.
struct RunOutcome {
    enum Ending: Equatable {
        case exited(Int32)
        case signaled(Int32)
        /// Init killed everything on request (a limit, a cancel, the supervisor leaving).
        case killed
    }

    var ending: Ending?
    /// The limit the supervisor (or the output cap) stopped the run for.
    var stoppedFor: LimitKind?
    var internalError: String?
    var fullDisks: Set<String> = []
    var skippedEntries = 0
    /// The host pid of the sandbox's init, once the helper has started it.
    var initPID: Int32?
    /// The bound init's copy-back stopped at (the workspace did not come back),
    /// and the bytes copied until then.
    var copyBack: (bound: CopyBackBound, bytes: UInt64)?
    /// What init's reaped children used in all (CPU nanoseconds, the largest
    /// one's peak resident memory in bytes): the measure where no cgroup is ours.
    var childUsage: (cpuNanoseconds: UInt64, peakMemory: UInt64)?

    /// What stopped a copy-back, as init names it.
    enum CopyBackBound: String {
        case bytes, entries, depth, time
        /// The host's disk filled: the node's fault, not the program's.
        case hostDisk = "hostdisk"
    }

    /// What a status line asks of the supervisor.
    enum Event: Equatable { case none, started, outputExceeded, ended }

    /// Reads one status line from the helper into the outcome.
    mutating func apply(line: Substring) -> Event {
        let kind = line.prefix { $0 != " " }
        let detail = line.dropFirst(kind.count).drop { $0 == " " }
        switch kind {
        case "started": return .started
        case "output": return .outputExceeded
        case "ended": return .ended
        case "init": initPID = Int32(detail)
        case "copyback":
            let fields = detail.split(separator: " ")
            let bound = fields.first.flatMap { CopyBackBound(rawValue: String($0)) } ?? .bytes
            copyBack = (bound, fields.count > 1 ? UInt64(fields[1]) ?? 0 : 0)
        case "error": internalError = internalError ?? String(detail)
        case "execfail": internalError = internalError ?? "cannot execute \(detail)"
        case "disk": fullDisks.insert(String(detail))
        case "skipped": skippedEntries = Int(detail) ?? 0
        case "usage":
            let fields = detail.split(separator: " ").compactMap { UInt64($0) }
            if fields.count == 2 { childUsage = (fields[0], fields[1] * 1024) }
        case "exited": ending = .exited(Int32(detail) ?? -1)
        case "signaled": ending = .signaled(Int32(detail) ?? -1)
        case "killed": ending = .killed
        case "initdied":
            if ending == nil { internalError = internalError ?? "the sandbox's init died (\(detail))" }
        default: break
        }
        return .none
    }

    /// The verdict: an internal error first; then the output cap; then a limit
    /// the kernel enforced (memory, processes) if the run did not simply
    /// succeed, since an OOM kill or a failed fork explains what followed; then
    /// the time limit the run was stopped for; then a workspace too large to
    /// come back; then a full disk for a program that failed; else how the
    /// program ended.
    func verdict(usage: CgroupUsage, limits: Limits) -> Verdict {
        if let internalError { return .internalError(internalError) }
        if let copyBack, copyBack.bound == .hostDisk {
            return .internalError("the node's disk has no room for the workspace the program left (\(copyBack.bytes) bytes copied before it filled)")
        }
        if stoppedFor == .output { return .limitExceeded(.output) }
        if stoppedFor != nil || ending != .exited(0) {
            if usage.oomKills > 0 { return .limitExceeded(.memory) }
            if usage.processLimitHits > 0 { return .limitExceeded(.processes) }
        }
        if let stoppedFor { return .limitExceeded(stoppedFor) }
        guard let ending else { return .internalError("the sandbox ended without reporting how the program ended") }
        if Double(usage.cpuNanoseconds) / 1e9 >= limits.cpuTime { return .limitExceeded(.cpuTime) }
        if copyBack != nil { return .limitExceeded(.workspace) }
        if ending == .exited(0) { return .exited(code: 0) }
        if !fullDisks.isEmpty { return .limitExceeded(.disk) }
        switch ending {
        case .exited(let code): return .exited(code: code)
        case .signaled(let signal): return .signaled(signal: signal)
        case .killed: return .internalError("the run was stopped before the program ended")
        }
    }

    /// What a person should know beyond the verdict: why the workspace did not come back.
    func notes(limits: Limits) -> [String] {
        guard let copyBack, copyBack.bound != .hostDisk else { return [] }
        let why = switch copyBack.bound {
        case .hostDisk, .bytes: "it holds more than \(limits.disk) bytes of data (the disk limit)"
        case .entries: "it holds more than \(InitConfiguration.copyBackEntries) files and directories"
        case .depth: "its directories nest deeper than \(InitConfiguration.copyBackDepth) levels"
        case .time: "copying it took past the wall-time limit"
        }
        return ["the workspace was not copied back: \(why); nothing of it was kept"]
    }
}
