import Foundation
import HTTPTypes
import Hummingbird
import NIOCore
import ProctorCore
import ProctorStore
import ProctorWire
import ProctorWorker

/// `/v1/worker`: the protocol of `proctor worker` on other nodes. The node is
/// the worker token's user; it asks for work (long poll), renews leases (the
/// answer carries cancellation), fetches the submission, uploads logs and
/// reports. Only the node holding a job's lease may touch it.
struct WorkerController {
    let state: ServiceState
    let doorbell: Doorbell

    func register(on group: RouterGroup<ProctorRequestContext>) {
        group.post("lease", use: lease)
        group.post("jobs/{id}/heartbeat", use: heartbeat)
        group.get("jobs/{id}/submission", use: submission)
        group.put("jobs/{id}/logs/{stage}/{stream}", use: uploadLog)
        group.post("jobs/{id}/report", use: report)
    }

    /// Who holds a lease: the node (the token's user), and the worker process
    /// when it names itself, so two processes sharing a token stay apart.
    static func owner(node: String, instance: String?) throws -> String {
        guard let instance else { return node }
        guard isValidWorkerInstance(instance) else {
            throw Problem.badRequest("a worker instance (\(workerInstanceHeader)) must be 1-64 letters, digits, '-' or '_'")
        }
        return "\(node)#\(instance)"
    }

    /// The lease owner a job call speaks for (its instance header, if any).
    private func owner(_ request: Request, _ context: ProctorRequestContext) throws -> String {
        try Self.owner(node: try context.requirePrincipal().user.name, instance: request.headers[Self.instanceField])
    }

    /// What a node says of its environments, as stored: competitions by
    /// their ids only (others dropped), at most 1000, reasons cut at 2000 characters.
    static func environments(_ reported: [String: EnvironmentStatus]?) -> [String: EnvironmentStatus] {
        let valid = (reported ?? [:]).filter { Identifier.isCompetitionID($0.key) }.sorted { $0.key < $1.key }.prefix(1000)
        return Dictionary(uniqueKeysWithValues: valid.map { ($0.key, EnvironmentStatus($0.value.state, reason: $0.value.reason.map { String($0.prefix(2000)) })) })
    }

    @Sendable func lease(_ request: Request, context: ProctorRequestContext) async throws -> Response {
        let node = try context.requirePrincipal().user.name
        guard let body = try? await request.decode(as: LeaseRequest.self, context: context), (0...256).contains(body.slots),
            body.competitions.count <= 1000, body.competitions.allSatisfy(Identifier.isCompetitionID),
            body.maxExpectedTime.map({ $0.isFinite && $0 >= 0 }) ?? true, body.waitSeconds.map({ $0.isFinite && $0 >= 0 }) ?? true,
            body.protocolVersion.map({ (0...1_000_000).contains($0) }) ?? true
        else { throw Problem.badRequest("send JSON {\"slots\": N, \"competitions\": [ids], \"labels\": {}, \"version\": \"…\"}") }
        let spoken = body.protocolVersion ?? 1
        guard WorkerProtocol.accepted.contains(spoken) else {
            let accepted = WorkerProtocol.accepted
            throw Problem.conflict("""
                this worker speaks worker protocol \(spoken) and this server speaks \(accepted.lowerBound == accepted.upperBound ? "\(accepted.lowerBound)" : "\(accepted.lowerBound) to \(accepted.upperBound)"); \
                run a proctor-worker of the server's release
                """, slug: "worker-protocol-mismatch")
        }
        let holder = try Self.owner(node: node, instance: body.instance)
        let registered = try await state.store.touchNode(name: node, slots: body.slots, labels: body.labels ?? [:],
                                                         version: body.version ?? "", competitions: body.competitions,
                                                         environments: Self.environments(body.environments), at: Date())
        let deadline = ContinuousClock.now + .milliseconds(Int(min(body.waitSeconds ?? 0, state.configuration.longPollSeconds) * 1000))
        guard registered.state == .active else { return Response(status: .noContent) }
        // Competitions whose grader fails on this node (or everywhere) are not handed to it.
        let competitions = Set(body.competitions).subtracting(try await state.graderHealth().excluded(for: node).keys)
        while true {
            let now = Date()
            if let job = try await state.store.claim(
                worker: holder, competitions: competitions, maxRunningPerUser: state.configuration.quotas.maxRunning,
                maxExpectedTime: body.maxExpectedTime, at: now, leaseUntil: now.addingTimeInterval(state.configuration.leaseSeconds))
            {
                state.queueChanged()
                context.logger.info("job leased", metadata: ["job": "\(job.id)", "node": "\(node)", "job_request": "\(job.requestID)"])
                return try JSONResponse.make(LeaseGrant(job: WorkerJob(job), leaseSeconds: state.configuration.leaseSeconds))
            }
            let remaining = deadline - ContinuousClock.now
            if remaining <= .zero { return Response(status: .noContent) }
            await doorbell.wait(timeout: min(remaining, .seconds(2)))
            // A node drained while it waited takes nothing more.
            guard try await state.store.node(named: node)?.state == .active else { return Response(status: .noContent) }
        }
    }

