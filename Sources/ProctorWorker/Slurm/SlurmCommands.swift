import Foundation
import ProctorSandbox

/// Slurm's own commands (`sbatch`, `squeue`, `scancel`, `sinfo`), run as
/// programs with argument lists: nothing passes through a shell. They read
/// the cluster from the worker's environment (`SLURM_CONF`, munge).
struct SlurmCommands: Sendable {
    /// A Slurm command that failed, with what it said.
    struct Failure: Error, CustomStringConvertible {
        var description: String
    }

    /// Seconds a command may take before it is killed (slurmctld may be busy, not hung).
    var timeout: Double = 60

    /// Runs `arguments` and returns its standard output; throws with its
    /// standard error when it exits non-zero or cannot start.
    func run(_ arguments: [String]) async throws -> String {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = arguments
        let output = Foundation.Pipe(), error = Foundation.Pipe()
        process.standardInput = FileHandle.nullDevice
        process.standardOutput = output
        process.standardError = error
        do { try process.run() } catch {
            throw Failure(description: "\(arguments[0]) could not start: \(error); is Slurm installed on this node?")
        }
        // Both pipes are read to their end while it runs, so neither can fill and stall the command.
        async let stdout = BlockingThread.run { output.fileHandleForReading.readDataToEndOfFile() }
        async let stderr = BlockingThread.run { error.fileHandleForReading.readDataToEndOfFile() }
        let status = await ChildProcess.wait(for: process, timeout: timeout)
        let (out, err) = await (stdout, stderr)
        guard status == 0 else {
            let said = String(decoding: err, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
            let how = status.map { $0 < 0 ? "killed by signal \(-$0)" : "exit \($0)" } ?? "killed after \(Int(timeout)) s"
            throw Failure(description: "\(arguments[0]) failed (\(how)): \(said)")
        }
        return String(decoding: out, as: UTF8.self)
    }

    /// Submits a batch job; returns its Slurm job id.
    func submit(_ options: [String], script: String, arguments: [String]) async throws -> Int {
        let answer = try await run(["sbatch", "--parsable"] + options + [script] + arguments)
        // `--parsable` prints "ID" or "ID;CLUSTER".
        guard let id = answer.split(whereSeparator: { $0 == ";" || $0.isNewline }).first.flatMap({ Int($0) }) else {
            throw Failure(description: "sbatch answered '\(answer)' instead of a job id")
        }
        return id
    }

    /// Every job of this user that Slurm still remembers (finished ones for `MinJobAge`), by name.
    func jobs() async throws -> [SlurmJob] {
        let user = String(getuid())
        let text = try await run(["squeue", "--noheader", "--states=all", "--user=\(user)", "--format=%i|%j|%T|%N"])
        return text.split(whereSeparator: \.isNewline).compactMap(SlurmJob.init(line:))
    }

    /// Cancels a job (Slurm signals its processes, then kills them after `KillWait`).
    func cancel(_ id: Int) async throws {
        _ = try await run(["scancel", String(id)])
    }

    /// The partition's nodes as Slurm sees them.
    func nodes(partition: String?) async throws -> [SlurmNode] {
        var arguments = ["sinfo", "--noheader", "--Node", "--format=%N|%T|%C|%m|%G"]
        if let partition { arguments.append("--partition=\(partition)") }
        return try await run(arguments).split(whereSeparator: \.isNewline).compactMap(SlurmNode.init(line:))
    }

    /// The fields of a line the commands print with `|` between them (`--format=%i|%j|…`).
    static func fields(_ line: Substring) -> [String] {
        line.split(separator: "|", omittingEmptySubsequences: false).map(String.init)
    }
}

/// One line of `squeue`: a Slurm job's id, name, state and node.
struct SlurmJob: Equatable, Sendable {
    var id: Int
    var name: String
    var state: SlurmJobState
    var node: String

    init?(line: Substring) {
        let fields = SlurmCommands.fields(line)
        guard fields.count >= 4, let id = Int(fields[0]) else { return nil }
        self.id = id
        name = fields[1]
        state = SlurmJobState(fields[2])
        node = fields[3]
    }
}

/// One line of `sinfo --Node`: a node's name, state, CPUs (allocated/idle/other/total),
/// memory in MB and generic resources (GPUs).
struct SlurmNode: Equatable, Sendable {
    var name: String
    var state: String
    var cpus: String
    var memoryMegabytes: UInt64
    var gres: String

    init?(line: Substring) {
        let fields = SlurmCommands.fields(line)
        guard fields.count >= 5 else { return nil }
        name = fields[0]
        state = fields[1]
        cpus = fields[2]
        memoryMegabytes = UInt64(fields[3].filter(\.isNumber)) ?? 0
        gres = fields[4] == "(null)" ? "" : fields[4]
    }

    /// GPUs this node offers (`gpu:4`, `gpu:a100:4(S:0-1)`), 0 without.
    var gpus: Int {
        gres.split(separator: ",").filter { $0.hasPrefix("gpu") }.reduce(0) { total, entry in
            let count = entry.split(separator: "(").first?.split(separator: ":").last.flatMap { Int($0) } ?? 0
            return total + count
        }
    }
}
