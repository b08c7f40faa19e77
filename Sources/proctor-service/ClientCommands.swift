import ProctorCommandLine
import ArgumentParser
import ProctorNode
import Foundation
import ProctorClient
import ProctorCore

/// Where the server is and who we are: flags, else PROCTOR_SERVER / PROCTOR_TOKEN.
struct ConnectionOptions: ParsableArguments {
    @Option(help: "Server URL (default: $PROCTOR_SERVER or http://127.0.0.1:8080).") var server: String?
    @Option(help: "Token (default: $PROCTOR_TOKEN).") var token: String?
    @Flag(help: "Print the API's JSON instead of a summary.") var json = false

    /// `/v1/jobs/ID` plus `suffix`, with the id escaped whatever was typed.
    func jobPath(_ id: String, _ suffix: String = "") -> String {
        "/v1/jobs/\(id.addingPercentEncoding(withAllowedCharacters: .alphanumerics.union(CharacterSet(charactersIn: "-"))) ?? "")\(suffix)"
    }

    var client: ProctorClient {
        let environment = ProcessInfo.processInfo.environment
        return ProctorClient(server: server ?? environment["PROCTOR_SERVER"] ?? "http://127.0.0.1:8080",
                             token: token ?? environment["PROCTOR_TOKEN"])
    }
}

/// Prints a job the way a person reads it.
func summarize(_ job: [String: Any]) -> String {
    var lines = ["job \(job["id"] as? String ?? "?")  \(job["state"] as? String ?? "?")  (\(job["competition"] as? String ?? "?"))"]
    if let position = job["position"] as? Int {
        let wait = (job["estimated_wait_seconds"] as? Double).map { String(format: ", about %.0f s to wait", $0) } ?? ""
        lines.append("  queue position \(position + 1)\(wait)")
    }
    if let score = job["score"] as? Double { lines.append("  score \(score)") }
    if let error = job["error"] as? [String: Any] {
        lines.append("  \(error["type"] as? String ?? "error") (\(error["fault"] as? String ?? "?")'s fault): \(error["message"] as? String ?? "")")
    }
    if let solution = job["solution"] as? [String: Any], let metrics = solution["metrics"] as? [String: Any] {
        lines.append(String(format: "  solution: %.2f s CPU, %.2f s wall, %.1f MiB peak",
                            metrics["cpu_time"] as? Double ?? 0, metrics["real_time"] as? Double ?? 0,
                            Double(metrics["memory"] as? Int ?? 0) / 1_048_576))
    }
    if (job["state"] as? String).map({ ["succeeded", "failed", "timed_out", "errored", "cancelled"].contains($0) }) == true {
        lines.append("  logs: proctor logs \(job["id"] as? String ?? "") [--stream stderr] [--stage grade]")
    }
    return lines.joined(separator: "\n")
}

/// One line for `proctor jobs`: id, competition, state, score, age.
func jobLine(_ job: [String: Any], now: Date = Date()) -> String {
    let id = job["id"] as? String ?? "?"
    let competition = job["competition"] as? String ?? "?"
    let state = job["state"] as? String ?? "?"
    let score = (job["score"] as? Double).map { String(format: "%.4g", $0) } ?? "-"
    var age = "?"
    if let text = job["created_at"] as? String, let created = try? Date(text, strategy: .iso8601) {
        let seconds = max(0, Int(now.timeIntervalSince(created)))
        age = seconds < 60 ? "\(seconds)s ago" : seconds < 3600 ? "\(seconds / 60)m ago"
            : seconds < 86400 ? "\(seconds / 3600)h ago" : "\(seconds / 86400)d ago"
    }
    return [id, competition, state, score, age].joined(separator: "  ")
}

func printJSON(_ response: APIResponse) {
    print(response.text)
}

