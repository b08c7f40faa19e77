import Foundation
import ProctorCore
import ProctorStore
import ProctorWorker

/// What every route needs: the store, the competitions, the local worker (if
/// any) and the configuration.
struct ServiceState: Sendable {
    let store: JobStore
    let catalog: CompetitionCatalog
    let worker: Worker?
    /// Rung on every submission, for remote workers waiting in a long poll.
    let doorbell: Doorbell
    /// Healthy GPUs of the local worker.
    let localGPUs: Int

    /// Whether some worker (local, or a remote node seen lately) has `gpus` GPUs.
    func canRunGPUJobs(needing gpus: Int) async throws -> Bool {
        if worker != nil && localGPUs >= gpus { return true }
        let now = Date()
        return try await store.nodes().contains { node in
            node.status(at: now, timeout: configuration.leaseSeconds * 2) == "active" && Int(node.labels["gpus"] ?? "") ?? 0 >= gpus
        }
    }
    let configuration: ServerConfiguration

    /// Whether some worker can run jobs of `competitionID` now, or will once
    /// it has built the competition's environment: the local worker, or a
    /// remote node seen lately that asked for its jobs. A node whose grader
    /// fails for the competition does not count (``GraderHealth``).
    func canRun(competitionID: String) async throws -> Bool {
        let graders = try await graderHealth()
        if let worker, graders.excluded(for: configuration.localWorkerID)[competitionID] == nil {
            if worker.runnable.contains(competitionID) { return true }
            if await worker.environmentStatuses()[competitionID]?.state == .building { return true }
        }
        let now = Date()
        return try await store.nodes().contains { node in
            node.status(at: now, timeout: configuration.leaseSeconds * 2) == "active"
                && (node.competitions.contains(competitionID) || node.environments[competitionID]?.state == .building)
                && graders.excluded(for: node.name)[competitionID] == nil
        }
    }

    /// Grader health remembered for a second: every lease and every
    /// submission reads it. Changes made through this replica's API drop it at
    /// once (``gradersChanged()``).
    let graders: ExpiringCache<String, GraderHealth>

    /// Every node's grader streaks, at most a second old.
    func graderHealth() async throws -> GraderHealth {
        try await graders.value(for: "") { try await store.graderHealth() } ?? GraderHealth(streaks: [])
    }

    /// Says this replica just changed grader streaks.
    func gradersChanged() { graders.removeAll() }

    /// Why `competitionID` takes no jobs, if it takes none: its manifest or
    /// data (every version disabled), or its grader failing on every node.
    func disabledReason(_ competitionID: String) async throws -> String? {
        if let reason = catalog.disabledReason(competitionID) { return reason }
        return try await graderHealth().disabledCompetitions()[competitionID]
    }

    /// Every competition as the API shows it: disabled by its manifest or data,
    /// or by the service because its grader fails everywhere.
    func competitionResources(withReasons: Bool = true) async throws -> [CompetitionsController.CompetitionResource] {
        let disabled = try await graderHealth().disabledCompetitions()
        let environments = try await environmentStatuses(withReasons: withReasons)
        return catalog.all.map { competition in
            CompetitionsController.CompetitionResource(competition, disabled: disabled[competition.id], environments: environments[competition.id])
        }
    }

    /// Where each competition's environment stands on each node that is not
    /// offline (the local worker included), by competition id then node name.
    /// A build's failure reason (a tool's output, the node's paths) is for
    /// admins: without `withReasons` only the state is told.
    func environmentStatuses(withReasons: Bool = true) async throws -> [String: [String: EnvironmentStatus]] {
        var byCompetition: [String: [String: EnvironmentStatus]] = [:]
        let now = Date()
        for node in try await store.nodes() where node.status(at: now, timeout: configuration.leaseSeconds * 2) != "offline" {
            for (competition, status) in node.environments { byCompetition[competition, default: [:]][node.name] = status }
        }
        if let worker {
            for (competition, status) in await worker.environmentStatuses() {
                byCompetition[competition, default: [:]][configuration.localWorkerID] = status
            }
        }
        guard !withReasons else { return byCompetition }
        return byCompetition.mapValues { $0.mapValues { EnvironmentStatus($0.state) } }
    }

    /// Words for users when `competitionID`'s environment failed to build on
    /// some node (the organizer must fix it), or `nil`.
    func environmentFailure(_ competitionID: String) async throws -> String? {
        guard try await environmentStatuses()[competitionID]?.values.contains(where: { $0.state == .failed }) == true else { return nil }
        return "the competition's software environment failed to build on the nodes; its organizers have been told the reason"
    }

    /// Queue shapes remembered for a quarter of a second (shared by every
    /// route): at a deadline rush every participant polls a queued job, and an
    /// estimate that old is as good as a fresh one. Changes made through this
    /// replica's API drop them at once (``queueChanged()``).
    let placements: ExpiringCache<String, QueuePlacement>

