import ProctorCommandLine
import ProctorSandbox

#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif

/// What `proctor run` was told, by option name, before it becomes a ``SandboxSpec``.
///
/// `proctor run` is the hot path of contest-style grading (hundreds of short
/// runs per submission), and ArgumentParser's reflection cost each start about
/// 1.5 ms, a third of bubblewrap's whole run (start and parse: 3.5 ms through
/// ArgumentParser, 1.8 ms without; `bash bench/sandbox.sh`). So a plain command line — known options, each
/// given once with its value, the program after `--` — is read by
/// ``plain(_:)`` directly, and anything else (`--help`, a typo, a missing value)
/// goes to ``RunCommand`` through ArgumentParser, which says what is wrong.
/// Both end here, in ``execute()``; a test keeps the two readings agreeing on
/// every option.
public struct RunArguments: Equatable, Sendable {
    /// The options that take one value, by long name (`"cpu-time": "0.5"`).
    public var values: [String: String] = [:]
    /// `--bind SRC:DST[:rw]`, in order.
    public var binds: [String] = []
    /// `--env NAME=VALUE`, in order.
    public var environment: [String] = []
    /// `--rootless`.
    public var rootless = false
    /// The program and its arguments.
    public var command: [String] = []

    /// The long names of the options that take one value.
    public static let valueOptions: Set<String> = [
        "cpu-time", "idle-time", "wall-time", "memory", "processes", "open-files", "file-size", "disk", "output",
        "workspace", "network", "stdin", "stdout", "stderr", "report", "slot", "spec",
    ]
    /// The long names of the options that may be given many times.
    public static let repeatedOptions: Set<String> = ["bind", "env"]

    /// An empty set of arguments (every limit at its default).
    public init() {}

    /// The arguments after `run`, when they are a plain run: nil for anything
    /// ArgumentParser must answer (help, an unknown or repeated option, a value
    /// missing or looking like an option, a slot that is not a number, neither
    /// a program after `--` nor a spec file).
    public static func plain(_ arguments: some Collection<String>) -> RunArguments? {
        var result = RunArguments()
        let arguments = Array(arguments)
        var index = 0
        while index < arguments.count {
            let argument = arguments[index]
            index += 1
            if argument == "--" {
                result.command = Array(arguments[index...])
                break
            }
            guard argument.hasPrefix("--") else { return nil }
            let option = argument.dropFirst(2)
            let name: String, inline: String?
            if let equals = option.firstIndex(of: "=") {
                name = String(option[..<equals])
                inline = String(option[option.index(after: equals)...])
            } else {
                name = String(option)
                inline = nil
            }
            if name == "rootless" {
                guard inline == nil, !result.rootless else { return nil }
                result.rootless = true
                continue
            }
            let value: String
            if let inline {
                value = inline
            } else {
                guard index < arguments.count, !arguments[index].hasPrefix("-") else { return nil }
                value = arguments[index]
                index += 1
            }
            switch name {
            case "bind": result.binds.append(value)
            case "env": result.environment.append(value)
            case "slot" where Int(value) == nil: return nil
            case _ where valueOptions.contains(name) && result.values[name] == nil: result.values[name] = value
            default: return nil
            }
        }
        // The program comes after `--` or from the spec file.
        return result.command.isEmpty && result.values["spec"] == nil ? nil : result
    }
}

extension RunArguments {
    /// The spec file (if any) with every given option applied on top.
    /// - Throws: ``SandboxError/invalidSpec(_:)`` saying which option is wrong.
    public func spec() throws -> SandboxSpec {
        var result = SandboxSpec(command: [])
        if let path = values["spec"] {
            guard let data = FileManager.default.contents(atPath: path) else {
                throw SandboxError.invalidSpec("--spec '\(path)' cannot be read")
            }
            do {
                result = try JSONDecoder().decode(SandboxSpec.self, from: data)
            } catch {
                throw SandboxError.invalidSpec("--spec '\(path)' is not a valid spec: \(error)")
            }
        }
        func seconds(_ name: String) throws -> Double? { try values[name].map { try Quantity.seconds($0, option: "--" + name) } }
        func amount(_ name: String) throws -> UInt64? { try values[name].map { try Quantity.bytes($0, option: "--" + name) } }
        if !command.isEmpty { result.command = command }
        if let value = try seconds("cpu-time") { result.limits.cpuTime = value }
        if let value = try seconds("idle-time") { result.limits.idleTime = value }
        if let value = try seconds("wall-time") { result.limits.wallTime = value }
        if let value = try amount("memory") { result.limits.memory = value }
        if let value = try amount("processes") { result.limits.processes = value }
        if let value = try amount("open-files") { result.limits.openFiles = value }
        if let value = try amount("file-size") { result.limits.fileSize = value }
        if let value = try amount("disk") { result.limits.disk = value }
        if let value = try amount("output") { result.limits.output = value }
        if let value = values["workspace"] { result.workspace = value }
        if !binds.isEmpty { result.binds = try binds.map(BindMount.init(parsing:)) }
        if let network = values["network"] {
            guard let mode = NetworkMode(rawValue: network) else {
                throw SandboxError.invalidSpec("--network takes none or loopback, not '\(network)'")
            }
            result.network = mode
        }
        if !environment.isEmpty { result.environment = environment }
        if let value = values["stdin"] { result.stdin = value }
        if let value = values["stdout"] { result.stdout = value }
        if let value = values["stderr"] { result.stderr = value }
        if let value = values["slot"] {
            guard let slot = Int(value) else { throw SandboxError.invalidSpec("--slot takes a number, not '\(value)'") }
            result.slot = slot
        }
        return result
    }

    /// Runs the command in the sandbox and writes its report as JSON (to
    /// `--report` or standard output); returns the exit status: 0 when a
    /// report was produced, whatever the program did; 2 for bad usage; 1 otherwise.
    public func execute() -> Int32 {
        let sandboxSpec: SandboxSpec
        do {
            sandboxSpec = try spec()
            try sandboxSpec.validate()
        } catch {
            writeError("proctor run: \(error)")
            return 2
        }
        let outcome: RunReport
        do {
            // What later runs reuse stays in the state directory for the next `proctor run`.
            outcome = try Sandbox(configuration: .init(rootless: rootless, oneRunPerProcess: true)).run(sandboxSpec)
        } catch SandboxError.invalidSpec(let message) {
            writeError("proctor run: \(message)")
            return 2
        } catch {
            writeError("proctor run: \(error)")
            return 1
        }
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        guard let json = try? encoder.encode(outcome) + Data("\n".utf8) else {
            writeError("proctor run: the report could not be encoded")
            return 1
        }
        if let report = values["report"] {
            do {
                try json.write(to: URL(fileURLWithPath: report))
            } catch {
                writeError("proctor run: cannot write the report to \(report): \(error)")
                return 1
            }
        } else {
            print(String(decoding: json, as: UTF8.self), terminator: "")
        }
        if case .internalError(let message) = outcome.verdict {
            writeError("proctor run: \(message)")
            return 1
        }
        return 0
    }
}
