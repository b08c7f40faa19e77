import Foundation
import Hummingbird
import ProctorGPU
import ProctorCore
import ProctorStore

/// `/v1/admin`: users and tokens. Job administration goes through
/// `/v1/jobs` with an admin token (every job visible and cancellable).
struct AdminController {
    let state: ServiceState
    /// The local worker's GPUs, if it has any.
    let gpus: GPUAllocator?

    func register(on group: RouterGroup<ProctorRequestContext>) {
        group.get("users", use: users)
        group.post("users/{name}/disable", use: disable)
        group.get("tokens", use: tokens)
        group.post("tokens", use: createToken)
        group.post("tokens/{id}/revoke", use: revoke)
        group.post("jobs/{id}/priority", use: setPriority)
        group.get("nodes", use: nodes)
        group.post("nodes/{name}/drain", use: drain)
        group.post("nodes/{name}/resume", use: resume)
        group.post("competitions/{id}/enable", use: enableCompetition)
        group.post("competitions/reload", use: reloadCompetitions)
        group.post("gpus/{index}/restore", use: restoreGPU)
    }

    struct NodeResource: Encodable {
        var name, status: String
        var slots: Int
        var labels: [String: String]
        var version: String
        var lastSeen: Date
        var infrastructureFailures: Int
        /// Competitions this node does not take, with why (their grader fails here).
        var excludedCompetitions: [String: String]
        /// Where each competition's own environment stands there.
        var environments: [String: EnvironmentStatus]
        enum CodingKeys: String, CodingKey {
            case name, status, slots, labels, version, environments, lastSeen = "last_seen", infrastructureFailures = "infrastructure_failures"
            case excludedCompetitions = "excluded_competitions"
        }
    }

    func resource(_ node: Node, graders: GraderHealth) -> NodeResource {
        NodeResource(name: node.name, status: node.status(at: Date(), timeout: state.configuration.leaseSeconds * 2),
                     slots: node.slots, labels: node.labels, version: node.version, lastSeen: node.lastSeen,
                     infrastructureFailures: node.infrastructureFailures, excludedCompetitions: graders.excluded(for: node.name),
                     environments: node.environments)
    }

    @Sendable func nodes(_ request: Request, context: ProctorRequestContext) async throws -> Response {
        let graders = try await state.graderHealth()
        return try JSONResponse.make(["nodes": try await state.store.nodes().map { resource($0, graders: graders) }])
    }

    /// Loads the competitions directory again (as SIGHUP does): new and
    /// changed competitions take effect, running jobs keep theirs, unchanged
    /// data files are not read again.
    @Sendable func reloadCompetitions(_ request: Request, context: ProctorRequestContext) async throws -> Response {
        let catalog = state.catalog
        let enabled = try await BlockingIO.run { catalog.reload() }
        context.logger.info("competitions reloaded", metadata: ["enabled": "\(enabled.sorted())"])
        state.queueChanged()
        await state.worker?.notify()
        return try JSONResponse.make(["competitions": try await state.competitionResources()])
    }

    /// Brings a GPU of this server's local worker back into service after it was retired for a fault.
    @Sendable func restoreGPU(_ request: Request, context: ProctorRequestContext) async throws -> Response {
        guard let gpus else { throw Problem.notFound("this server's worker has no GPUs; a remote node's GPUs come back when its proctor-worker restarts") }
        guard let index = Int(context.parameters.get("index") ?? ""), index >= 0 else { throw Problem.badRequest("name a GPU by its index, e.g. 0") }
        if let why = await gpus.restore(index) {
            throw Problem.conflict("GPU \(index) cannot take jobs: \(why)", slug: "gpu-unhealthy")
        }
        context.logger.info("GPU restored", metadata: ["gpu": "\(index)"])
        return try JSONResponse.make(await gpus.statuses.filter { $0.index == index })
    }

