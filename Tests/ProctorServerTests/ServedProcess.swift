import Foundation
import Testing

/// `proctor serve` run as an operator runs it, in its own process, on a port the
/// kernel picked (`--port 0`): its address is read from the line it logs once it
/// serves, so two tests never race for one port, and what it printed is kept for
/// the failure message when it does not come up.
struct ServedProcess {
    let process: Process
    /// `http://127.0.0.1:PORT`, where it answers.
    let url: String
    private let outputPath: String

    /// What the server has printed so far (its log and, with `--demo`, the instructions).
    var output: String { Self.read(outputPath) }

    private static func read(_ path: String) -> String { (try? String(contentsOfFile: path, encoding: .utf8)) ?? "" }

    /// Starts `proctor serve` with `arguments` (no `--port`) and returns once it serves;
    /// throws with its output if it exits first or does not serve within `timeout`.
    static func start(_ arguments: [String], environment: [String: String]? = nil,
                      timeout: Duration = .seconds(60)) async throws -> ServedProcess {
        let outputPath = NSTemporaryDirectory() + "proctor-serve-" + UUID().uuidString + ".out"
        FileManager.default.createFile(atPath: outputPath, contents: nil)
        let process = Process()
        process.executableURL = URL(fileURLWithPath: Built.proctor)
        process.arguments = ["serve"] + arguments + ["--port", "0"]
        if let environment { process.environment = environment }
        let sink = try FileHandle(forWritingTo: URL(fileURLWithPath: outputPath))
        process.standardOutput = sink
        process.standardError = sink
        try process.run()
        try? sink.close()
        let deadline = ContinuousClock.now + timeout
        while ContinuousClock.now < deadline {
            let text = read(outputPath)
            if let port = servingPort(in: text) {
                return ServedProcess(process: process, url: "http://127.0.0.1:\(port)", outputPath: outputPath)
            }
            if !process.isRunning {
                throw ServeFailure(text: "proctor serve exited with status \(process.terminationStatus) before serving:\n\(text)")
            }
            try await Task.sleep(for: .milliseconds(20))
        }
        process.terminate()
        throw ServeFailure(text: "proctor serve did not serve within \(timeout):\n\(read(outputPath))")
    }

    /// The port in the "proctor is serving" log line (`url=http://HOST:PORT`), once it is there.
    private static func servingPort(in text: String) -> Int? {
        guard let line = text.split(separator: "\n").first(where: { $0.contains("proctor is serving") }),
              let url = line.split(separator: " ").first(where: { $0.hasPrefix("url=") }),
              let port = url.split(separator: ":").last.flatMap({ Int($0) }) else { return nil }
        return port
    }

    /// Asks it to stop without waiting, for `defer` (a process already ended is
    /// left alone); its output file goes.
    func terminate() {
        if process.isRunning { kill(process.processIdentifier, SIGTERM) }
        try? FileManager.default.removeItem(atPath: outputPath)
    }

    /// Sends `signal` and waits for the process to end; its output file goes with it.
    func stop(signal: Int32 = SIGTERM) async throws {
        if process.isRunning { kill(process.processIdentifier, signal) }
        try await waitForExit(process)
        try? FileManager.default.removeItem(atPath: outputPath)
    }
}

/// `proctor serve` did not come up; the text says what it printed.
struct ServeFailure: Error, CustomStringConvertible {
    let text: String
    var description: String { text }
}
