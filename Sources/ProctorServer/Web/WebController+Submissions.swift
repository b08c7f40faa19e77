import Foundation
import Hummingbird
import ProctorCore
import ProctorStore
import ProctorWorker

/// One's own submissions, and one submission with its log following live.
extension WebController {
    @Sendable func submissions(_ request: Request, context: ProctorRequestContext) async throws -> Response {
        let principal = try context.requirePrincipal()
        let page = try await state.store.jobs(JobFilter(userID: principal.user.id, limit: 100))
        let placement = try await state.placement(competitionID: nil)
        var rows: [[String: Any]] = []
        for job in page.jobs { rows.append(Self.row(try await state.resource(job, placement: placement))) }
        return pages.render("submissions", ["jobs": rows], viewer: context)
    }

    @Sendable func submission(_ request: Request, context: ProctorRequestContext) async throws -> Response {
        let principal = try context.requirePrincipal()
        let (job, rank) = try await state.visiblePlacedJob(context.parameters.get("id") ?? "", to: principal)
        let owner = principal.isAdmin ? try await state.store.user(id: job.userID)?.name : nil
        let resource = try await state.resource(job, userName: owner, rank: rank)
        var values = Self.row(resource)
        values["fileName"] = job.fileName
        values["live"] = !job.state.isTerminal
        if let publicScore = resource.publicScore { values["publicScore"] = Self.number(publicScore) }
        let stages = [("solution", resource.solution), ("grade", resource.grade)].compactMap { name, report -> [String: Any]? in
            guard let report, let metrics = report["metrics"] else { return nil }
            return ["stage": name, "ended": Self.verdict(report["verdict"]), "cpu": Self.seconds(metrics["cpu_time"]),
                    "wall": Self.seconds(metrics["real_time"]), "memory": (metrics["memory"]?.doubleValue).map { "\(Int($0) >> 20) MiB" } ?? ""]
        }
        values["stages"] = stages
        values["hasStages"] = !stages.isEmpty
        if let results = resource.results, !results.isEmpty {
            let encoder = JSONEncoder()
            encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
            values["results"] = results.compactMap { try? encoder.encode($0) }.map { String(decoding: $0, as: UTF8.self) }.joined(separator: "\n")
        }
        let path = JobPaths(dataDirectory: state.configuration.dataDirectory, jobID: job.id).log(stage: "solution", stream: "stdout")
        values["log"] = try await BlockingIO.run { Self.tail(of: path) }
        values["events"] = try await state.store.events(jobID: job.id).map { event -> [String: Any] in
            ["at": WebPage.time(event.at), "to": event.to.rawValue, "reason": event.reason]
        }
        return pages.render("submission", values, viewer: context)
    }

    @Sendable func live(_ request: Request, context: ProctorRequestContext) async throws -> Response {
        let job = try await state.visibleJob(context.parameters.get("id") ?? "", to: try context.requirePrincipal())
        let path = JobPaths(dataDirectory: state.configuration.dataDirectory, jobID: job.id).log(stage: "solution", stream: "stdout")
        return LogStream(state: state, jobID: job.id, path: path).response
    }

    /// What a list row and a job page show of a job.
    static func row(_ job: JobResource) -> [String: Any] {
        var row: [String: Any] = ["id": job.id, "competition": job.competition, "state": job.state.rawValue, "when": WebPage.time(job.createdAt)]
        if let position = job.position {
            row["place"] = "position \(position + 1)" + (job.estimatedWaitSeconds.map { ", about \(WebPage.duration($0)) to wait" } ?? "")
        }
        if let score = job.score { row["score"] = number(score) } else if let publicScore = job.publicScore { row["score"] = number(publicScore) + " (public)" }
        if let error = job.error { row["verdict"] = error.message }
        return row
    }

    static func number(_ value: Double) -> String { value == value.rounded() && abs(value) < 1e15 ? String(Int(value)) : String(value) }

    static func seconds(_ value: JSONValue?) -> String { (value?.doubleValue).map { String(format: "%.2f s", $0) } ?? "" }

    static func verdict(_ value: JSONValue?) -> String {
        guard let value, let kind = value["kind"]?.stringValue else { return "" }
        if let code = value["exit_code"]?.doubleValue { return "\(kind) \(Int(code))" }
        if let limit = value["limit"]?.stringValue { return "over its \(limit.replacingOccurrences(of: "_", with: " ")) limit" }
        return kind.replacingOccurrences(of: "_", with: " ")
    }

    /// The last 64 KiB of a log (the page shows the end of a long one).
    static func tail(of path: String) -> String {
        guard let handle = FileHandle(forReadingAtPath: path) else { return "" }
        defer { try? handle.close() }
        let size = (try? handle.seekToEnd()) ?? 0
        try? handle.seek(toOffset: size > 65536 ? size - 65536 : 0)
        return String(decoding: (try? handle.readToEnd()) ?? Data(), as: UTF8.self)
    }
}
