import ArgumentParser
import ProctorSandbox

/// `proctor run`: one command in the sandbox, then its report as JSON. It lives
/// apart from the service's commands so that the small `proctor` binary runs
/// it without starting the service's libraries. This is ArgumentParser's
/// reading of it, for help and for command lines ``RunArguments/plain(_:)``
/// leaves to it (see there).
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
        let status = arguments.execute()
        if status != 0 { throw ExitCode(status) }
    }

    /// The options as ``RunArguments`` names them, for the one execution path both readings share.
    var arguments: RunArguments {
        var result = RunArguments()
        let given: [(String, String?)] = [
            ("cpu-time", cpuTime), ("idle-time", idleTime), ("wall-time", wallTime), ("memory", memory), ("processes", processes),
            ("open-files", openFiles), ("file-size", fileSize), ("disk", disk), ("output", output), ("workspace", workspace),
            ("network", network), ("stdin", stdin), ("stdout", stdout), ("stderr", stderr), ("report", report),
            ("slot", slot.map(String.init)), ("spec", spec),
        ]
        for case let (name, value?) in given { result.values[name] = value }
        result.binds = binds
        result.environment = environment
        result.rootless = rootless
        result.command = command
        return result
    }
}