    /// Enables a competition the service disabled because its grader failed
    /// everywhere (the grader was fixed): its grader streaks are forgotten.
    @Sendable func enableCompetition(_ request: Request, context: ProctorRequestContext) async throws -> Response {
        let id = context.parameters.get("id") ?? ""
        guard Identifier.isCompetitionID(id), let competition = state.catalog.all.first(where: { $0.id == id }) else {
            throw Problem.notFound("there is no competition '\(id.prefix(64))'")
        }
        let forgotten = try await state.store.clearGraderStreaks(competitionID: id)
        state.gradersChanged()
        context.logger.info("competition enabled", metadata: ["competition": "\(id)", "streaks": "\(forgotten)"])
        return try JSONResponse.make(CompetitionsController.CompetitionResource(competition))
    }

    @Sendable func drain(_ request: Request, context: ProctorRequestContext) async throws -> Response {
        try await setNode(context, .draining)
    }

    @Sendable func resume(_ request: Request, context: ProctorRequestContext) async throws -> Response {
        try await setNode(context, .active)
    }

    private func setNode(_ context: ProctorRequestContext, _ nodeState: Node.State) async throws -> Response {
        let name = context.parameters.get("name") ?? ""
        guard User.isValidName(name), let node = try await state.store.setNodeState(name: name, nodeState) else {
            throw Problem.notFound("no node '\(name.prefix(64))' has contacted this service")
        }
        // Resuming says the node was repaired: its grader failures are forgotten too.
        if nodeState == .active {
            _ = try await state.store.clearGraderStreaks(node: name)
            state.gradersChanged()
        }
        context.logger.info("node state changed", metadata: ["node": "\(name)", "state": "\(nodeState.rawValue)"])
        return try JSONResponse.make(resource(node, graders: try await state.graderHealth()))
    }

    struct PriorityRequest: Decodable { var priority: Int }

    @Sendable func setPriority(_ request: Request, context: ProctorRequestContext) async throws -> Response {
        let principal = try context.requirePrincipal()
        let id = context.parameters.get("id") ?? ""
        guard let body = try? await request.decode(as: PriorityRequest.self, context: context), (-100...100).contains(body.priority) else {
            throw Problem.badRequest("send JSON {\"priority\": N} with N between -100 and 100 (higher runs first)")
        }
        let changed = Identifier.isJobID(id) ? try await state.store.setPriority(jobID: id, priority: body.priority, actor: principal.actor, at: Date()) : nil
        state.queueChanged()
        guard let job = changed else {
            throw Problem.conflict("no queued job \(id.prefix(64)): only a queued job's priority can change", slug: "job-not-queued")
        }
        return try JSONResponse.make(try await state.resource(job))
    }

    struct TokenRequest: Decodable {
        var user: String
        var role: Role?
        var label: String?
        var expiresInSeconds: Double?
        enum CodingKeys: String, CodingKey { case user, role, label, expiresInSeconds = "expires_in_seconds" }
    }

    struct TokenResource: Encodable {
        var id: Int64
        var user: String
        var role: Role
        var label: String
        var createdAt: Date
        var expiresAt: Date?
        var revokedAt: Date?
        var lastUsedAt: Date?
        /// Jobs the token submitted in the last 24 hours (in the list).
        var jobsLastDay: Int?
        /// Present only in the answer that creates the token.
        var token: String?
        enum CodingKeys: String, CodingKey {
            case id, user, role, label, token
            case createdAt = "created_at", expiresAt = "expires_at", revokedAt = "revoked_at", lastUsedAt = "last_used_at"
            case jobsLastDay = "jobs_last_day"
        }
    }

    /// A user as the admin API shows it.
    struct UserResource: Encodable {
        var name: String
        var disabled: Bool
    }

    @Sendable func users(_ request: Request, context: ProctorRequestContext) async throws -> Response {
        let users = try await state.store.users()
        return try JSONResponse.make(["users": users.map { UserResource(name: $0.name, disabled: $0.disabled) }])
    }

