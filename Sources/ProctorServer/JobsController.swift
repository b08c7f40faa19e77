import Foundation
import HTTPTypes
import Hummingbird
import NIOCore
import ProctorCore
import ProctorStore
import ProctorWorker

/// `/v1/jobs`: submit, list, read, cancel, logs and audit trail.
struct JobsController {
    let state: ServiceState

    func register(on group: RouterGroup<ProctorRequestContext>) {
        group.post("jobs", use: submit)
        group.get("jobs", use: list)
        group.get("jobs/{id}", use: show)
        group.post("jobs/{id}/cancel", use: cancel)
        group.get("jobs/{id}/logs", use: logs)
        group.get("jobs/{id}/events", use: events)
    }

    @Sendable func submit(_ request: Request, context: ProctorRequestContext) async throws -> Response {
        let principal = try context.requirePrincipal()
        let submission = try await SubmissionParser(state: state).parse(request, context: context)
        let (resource, created) = try await Admission(state: state).accept(submission, from: principal, context: context)
        var response = try JSONResponse.make(resource, status: created ? .created : .ok)
        response.headers[.location] = "/v1/jobs/\(resource.id)"
        return response
    }

    @Sendable func list(_ request: Request, context: ProctorRequestContext) async throws -> Response {
        let principal = try context.requirePrincipal()
        var filter = JobFilter()
        let query = request.uri.queryParameters
        if let all = query["all"], all != "true" && all != "false" {
            throw Problem.badRequest("all must be true or false, not '\(all.prefix(32))'")
        }
        if !principal.isAdmin || query["all"] != "true" { filter.userID = principal.user.id }
        if let text = query["state"].map(String.init) {
            guard let value = JobState(rawValue: text) else {
                throw Problem.badRequest("state must be one of \(JobState.allCases.map(\.rawValue).joined(separator: ", "))")
            }
            filter.state = value
        }
        if let competition = query["competition"].map(String.init) {
            guard Identifier.isCompetitionID(competition) else { throw Problem.badRequest("competition '\(competition.prefix(64))' is not a valid id") }
            filter.competitionID = competition
        }
        if let limit = query["limit"] {
            guard let value = Int(limit), (1...500).contains(value) else { throw Problem.badRequest("limit must be between 1 and 500") }
            filter.limit = value
        }
        filter.cursor = query["cursor"].map(String.init)
        let page: (jobs: [Job], nextCursor: String?)
        do { page = try await state.store.jobs(filter) } catch let error as StoreError { throw Problem.badRequest(error.description) }
        let placement = try await state.placement(competitionID: nil)
        var names: [Int64: String] = [:]
        var items: [JobResource] = []
        for job in page.jobs {
            var name: String?
            if principal.isAdmin {
                if names[job.userID] == nil { names[job.userID] = try await state.store.user(id: job.userID)?.name }
                name = names[job.userID]
            }
            items.append(try await state.resource(job, placement: placement, userName: name))
        }
        return try JSONResponse.make(JobPage(jobs: items, nextCursor: page.nextCursor))
    }

    @Sendable func show(_ request: Request, context: ProctorRequestContext) async throws -> Response {
        let principal = try context.requirePrincipal()
        let (job, rank) = try await state.visiblePlacedJob(context.parameters.get("id") ?? "", to: principal)
        // Admins also see whose job it is and which token submitted it.
        let owner = principal.isAdmin ? try await state.store.user(id: job.userID)?.name : nil
        return try JSONResponse.make(try await state.resource(job, userName: owner, rank: rank))
    }

