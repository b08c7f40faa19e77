import ArgumentParser
import ProctorCommandLine
import ProctorSandbox

#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif

/// `proctor run`: one command in the sandbox, then its report as JSON. It lives
/// apart from the service's commands so that the small `proctor` binary runs
/// it without starting the service's libraries.
public struct RunCommand: ParsableCommand {
    public static let configuration = CommandConfiguration(
        commandName: "run",
        abstract: "Run one command in the sandbox and print its verdict and metrics as JSON.",
        discussion: """
            Every limit has a safe default, so 'proctor run -- python3 x.py' is bounded as typed.
            Sizes take K, M or G suffixes; times are decimal seconds. Exit status: 0 when a
            report was produced (whatever the program did), 2 for bad usage, 1 otherwise.
            """)

    @Option(help: "CPU time of all processes and threads together, in seconds.") var cpuTime: String?
    @Option(help: "Time spent neither running nor waiting for a CPU, in seconds.") var idleTime: String?
    @Option(help: "Wall-clock time, in seconds.") var wallTime: String?
    @Option(help: "Memory of the whole run, swap included (e.g. 512M).") var memory: String?
    @Option(help: "Processes and threads alive at once.") var processes: String?
    @Option(help: "Open files per process.") var openFiles: String?
    @Option(help: "Largest file a process may write (e.g. 64M).") var fileSize: String?
    @Option(help: "Size of the writable /tmp and /workspace (e.g. 256M).") var disk: String?
    @Option(help: "Cap on each of stdout and stderr (e.g. 16M).") var output: String?
    @Option(help: "Host directory seeded into /workspace and receiving what the program left there.") var workspace: String?
    @Option(name: .customLong("bind"), help: "SRC:DST[:rw] — a host path inside the sandbox, read-only unless :rw.") var binds: [String] = []
    @Option(help: "none (default) or loopback.") var network: String?
    @Option(name: .customLong("env"), help: "NAME=VALUE added to the minimal environment.") var environment: [String] = []
    @Option(help: "File for the program's standard input (default /dev/null).") var stdin: String?
    @Option(help: "File for the program's standard output (default: ours).") var stdout: String?
    @Option(help: "File for the program's standard error (default: ours).") var stderr: String?
    @Option(help: "Write the report here instead of to standard output.") var report: String?
    @Option(help: "Slot number: selects the uid, gid and cgroup of the run.") var slot: Int?
    @Option(help: "JSON file with the same settings; flags override it.") var spec: String?
    @Flag(help: "Without root: a user namespace, with weaker guarantees (memory left to an outer cgroup; see README).") var rootless = false
    @Argument(parsing: .postTerminator, help: "The program and its arguments, after '--'.") var command: [String] = []

    public init() {}

    public func run() throws {
        let sandboxSpec: SandboxSpec
        do {
            sandboxSpec = try makeSpec()
            try sandboxSpec.validate()
        } catch let error as SandboxError {
            writeError("proctor run: \(error)")
            throw ExitCode(2)
        }
        let outcome: RunReport
        do {
            outcome = try Sandbox(configuration: .init(rootless: rootless)).run(sandboxSpec)
        } catch SandboxError.invalidSpec(let message) {
            writeError("proctor run: \(message)")
            throw ExitCode(2)
        } catch {
            writeError("proctor run: \(error)")
            throw ExitCode.failure
        }
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        let json = String(decoding: try encoder.encode(outcome), as: UTF8.self) + "\n"
        if let report {
            do {
                try Data(json.utf8).write(to: URL(fileURLWithPath: report))
            } catch {
                writeError("proctor run: cannot write the report to \(report): \(error)")
                throw ExitCode.failure
            }
        } else {
            print(json, terminator: "")
        }
        if case .internalError(let message) = outcome.verdict {
            writeError("proctor run: \(message)")
            throw ExitCode.failure
        }
    }

    /// The spec file (if any) with every given flag applied on top.
    func makeSpec() throws -> SandboxSpec {
        var result = SandboxSpec(command: [])
        if let spec {
            guard let data = FileManager.default.contents(atPath: spec) else {
                throw SandboxError.invalidSpec("--spec '\(spec)' cannot be read")
            }
            do {
                result = try JSONDecoder().decode(SandboxSpec.self, from: data)
            } catch {
                throw SandboxError.invalidSpec("--spec '\(spec)' is not a valid spec: \(error)")
            }
        }
        if !command.isEmpty { result.command = command }
        if let cpuTime { result.limits.cpuTime = try Quantity.seconds(cpuTime, option: "--cpu-time") }
        if let idleTime { result.limits.idleTime = try Quantity.seconds(idleTime, option: "--idle-time") }
        if let wallTime { result.limits.wallTime = try Quantity.seconds(wallTime, option: "--wall-time") }
        if let memory { result.limits.memory = try Quantity.bytes(memory, option: "--memory") }
        if let processes { result.limits.processes = try Quantity.bytes(processes, option: "--processes") }
        if let openFiles { result.limits.openFiles = try Quantity.bytes(openFiles, option: "--open-files") }
        if let fileSize { result.limits.fileSize = try Quantity.bytes(fileSize, option: "--file-size") }
        if let disk { result.limits.disk = try Quantity.bytes(disk, option: "--disk") }
        if let output { result.limits.output = try Quantity.bytes(output, option: "--output") }
        if let workspace { result.workspace = workspace }
        if !binds.isEmpty { result.binds = try binds.map(BindMount.init(parsing:)) }
        if let network {
            guard let mode = NetworkMode(rawValue: network) else {
                throw SandboxError.invalidSpec("--network takes none or loopback, not '\(network)'")
            }
            result.network = mode
        }
        if !environment.isEmpty { result.environment = environment }
        if let stdin { result.stdin = stdin }
        if let stdout { result.stdout = stdout }
        if let stderr { result.stderr = stderr }
        if let slot { result.slot = slot }
        return result
    }
}
