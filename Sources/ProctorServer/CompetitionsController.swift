import Foundation
import Hummingbird
import ProctorCore
import ProctorWorker

/// `/v1/competitions` and `/v1/queue`.
struct CompetitionsController {
    let state: ServiceState

    func register(on group: RouterGroup<ProctorRequestContext>) {
        group.get("competitions", use: list)
        group.get("competitions/{id}", use: show)
        group.get("competitions/{id}/leaderboard", use: leaderboard)
        group.get("queue", use: queue)
    }

    struct CompetitionResource: Encodable {
        var id, version, title: String
        var description: String?
        var acceptedFiles: [String]
        var outputFile: String
        var gpus: Int
        var maxExpectedTime: Double?
        var enabled: Bool
        var disabledReason: String?
        /// The software it brings, in words (`python 3.11 (environment/requirements.txt)`).
        var environment: String?
        /// Where that environment stands on each node, by node name.
        var environments: [String: EnvironmentStatus]?
        var scoreOrder: CompetitionManifest.ScoreOrder
        var endsAt: String?
        var ended: Bool
        var maxSubmissionsPerDay: Int?
        enum CodingKeys: String, CodingKey {
            case id, version, title, description, gpus, enabled, environment, environments, ended
            case scoreOrder = "score_order", endsAt = "ends_at", maxSubmissionsPerDay = "max_submissions_per_day"
            case acceptedFiles = "accepted_files", outputFile = "output_file", maxExpectedTime = "max_expected_time"
            case disabledReason = "disabled_reason"
        }

        /// A competition as loaded, disabled by the service when its grader fails everywhere (`disabled`).
        init(_ c: Competition, disabled: String? = nil, environments: [String: EnvironmentStatus]? = nil) {
            scoreOrder = c.manifest.scoreOrder ?? .higher
            endsAt = c.manifest.endsAt
            ended = c.manifest.hasEnded(at: Date())
            maxSubmissionsPerDay = c.manifest.maxSubmissionsPerDay
            if let declared = c.manifest.environment {
                environment = declared.python.map { "python \($0) (\(declared.requirements ?? ""))" } ?? declared.rootfs.map { "rootfs \($0)" }
                self.environments = declared.python == nil ? nil : environments ?? [:]
            }
            id = c.id
            version = c.version
            title = c.manifest.title
            description = c.manifest.description
            acceptedFiles = c.manifest.acceptedFiles
            outputFile = c.manifest.outputFile
            gpus = c.manifest.gpus ?? 0
            maxExpectedTime = c.manifest.maxExpectedTime
            enabled = c.isEnabled && disabled == nil
            disabledReason = c.disabledReason ?? disabled
        }
    }

    @Sendable func list(_ request: Request, context: ProctorRequestContext) async throws -> Response {
        let principal = try context.requirePrincipal()
        return try JSONResponse.make(["competitions": try await state.competitionResources(withReasons: principal.role == .admin)])
    }

    @Sendable func show(_ request: Request, context: ProctorRequestContext) async throws -> Response {
        let principal = try context.requirePrincipal()
        let id = context.parameters.get("id") ?? ""
        guard Identifier.isCompetitionID(id),
            let competition = state.catalog.current(id) ?? state.catalog.all.first(where: { $0.id == id })
        else { throw Problem(.notFound, slug: "unknown-competition", title: "Unknown competition", detail: "there is no competition '\(id.prefix(64))'") }
        return try JSONResponse.make(CompetitionResource(competition, disabled: try await state.graderHealth().disabledCompetitions()[id],
                                                         environments: try await state.environmentStatuses(withReasons: principal.role == .admin)[id]))
    }

    /// A competition's standings: each user's place, the score it ranks by,
    /// and which score that is (`public` until the end when the grader gives one).
    struct LeaderboardResource: Encodable {
        struct Row: Encodable {
            var rank: Int
            var user: String
            var score: Double
            var submittedAt: Date
            var entries: Int
            /// The job holding the place: the caller's own, or any for admins.
            var job: String?
            enum CodingKeys: String, CodingKey { case rank, user, score, entries, job, submittedAt = "submitted_at" }
        }
        var competition: String
        var scoreOrder: CompetitionManifest.ScoreOrder
        var basis: Leaderboard.Basis
        var endsAt: String?
        var ended: Bool
        var rows: [Row]
        enum CodingKeys: String, CodingKey {
            case competition, basis, ended, rows, scoreOrder = "score_order", endsAt = "ends_at"
        }
    }

    @Sendable func leaderboard(_ request: Request, context: ProctorRequestContext) async throws -> Response {
        let principal = try context.requirePrincipal()
        let id = context.parameters.get("id") ?? ""
        guard Identifier.isCompetitionID(id), let competition = state.catalog.current(id) ?? state.catalog.all.first(where: { $0.id == id }) else {
            throw Problem(.notFound, slug: "unknown-competition", title: "Unknown competition", detail: "there is no competition '\(id.prefix(64))'")
        }
        let board = try await state.leaderboard(competition)
        let rows = board.rows.map { row in
            LeaderboardResource.Row(rank: row.rank, user: row.user, score: row.score, submittedAt: row.submittedAt, entries: row.entries,
                                    job: principal.isAdmin || row.user == principal.user.name ? row.jobID : nil)
        }
        return try JSONResponse.make(LeaderboardResource(
            competition: id, scoreOrder: competition.manifest.scoreOrder ?? .higher, basis: board.basis, endsAt: competition.manifest.endsAt,
            ended: competition.manifest.hasEnded(at: Date()), rows: rows))
    }

    struct QueueResource: Encodable {
        var depth: Int
        var running: Int
        var slots: Int
        var averageRunSeconds: Double
        var yourJobs: [JobResource]
        enum CodingKeys: String, CodingKey {
            case depth, running, slots, averageRunSeconds = "average_run_seconds", yourJobs = "your_jobs"
        }
    }

    @Sendable func queue(_ request: Request, context: ProctorRequestContext) async throws -> Response {
        let principal = try context.requirePrincipal()
        let placement = try await state.placement(competitionID: nil)
        // The user's first 100 queued jobs in their own order: the k-th has rank k.
        let mine = try await state.store.queuedJobs(userID: principal.user.id, limit: 100)
        var jobs: [JobResource] = []
        for (rank, job) in mine.enumerated() { jobs.append(try await state.resource(job, placement: placement, rank: rank)) }
        return try JSONResponse.make(QueueResource(
            depth: placement.snapshot.depth, running: placement.snapshot.running, slots: placement.slots,
            averageRunSeconds: placement.averageSeconds, yourJobs: jobs.sorted { ($0.position ?? 0) < ($1.position ?? 0) }))
    }
}