    @Sendable func cancel(_ request: Request, context: ProctorRequestContext) async throws -> Response {
        let principal = try context.requirePrincipal()
        let job = try await state.visibleJob(context.parameters.get("id") ?? "", to: principal)
        guard !job.state.isTerminal else {
            throw Problem.conflict("the job is already \(job.state.rawValue); a finished job cannot be cancelled", slug: "job-finished")
        }
        let cancelled = try await state.store.cancel(jobID: job.id, actor: principal.actor, at: Date())
        state.queueChanged()
        guard var updated = cancelled else {
            throw Problem.notFound("no job \(job.id) among yours")
        }
        if !updated.state.isTerminal, await state.worker?.cancel(jobID: job.id) == true {
            // The local worker stops the sandbox at once; wait (up to 2 s, for a
            // loaded machine) for its report.
            for _ in 0..<80 {
                try await Task.sleep(for: .milliseconds(25))
                if let current = try await state.store.job(id: job.id), current.state.isTerminal {
                    updated = current
                    break
                }
            }
        }
        return try JSONResponse.make(try await state.resource(updated), status: updated.state.isTerminal ? .ok : .accepted)
    }

    @Sendable func logs(_ request: Request, context: ProctorRequestContext) async throws -> Response {
        let principal = try context.requirePrincipal()
        let job = try await state.visibleJob(context.parameters.get("id") ?? "", to: principal)
        let query = request.uri.queryParameters
        let stream = query["stream"].map(String.init) ?? "stdout"
        let stage = query["stage"].map(String.init) ?? "solution"
        guard ["stdout", "stderr"].contains(stream) else { throw Problem.badRequest("stream must be stdout or stderr") }
        guard ["solution", "grade"].contains(stage) else { throw Problem.badRequest("stage must be solution or grade") }
        // The grader reads the private answers: what it prints is for admins
        // unless the competition says otherwise.
        if stage == "grade", !principal.isAdmin,
            state.catalog.competition(job.competitionID, version: job.competitionVersion)?.manifest.gradeLogsArePublic != true {
            throw Problem.forbidden("the grader's logs of \(job.competitionID) are for its organizers; your score and results are in the job itself")
        }
        let path = JobPaths(dataDirectory: state.configuration.dataDirectory, jobID: job.id).log(stage: stage, stream: stream)
        if query["follow"] == "true" { return LogStream(state: state, jobID: job.id, path: path).response }
        guard let data = try await BlockingIO.run({ FileManager.default.contents(atPath: path) }) else {
            let why = job.state == .queued || job.state == .leased ? "the job has not started yet" : job.state.isTerminal ? "this stage did not run, or its logs were pruned" : "no output yet"
            throw Problem.notFound("no \(stage) \(stream) log: \(why)")
        }
        var headers = HTTPFields()
        headers[.contentType] = "text/plain; charset=utf-8"
        return Response(status: .ok, headers: headers, body: .init(byteBuffer: ByteBuffer(bytes: data)))
    }

    @Sendable func events(_ request: Request, context: ProctorRequestContext) async throws -> Response {
        let job = try await state.visibleJob(context.parameters.get("id") ?? "", to: try context.requirePrincipal())
        let events = try await state.store.events(jobID: job.id).map(EventResource.init)
        return try JSONResponse.make(["events": events])
    }
}

struct JobPage: Encodable {
    var jobs: [JobResource]
    var nextCursor: String?
    enum CodingKeys: String, CodingKey { case jobs, nextCursor = "next_cursor" }
}

struct EventResource: Encodable {
    var at: Date
    var from: JobState?
    var to: JobState
    var actor: String
    var reason: String
    init(_ event: JobEvent) {
        at = event.at
        from = event.from
        to = event.to
        actor = event.actor
        reason = event.reason
    }
}

/// JSON responses with ISO 8601 UTC times and stable key order.
enum JSONResponse {
    static let encoder: JSONEncoder = {
        let encoder = JSONEncoder()
        encoder.dateEncodingStrategy = .iso8601
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        return encoder
    }()

    static func make(_ value: some Encodable, status: HTTPResponse.Status = .ok) throws -> Response {
        var headers = HTTPFields()
        headers[.contentType] = "application/json"
        return Response(status: status, headers: headers, body: .init(byteBuffer: ByteBuffer(bytes: try encoder.encode(value))))
    }
}