    @Sendable func heartbeat(_ request: Request, context: ProctorRequestContext) async throws -> Response {
        let holder = try owner(request, context)
        let id = try jobID(context)
        guard let job = try await state.store.renew(jobID: id, worker: holder, until: Date().addingTimeInterval(state.configuration.leaseSeconds)) else {
            throw Problem.conflict("this node no longer holds job \(id); stop it", slug: "lease-lost")
        }
        return try JSONResponse.make(HeartbeatAnswer(cancelRequested: job.cancelRequested))
    }

    @Sendable func submission(_ request: Request, context: ProctorRequestContext) async throws -> Response {
        let job = try await heldJob(request, context)
        let path = JobPaths(dataDirectory: state.configuration.dataDirectory, jobID: job.id).submission + "/" + job.fileName
        guard let data = try await BlockingIO.run({ FileManager.default.contents(atPath: path) }) else {
            throw Problem.notFound("the submission of \(job.id) is missing")
        }
        var headers = HTTPFields()
        headers[.contentType] = "application/octet-stream"
        return Response(status: .ok, headers: headers, body: .init(byteBuffer: ByteBuffer(bytes: data)))
    }

    @Sendable func uploadLog(_ request: Request, context: ProctorRequestContext) async throws -> Response {
        let job = try await heldJob(request, context)
        let stage = context.parameters.get("stage") ?? "", stream = context.parameters.get("stream") ?? ""
        guard ["solution", "grade"].contains(stage), ["stdout", "stderr"].contains(stream) else {
            throw Problem.badRequest("logs are solution|grade and stdout|stderr")
        }
        let body: ByteBuffer
        do { body = try await request.body.collect(upTo: 64 << 20) } catch {
            throw Problem(.contentTooLarge, slug: "upload-too-large", title: "Log too large", detail: "a log is at most 64 MiB")
        }
        let paths = JobPaths(dataDirectory: state.configuration.dataDirectory, jobID: job.id)
        let path = paths.log(stage: stage, stream: stream), logs = paths.logs
        let bytes = Data(buffer: body)
        // With ?offset=N (N > 0) the bytes continue the log from byte N (a
        // worker sends only what is new); at offset 0, or without one, they
        // replace the whole log (a new attempt starts its logs afresh).
        let offsetText = request.uri.queryParameters["offset"].map(String.init)
        guard let offsetText, offsetText != "0" else {
            try await BlockingIO.run {
                try FileManager.default.createDirectory(atPath: logs, withIntermediateDirectories: true)
                try bytes.write(to: URL(fileURLWithPath: path), options: .atomic)
            }
            return Response(status: .noContent)
        }
        guard let offset = UInt64(offsetText) else { throw Problem.badRequest("offset must be a byte count") }
        guard offset + UInt64(bytes.count) <= 64 << 20 else {
            throw Problem(.contentTooLarge, slug: "upload-too-large", title: "Log too large", detail: "a log is at most 64 MiB")
        }
        let (appended, size) = try await BlockingIO.run { () throws -> (Bool, UInt64) in
            try FileManager.default.createDirectory(atPath: logs, withIntermediateDirectories: true)
            if !FileManager.default.fileExists(atPath: path) { FileManager.default.createFile(atPath: path, contents: nil) }
            let handle = try FileHandle(forWritingTo: URL(fileURLWithPath: path))
            defer { try? handle.close() }
            let size = try handle.seekToEnd()
            guard size == offset else { return (false, size) }
            try handle.write(contentsOf: bytes)
            return (true, offset + UInt64(bytes.count))
        }
        var response = appended ? Response(status: .noContent)
            // Out of step (a retried upload, a restarted worker): say where the log stands.
            : try Problem.conflict("the log holds \(size) bytes; send from there", slug: "log-offset").response(from: request, context: context)
        response.headers[Self.logSizeField] = String(size)
        return response
    }