struct SubmitCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "submit", abstract: "Submit a solution file, or several: one job each, in the order given.")
    @OptionGroup var connection: ConnectionOptions
    @Option(help: "Competition id (see 'proctor competitions').") var competition: String
    @Option(help: "Seconds you expect the solution to need.") var expectedTime: Double?
    @Option(help: "A small JSON object kept with the job.") var metadata: String?
    @Option(help: "Makes a retried submit return the same job(s) (default: a fresh key for each invocation; with several files, KEY-1, KEY-2, …).")
    var idempotencyKey: String?
    @Flag(help: "Wait for the verdict, showing the queue position.") var wait = false
    @Argument(help: "The solution file(s).") var files: [String] = []

    func run() async throws {
        guard !files.isEmpty else { throw ValidationError("give the solution file to submit, e.g. proctor submit --competition iris solution.py") }
        // Every file is read before any is sent: a mistyped name submits nothing.
        let contents = try files.map { file in
            guard let data = FileManager.default.contents(atPath: file) else {
                throw ValidationError("cannot read \(file)\(files.count > 1 ? "; nothing was submitted" : "")")
            }
            return data
        }
        // One key per invocation (and file): resending after a network error
        // can only return the job the first attempt made, never a second one.
        let key = idempotencyKey ?? UUID().uuidString.lowercased()
        var jobs: [[String: Any]] = []
        for (index, file) in files.enumerated() {
            do {
                let response = try await submit(file, contents[index], key: files.count == 1 ? key : "\(key)-\(index + 1)")
                guard let job = response.json, job["id"] is String else { throw ValidationError("unexpected answer: \(response.text)") }
                jobs.append(job)
                if !wait { if connection.json { printJSON(response) } else { print(summarize(job)) } }
            } catch where !jobs.isEmpty {
                // Say what did go in, so that a rerun can leave it out.
                let made = jobs.compactMap { $0["id"] as? String }.joined(separator: ", ")
                writeError("proctor submit: \(file) was not submitted, nor the files after it: \(error); submitted before it: \(made)")
                throw ExitCode.failure
            }
        }
        if wait { for job in jobs { try await follow(job) } }
    }

    /// Sends one file, retrying a transport failure with the same key.
    private func submit(_ file: String, _ contents: Data, key: String) async throws -> APIResponse {
        var attempt = 0
        while true {
            do {
                return try await connection.client.submit(
                    competition: competition, fileName: (file as NSString).lastPathComponent, contents: contents,
                    expectedTime: expectedTime, metadata: metadata, idempotencyKey: key)
            } catch ClientError.transport(let why) where attempt < 3 {
                attempt += 1
                writeError("proctor submit: \(why); trying again (\(attempt)/3) with the same idempotency key")
                try await Task.sleep(for: .seconds(Double(1 << attempt) / 2))
            }
        }
    }

    /// Shows a job's position and state as they change, then its verdict.
    private func follow(_ submitted: [String: Any]) async throws {
        var job = submitted, last = ""
        let id = job["id"] as? String ?? ""
        while !(["succeeded", "failed", "timed_out", "errored", "cancelled"].contains(job["state"] as? String ?? "")) {
            let line = summarize(job).split(separator: "\n").prefix(2).joined(separator: " ")
            if line != last && !connection.json { print(line) }
            last = line
            try await Task.sleep(for: .milliseconds(500))
            job = try await connection.client.call(.GET, connection.jobPath(id)).json ?? job
        }
        if connection.json { printJSON(try await connection.client.call(.GET, connection.jobPath(id))) } else { print(summarize(job)) }
    }
}

struct StatusCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "status", abstract: "Show a job.")
    @OptionGroup var connection: ConnectionOptions
    @Argument(help: "Job id.") var id: String

    func run() async throws {
        let response = try await connection.client.call(.GET, connection.jobPath(id))
        if connection.json { printJSON(response) } else { print(summarize(response.json ?? [:])) }
    }
}

