/// Which limit a run went past.
public enum LimitKind: String, Codable, Sendable, CaseIterable {
    case cpuTime = "cpu_time"
    case realTime = "real_time"
    case idlenessTime = "idleness_time"
    case memory, processes, output, disk, vram
    /// What the program left in its workspace was more than can come back
    /// (bytes, entries, depth, or the time to copy it).
    case workspace
}

/// How a run ended, told truthfully: a program killed for a limit is
/// `limitExceeded`, never "killed by signal 9".
public enum Verdict: Sendable, Equatable {
    case exited(code: Int32)
    case signaled(signal: Int32)
    case limitExceeded(LimitKind)
    case internalError(String)
}

extension Verdict: Codable {
    enum CodingKeys: String, CodingKey { case kind, exitCode = "exit_code", signal, signalName = "signal_name", limit, message }

    public func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        switch self {
        case .exited(let code):
            try c.encode("exited", forKey: .kind)
            try c.encode(code, forKey: .exitCode)
        case .signaled(let signal):
            try c.encode("signaled", forKey: .kind)
            try c.encode(signal, forKey: .signal)
            try c.encode(Self.name(ofSignal: signal), forKey: .signalName)
        case .limitExceeded(let limit):
            try c.encode("limit_exceeded", forKey: .kind)
            try c.encode(limit, forKey: .limit)
        case .internalError(let message):
            try c.encode("internal_error", forKey: .kind)
            try c.encode(message, forKey: .message)
        }
    }

    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        switch try c.decode(String.self, forKey: .kind) {
        case "exited": self = .exited(code: try c.decode(Int32.self, forKey: .exitCode))
        case "signaled": self = .signaled(signal: try c.decode(Int32.self, forKey: .signal))
        case "limit_exceeded": self = .limitExceeded(try c.decode(LimitKind.self, forKey: .limit))
        case "internal_error": self = .internalError(try c.decode(String.self, forKey: .message))
        case let other:
            throw DecodingError.dataCorruptedError(forKey: .kind, in: c, debugDescription: "unknown verdict kind '\(other)'")
        }
    }

    /// The conventional name of a Linux signal number, such as `SIGSEGV` for 11.
    public static func name(ofSignal signal: Int32) -> String {
        let names = [
            1: "SIGHUP", 2: "SIGINT", 3: "SIGQUIT", 4: "SIGILL", 5: "SIGTRAP", 6: "SIGABRT", 7: "SIGBUS",
            8: "SIGFPE", 9: "SIGKILL", 10: "SIGUSR1", 11: "SIGSEGV", 12: "SIGUSR2", 13: "SIGPIPE",
            14: "SIGALRM", 15: "SIGTERM", 16: "SIGSTKFLT", 17: "SIGCHLD", 18: "SIGCONT", 19: "SIGSTOP",
            20: "SIGTSTP", 21: "SIGTTIN", 22: "SIGTTOU", 23: "SIGURG", 24: "SIGXCPU", 25: "SIGXFSZ",
            26: "SIGVTALRM", 27: "SIGPROF", 28: "SIGWINCH", 29: "SIGIO", 30: "SIGPWR", 31: "SIGSYS",
        ]
        return names[Int(signal)] ?? "SIG\(signal)"
    }
}