    /// Each competition's scored submissions, at most a second old.
    let standings: ExpiringCache<String, [Leaderboard.Submission]>

    /// Browser sessions found by their cookie's hash, at most a second old.
    let sessions: ExpiringCache<String, SessionLookup>

    /// Says this replica just ended a session or a token: its pages stop at once.
    func sessionsChanged() { sessions.removeAll() }

    /// Revokes a token, from the API or a page alike: this replica's pages
    /// signed in with it stop at once (others within their cache's second).
    /// False when no active token has that id.
    func revokeToken(id: Int64) async throws -> Bool {
        let revoked = try await store.revokeToken(id: id, at: Date())
        sessionsChanged()
        return revoked
    }

    /// Disables a user (their tokens and pages stop working), from the API or a page alike.
    func disableUser(id: Int64) async throws {
        try await store.setUserDisabled(id: id, true)
        sessionsChanged()
    }

    /// The leaderboard of `competition` as of now (public before its end, when its grader gives public scores).
    func leaderboard(_ competition: Competition) async throws -> Leaderboard {
        let id = competition.id
        let submissions = try await standings.value(for: id) { try await store.scoredSubmissions(competitionID: id) } ?? []
        return Leaderboard(submissions, order: competition.manifest.scoreOrder ?? .higher, ended: competition.manifest.hasEnded(at: Date()))
    }

    /// Places queued jobs in the fair queue (one snapshot for all of them,
    /// at most a quarter of a second old).
    func placement(competitionID: String?) async throws -> QueuePlacement {
        let fresh = { @Sendable in try await self.freshPlacement(competitionID: competitionID) }
        guard let placement = try await placements.value(for: competitionID ?? "", make: fresh) else { return try await fresh() }
        return placement
    }

    /// Says this replica just changed the queue: positions are computed afresh.
    func queueChanged() { placements.removeAll() }

    private func freshPlacement(competitionID: String?) async throws -> QueuePlacement {
        let snapshot = try await store.queueSnapshot()
        let average = try await store.averageRunSeconds(competitionID: competitionID) ?? 30
        // Capacity is this server's worker plus every remote node seen lately.
        let now = Date()
        let remote = try await store.nodes().filter { $0.status(at: now, timeout: configuration.leaseSeconds * 2) == "active" }
            .reduce(0) { $0 + $1.slots }
        return QueuePlacement(snapshot: snapshot, averageSeconds: average, slots: max(configuration.localSlots + remote, 1))
    }

    /// The API form of `job`, with its place in the queue while queued. A
    /// caller that knows the job's `rank` among its user's queued jobs saves
    /// the store a query.
    func resource(_ job: Job, placement: QueuePlacement? = nil, userName: String? = nil, rank: Int? = nil) async throws -> JobResource {
        var place: (Int, Double?)?
        if job.state == .queued {
            let current: QueuePlacement
            if let placement { current = placement } else { current = try await self.placement(competitionID: job.competitionID) }
            let known: Int
            if let rank { known = rank } else { known = try await store.rank(of: job) }
            place = current.place(job, rank: known)
        }
        return JobResource(job, userName: userName, placement: place, hidingPrivateScore: userName == nil && hidesPrivateScores(job))
    }

    /// Whether a participant must not see `job`'s private score yet: its
    /// grader gives a public one and the competition has not ended.
    func hidesPrivateScores(_ job: Job) -> Bool {
        guard job.publicScore != nil else { return false }
        let manifest = (catalog.current(job.competitionID) ?? catalog.competition(job.competitionID, version: job.competitionVersion))?.manifest
        return !(manifest?.hasEnded(at: Date()) ?? false)
    }

    /// The job, with its rank among its user's queued jobs while queued, if
    /// `principal` may see it (see ``visibleJob(_:to:)``).
    func visiblePlacedJob(_ id: String, to principal: Principal) async throws -> (job: Job, rank: Int?) {
        try await visible(id, to: principal, read: store.placedJob(id:), job: \.job)
    }

    /// The job if `principal` may see it. Another user's job is "not found",
    /// exactly like a job that does not exist, so ids cannot be probed.
    func visibleJob(_ id: String, to principal: Principal) async throws -> Job {
        try await visible(id, to: principal, read: store.job(id:), job: \.self)
    }

    /// The one check behind both: a well-formed id, a row, and a caller allowed to see it.
    private func visible<Found>(_ id: String, to principal: Principal, read: (String) async throws -> Found?,
                                job: (Found) -> Job) async throws -> Found {
        guard Identifier.isJobID(id), let found = try await read(id), principal.isAdmin || job(found).userID == principal.user.id
        else { throw Problem.notFound("no job \(id.prefix(64)) among yours") }
        return found
    }
}