struct LogsCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "logs", abstract: "Print a job's output.")
    @OptionGroup var connection: ConnectionOptions
    @Option(help: "stdout or stderr.") var stream = "stdout"
    @Option(help: "solution or grade.") var stage = "solution"
    @Flag(help: "Keep printing the log as the job writes it, until the job ends.") var follow = false
    @Argument(help: "Job id.") var id: String

    func run() async throws {
        let path = connection.jobPath(id, "/logs?stream=\(stream)&stage=\(stage)")
        guard follow else {
            print(try await connection.client.call(.GET, path).text, terminator: "")
            return
        }
        try await connection.client.events(path + "&follow=true") { event in
            switch event.name {
            case "log": print(event.data)
            case "end":
                let end = (try? JSONSerialization.jsonObject(with: Data(event.data.utf8))) as? [String: String] ?? [:]
                writeError("job \(end["state"] ?? "ended")" + (end["score"].map { ", score \($0)" } ?? "") + (end["error"].map { ": \($0)" } ?? ""))
                return false
            default: break
            }
            return true
        }
    }
}

struct CancelCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "cancel", abstract: "Cancel a job.")
    @OptionGroup var connection: ConnectionOptions
    @Argument(help: "Job id.") var id: String

    func run() async throws {
        let response = try await connection.client.call(.POST, connection.jobPath(id, "/cancel"))
        if connection.json { printJSON(response) } else { print(summarize(response.json ?? [:])) }
    }
}

struct JobsCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "jobs", abstract: "List your jobs, newest first.")
    @OptionGroup var connection: ConnectionOptions
    @Option(help: "Only jobs in this state.") var state: String?
    @Option(help: "Only jobs of this competition.") var competition: String?

    func run() async throws {
        var query: [String] = []
        if let state { query.append("state=\(state)") }
        if let competition { query.append("competition=\(competition)") }
        let response = try await connection.client.call(.GET, "/v1/jobs" + (query.isEmpty ? "" : "?" + query.joined(separator: "&")))
        if connection.json { return printJSON(response) }
        for job in response.json?["jobs"] as? [[String: Any]] ?? [] { print(jobLine(job)) }
    }
}

struct LeaderboardCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "leaderboard", abstract: "Show a competition's leaderboard.")
    @OptionGroup var connection: ConnectionOptions
    @Argument(help: "Competition id.") var competition: String

    func run() async throws {
        guard Identifier.isCompetitionID(competition) else { throw ValidationError("'\(competition)' is not a competition id") }
        let response = try await connection.client.call(.GET, "/v1/competitions/\(competition)/leaderboard")
        if connection.json { return printJSON(response) }
        let board = response.json ?? [:]
        let basis = board["basis"] as? String == "public" ? "public score" : "score"
        let ends = (board["ended"] as? Bool ?? false) ? "ended \(board["ends_at"] as? String ?? "")" : (board["ends_at"] as? String).map { "ends \($0)" } ?? "open"
        print("\(competition): ranked by \(basis), \(board["score_order"] as? String ?? "higher") is better; \(ends)")
        for row in board["rows"] as? [[String: Any]] ?? [] {
            let score = (row["score"] as? Double).map { String($0) } ?? "?"
            print("\(row["rank"] as? Int ?? 0)\t\(row["user"] as? String ?? "?")\t\(score)\t\(row["entries"] as? Int ?? 0) entries\t\(row["submitted_at"] as? String ?? "")")
        }
    }
}

struct CompetitionsCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "competitions", abstract: "List competitions.")
    @OptionGroup var connection: ConnectionOptions

    func run() async throws {
        let response = try await connection.client.call(.GET, "/v1/competitions")
        if connection.json { return printJSON(response) }
        for c in response.json?["competitions"] as? [[String: Any]] ?? [] {
            let status = (c["enabled"] as? Bool ?? false) ? "" : "  DISABLED: \(c["disabled_reason"] as? String ?? "")"
            print("\(c["id"] as? String ?? "?") v\(c["version"] as? String ?? "?")  \(c["title"] as? String ?? "")  accepts \((c["accepted_files"] as? [String] ?? []).joined(separator: ", "))\(status)")
            if let environment = c["environment"] as? String {
                let nodes = (c["environments"] as? [String: [String: Any]] ?? [:]).sorted { $0.key < $1.key }.map { node, status in
                    "\(node) \(status["state"] as? String ?? "?")" + ((status["reason"] as? String).map { ": \($0)" } ?? "")
                }
                print("    environment \(environment): " + (nodes.isEmpty ? "no node has it yet" : nodes.joined(separator: "; ")))
            }
        }
    }
}
