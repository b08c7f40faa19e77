import Foundation
import Hummingbird
import ProctorCore
import ProctorGPU
import ProctorStore

/// The organizers' pages: the queue across users, the nodes with their
/// slots, labels, GPUs and environments, and users' tokens (create, revoke).
/// Behind ``WebSessionMiddleware`` with `admin`: other users get a page that
/// says the page is for admins.
struct WebAdminController {
    let state: ServiceState
    let pages: WebPage
    let gpus: GPUAllocator?

    func register(on admin: RouterGroup<ProctorRequestContext>) {
        admin.get("/admin/queue", use: queue)
        admin.get("/admin/nodes", use: nodes)
        admin.get("/admin/users", use: users)
        admin.post("/admin/tokens", use: createToken)
        admin.post("/admin/tokens/{id}/revoke", use: revokeToken)
    }

    @Sendable func queue(_ request: Request, context: ProctorRequestContext) async throws -> Response {
        var jobs: [Job] = []
        for jobState in [JobState.running, .leased, .queued] {
            jobs += try await state.store.jobs(JobFilter(state: jobState, limit: 200)).jobs
        }
        let placement = try await state.placement(competitionID: nil)
        var names: [Int64: String] = [:]
        var rows: [[String: Any]] = []
        for job in jobs {
            if names[job.userID] == nil { names[job.userID] = try await state.store.user(id: job.userID)?.name ?? "?" }
            var row = WebController.row(try await state.resource(job, placement: placement, userName: names[job.userID]))
            row["user"] = names[job.userID] ?? "?"
            rows.append(row)
        }
        let queued = jobs.filter { $0.state == .queued }.count
        let summary = "\(queued) queued, \(jobs.count - queued) leased or running; the local worker has \(state.configuration.localSlots) slot(s)."
        return pages.render("admin-queue", ["jobs": rows, "summary": summary], viewer: context)
    }

    @Sendable func nodes(_ request: Request, context: ProctorRequestContext) async throws -> Response {
        let now = Date()
        var rows: [[String: Any]] = []
        if let worker = state.worker {
            var gpuLines: [String] = []
            if let gpus {
                let statuses = await gpus.statuses
                for reading in await gpus.readings() {
                    let health = statuses.first { $0.index == reading.index }?.unhealthy.map { "unhealthy: \($0)" } ?? "healthy"
                    gpuLines.append("GPU \(reading.index): \(health), \(reading.utilization)% busy, \(reading.memoryUsed >> 20) MiB used, \(reading.temperature) °C")
                }
            }
            rows.append(["name": state.configuration.localWorkerID + " (this server)", "status": "active",
                         "slots": "\(await worker.busySlots) of \(state.configuration.localSlots) busy", "labels": "", "gpus": gpuLines,
                         "environments": Self.environments(await worker.environmentStatuses()), "seen": "now"])
        }
        for node in try await state.store.nodes() {
            let labels = node.labels.filter { !$0.key.hasPrefix("gpu") }.sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value)" }
            let gpus = node.labels.filter { $0.key.hasPrefix("gpu") && $0.key != "gpus" }.sorted { $0.key < $1.key }.map { "\($0.key): \($0.value)" }
            rows.append(["name": node.name, "status": node.status(at: now, timeout: state.configuration.leaseSeconds * 2), "slots": String(node.slots),
                         "labels": labels.joined(separator: " "), "gpus": gpus, "environments": Self.environments(node.environments),
                         "seen": WebPage.time(node.lastSeen)])
        }
        return pages.render("admin-nodes", ["nodes": rows], viewer: context)
    }

    static func environments(_ statuses: [String: EnvironmentStatus]) -> [String] {
        statuses.sorted { $0.key < $1.key }.map { "\($0.key): \($0.value)" }
    }

    @Sendable func users(_ request: Request, context: ProctorRequestContext) async throws -> Response {
        try await usersPage(context: context, created: nil)
    }

    func usersPage(context: ProctorRequestContext, created: [String: String]?) async throws -> Response {
        let names = Dictionary(uniqueKeysWithValues: try await state.store.users().map { ($0.id, $0.name) })
        let now = Date()
        let tokens: [[String: Any]] = try await state.store.tokens(userID: nil).reversed().map { token in
            let status = token.revokedAt != nil ? "revoked" : token.isUsable(at: now)
                ? (token.expiresAt.map { "expires \(WebPage.time($0))" } ?? "active") : "expired"
            return ["id": token.id, "user": names[token.userID] ?? "?", "role": token.role.rawValue, "label": token.label,
                    "created": WebPage.time(token.createdAt), "status": status, "active": token.isUsable(at: now)]
        }
        var values: [String: Any] = ["tokens": tokens]
        if let created { values["created"] = created }
        return pages.render("admin-users", values, viewer: context)
    }

    struct TokenForm: Decodable {
        var user: String?
        var role: String?
        var label: String?
        var expires_in_days: String?
        var _csrf: String?
    }

    @Sendable func createToken(_ request: Request, context: ProctorRequestContext) async throws -> Response {
        let form = try await WebController.form(TokenForm.self, from: request)
        try WebController.checkCSRF(form._csrf, context: context)
        let user = (form.user ?? "").trimmingCharacters(in: .whitespaces), label = form.label ?? ""
        guard let role = Role(rawValue: form.role ?? "user") else { throw Problem.badRequest("a role is user, admin or worker") }
        var expiresIn: Double?
        if let days = form.expires_in_days?.trimmingCharacters(in: .whitespaces), !days.isEmpty {
            guard let value = Double(days) else { throw Problem.badRequest("expires in days is a number, or empty for a token that does not expire") }
            expiresIn = value * 86400
        }
        try TokenIssuer.check(user: user, label: label, expiresIn: expiresIn)
        let issued = try await TokenIssuer(store: state.store).issue(user: user, role: role, label: label, expiresIn: expiresIn)
        context.logger.info("token created", metadata: ["for": "\(user)", "role": "\(role.rawValue)", "token": "\(issued.token.id)"])
        return try await usersPage(context: context, created: ["user": user, "role": role.rawValue, "token": issued.text])
    }

    @Sendable func revokeToken(_ request: Request, context: ProctorRequestContext) async throws -> Response {
        struct Form: Decodable { var _csrf: String? }
        try WebController.checkCSRF(try await WebController.form(Form.self, from: request)._csrf, context: context)
        guard let id = Int64(context.parameters.get("id") ?? "") else { throw Problem.badRequest("name a token by its number") }
        guard try await state.revokeToken(id: id) else { throw Problem.notFound("no active token \(id)") }
        context.logger.info("token revoked", metadata: ["token": "\(id)"])
        return WebPage.redirect("/admin/users")
    }
}