    @Sendable func report(_ request: Request, context: ProctorRequestContext) async throws -> Response {
        let node = try context.requirePrincipal().user.name
        let id = try jobID(context)
        guard let update = try? await request.decode(as: WorkerReport.self, context: context).update else {
            throw Problem.badRequest("the report must be a JSON object with state, reason and the optional results (see the worker protocol)")
        }
        guard let job = try await state.store.report(jobID: id, worker: try owner(request, context), update: update, at: Date(),
                                                     maxAttempts: state.configuration.maxAttempts) else {
            context.logger.warning("late report refused", metadata: ["job": "\(id)", "node": "\(node)"])
            throw Problem.conflict("this node no longer holds job \(id); the report was refused", slug: "lease-lost")
        }
        state.queueChanged()
        if job.state == .queued { await doorbell.ring() }
        if update.state == .queued || update.state.isTerminal {
            try await countOutcome(of: update, job: job, on: node, context: context)
        }
        return try JSONResponse.make(["state": job.state.rawValue])
    }

    /// Nodes whose jobs keep failing for infrastructure reasons leave the
    /// rotation, when the node itself is to blame (``Node/shouldLeaveRotation``).
    private func countOutcome(of update: JobUpdate, job: Job, on node: String, context: ProctorRequestContext) async throws {
        // A grader's failure is the grader's (or the node's copy of what it
        // needs): counted per competition, never against the node's streak.
        if update.state.isTerminal {
            try await state.store.recordGrading(update, competitionID: job.competitionID, on: node)
            state.gradersChanged()
        }
        if update.error?.fault == .grader { return }
        let failed = update.state == .queued || update.error?.type == .infrastructure
        let failure = failed ? NodeFailure(userID: job.userID, nodeFault: update.nodeFault ?? false) : nil
        guard let counted = try await state.store.recordNodeOutcome(name: node, failure: failure),
            failed, counted.shouldLeaveRotation, counted.state == .active
        else { return }
        _ = try await state.store.setNodeState(name: node, .draining)
        context.logger.error("node taken out of rotation", metadata: [
            "node": "\(node)", "failures": "\(counted.infrastructureFailures)", "node_faults": "\(counted.nodeFaults)",
            "users": "\(counted.infrastructureFailureUsers.count)", "last": "\(update.reason)",
        ])
    }

    static let logSizeField = HTTPField.Name(logSizeHeader)!
    static let instanceField = HTTPField.Name(workerInstanceHeader)!

    private func jobID(_ context: ProctorRequestContext) throws -> String {
        let id = context.parameters.get("id") ?? ""
        guard Identifier.isJobID(id) else { throw Problem.notFound("no job \(id.prefix(64))") }
        return id
    }

    /// The job if this node holds its lease.
    private func heldJob(_ request: Request, _ context: ProctorRequestContext) async throws -> Job {
        let holder = try owner(request, context)
        let id = try jobID(context)
        guard let job = try await state.store.job(id: id), job.leaseOwner == holder, JobState.active.contains(job.state) else {
            throw Problem.conflict("this node does not hold job \(id)", slug: "lease-lost")
        }
        return job
    }
}