    @Sendable func disable(_ request: Request, context: ProctorRequestContext) async throws -> Response {
        let name = context.parameters.get("name") ?? ""
        guard User.isValidName(name), let user = try await state.store.user(named: name) else {
            throw Problem.notFound("no user '\(name.prefix(64))'")
        }
        guard user.id != (try context.requirePrincipal()).user.id else {
            throw Problem.conflict("an admin cannot disable themselves; ask another admin", slug: "cannot-disable-self")
        }
        try await state.disableUser(id: user.id)
        return try JSONResponse.make(UserResource(name: user.name, disabled: true))
    }

    @Sendable func tokens(_ request: Request, context: ProctorRequestContext) async throws -> Response {
        var names: [Int64: String] = [:]
        var items: [TokenResource] = []
        let recent = try await state.store.submissionsByToken(since: Date().addingTimeInterval(-86400))
        for token in try await state.store.tokens(userID: nil) {
            if names[token.userID] == nil { names[token.userID] = try await state.store.user(id: token.userID)?.name }
            var item = Self.resource(token, user: names[token.userID] ?? "?")
            item.jobsLastDay = recent[token.id] ?? 0
            items.append(item)
        }
        return try JSONResponse.make(["tokens": items])
    }

    @Sendable func createToken(_ request: Request, context: ProctorRequestContext) async throws -> Response {
        let body: TokenRequest
        do { body = try await request.decode(as: TokenRequest.self, context: context) } catch {
            throw Problem.badRequest("send JSON {\"user\": NAME, \"role\": \"user\"|\"admin\"|\"worker\", \"expires_in_seconds\": N}")
        }
        try TokenIssuer.check(user: body.user, label: body.label ?? "", expiresIn: body.expiresInSeconds)
        let issued = try await TokenIssuer(store: state.store).issue(
            user: body.user, role: body.role ?? .user, label: body.label ?? "", expiresIn: body.expiresInSeconds)
        var resource = Self.resource(issued.token, user: body.user)
        resource.token = issued.text
        return try JSONResponse.make(resource, status: .created)
    }

    @Sendable func revoke(_ request: Request, context: ProctorRequestContext) async throws -> Response {
        guard let id = context.parameters.get("id", as: Int64.self) else { throw Problem.badRequest("token id must be a number") }
        guard try await state.revokeToken(id: id) else { throw Problem.notFound("no active token \(id)") }
        return try JSONResponse.make(["revoked": id])
    }

    static func resource(_ token: Token, user: String) -> TokenResource {
        TokenResource(id: token.id, user: user, role: token.role, label: token.label, createdAt: token.createdAt,
                      expiresAt: token.expiresAt, revokedAt: token.revokedAt, lastUsedAt: token.lastUsedAt)
    }
}

/// Creates users and their tokens; shared by the admin API and `proctor admin token create`.
public struct TokenIssuer: Sendable {
    let store: JobStore

    public init(store: JobStore) { self.store = store }

    /// Refuses what a token cannot be made with: a user name outside
    /// `[a-z0-9][a-z0-9._-]{0,63}`, a label over 200 characters, a lifetime
    /// outside one second to ten years.
    static func check(user: String, label: String, expiresIn: Double?) throws {
        guard User.isValidName(user) else { throw Problem.badRequest("user name must match [a-z0-9][a-z0-9._-]{0,63}") }
        if let seconds = expiresIn, !(seconds.isFinite && seconds >= 1 && seconds <= 10 * 365 * 86400) {
            throw Problem.badRequest("a token lasts from 1 second to 10 years (expires_in_seconds up to 315360000)")
        }
        guard label.count <= 200 else { throw Problem.badRequest("a token's label is at most 200 characters") }
    }

    /// Creates the user if needed and a token for them; the text is shown once.
    public func issue(user name: String, role: Role, label: String, expiresIn: Double?) async throws -> (text: String, token: Token) {
        let now = Date()
        let user = try await store.createUser(name: name, at: now)
        let generated = TokenCodec.generate()
        let token = try await store.createToken(
            userID: user.id, role: role, hash: generated.hash, label: label, at: now,
            expiresAt: expiresIn.map { now.addingTimeInterval($0) })
        return (generated.text, token)
    }
}
