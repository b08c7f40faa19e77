import ProctorSandbox

import Foundation

/// A host program the worker runs for itself (never for a job): its output
/// goes to a file, and it is killed when it runs past its time.
enum ChildProcess {
    /// Runs `arguments` with exactly `environment`; the exit status, or `nil`
    /// when it could not start or was killed after `timeout` seconds.
    static func run(_ arguments: [String], environment: [String: String], output: String, timeout: Double) async -> Int32? {
        guard let program = arguments.first,
            FileManager.default.createFile(atPath: output, contents: nil, attributes: [.posixPermissions: 0o600]),
            let log = FileHandle(forWritingAtPath: output)
        else { return nil }
        defer { try? log.close() }
        let process = Process()
        process.executableURL = URL(fileURLWithPath: program)
        process.arguments = Array(arguments.dropFirst())
        process.environment = environment
        process.standardInput = FileHandle.nullDevice
        process.standardOutput = log
        process.standardError = log
        do { try process.run() } catch { return nil }
        return await wait(for: process, timeout: timeout)
    }

    /// Waits for a started `process` on a thread of its own, killing it after
    /// `timeout` seconds: its exit status (a signal's number negated), or
    /// `nil` when it was killed for the time.
    static func wait(for process: Process, timeout: Double) async -> Int32? {
        let pid = process.processIdentifier
        return await withTaskGroup(of: Int32?.self) { group in
            group.addTask {
                await BlockingThread.run {
                    process.waitUntilExit()
                    return process.terminationReason == .exit ? process.terminationStatus : -process.terminationStatus
                }
            }
            group.addTask {
                try? await Task.sleep(for: .seconds(timeout))
                guard !Task.isCancelled else { return 0 }
                kill(pid, SIGKILL)
                return nil
            }
            let first = await group.next() ?? nil
            group.cancelAll()
            let second = await group.next() ?? nil
            // The timer's answer is nil when it killed the program.
            return first == nil || second == nil ? nil : first
        }
    }

    /// The last `lines` non-empty lines of a log, joined with " | ": the part
    /// of a tool's output that says why it failed.
    static func tail(of path: String, lines: Int = 4) -> String {
        guard let data = FileManager.default.contents(atPath: path) else { return "" }
        let text = String(decoding: data.suffix(16_384), as: UTF8.self)
        let kept = text.split(separator: "\n").map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty }.suffix(lines)
        return kept.joined(separator: " | ")
    }
}
