import Foundation
import GRDB
import ProctorCore
import ProctorStore
import Testing

/// One suite, both stores: SQLite and PostgreSQL must behave alike in every
/// rule a user or a worker relies on.
@Suite struct StoreConformanceTests {
    let later = Date().addingTimeInterval(600)

    /// Where PostgreSQL is not configured its cases are left out of every
    /// test below, and this test says so by being skipped. Under CI they
    /// always run (`.ci/run` starts PostgreSQL and fails if it cannot).
    @Test(.enabled(if: StoreKind.postgresURL != nil,
                   "PostgreSQL is not configured: set PROCTOR_TEST_POSTGRES (bash .ci/postgres.sh start) to run its conformance cases"))
    func postgresCasesRun() async throws {
        #expect(StoreKind.available.contains(.postgres))
        _ = try await StoreKind.postgres.make().users()
    }

    /// The queue and running counts the claims and positions read (kept by
    /// triggers) agree with the jobs themselves after every kind of change.
    @Test(arguments: StoreKind.available)
    func queueCountsFollowEveryChange(kind: StoreKind) async throws {
        let store = try await kind.make()
        let a = try await store.createUser(name: "a", at: Date()), b = try await store.createUser(name: "b", at: Date())
        var ids: [String] = []
        for user in [a, a, a, b, b] { ids.append(try await store.insert(.sample(user: user.id), limits: nil).job.id) }
        _ = try await store.setPriority(jobID: ids[1], priority: 2, actor: "admin", at: Date())
        let first = try #require(try await store.claim(worker: "w", competitions: ["c"], maxRunningPerUser: 5, at: Date(), leaseUntil: later))
        let second = try #require(try await store.claim(worker: "w", competitions: ["c"], maxRunningPerUser: 5, at: Date(), leaseUntil: later))
        _ = try await store.report(jobID: first.id, worker: "w", update: JobUpdate(state: .running, reason: "started"), at: Date())
        _ = try await store.report(jobID: first.id, worker: "w", update: JobUpdate(state: .succeeded, reason: "done", score: 1), at: Date())
        _ = try await store.cancel(jobID: ids[4], actor: "user", at: Date())
        _ = try await store.requeueExpired(at: Date(), heldBy: "w", maxAttempts: 3)  // `second` goes back to the queue
        var expected: [String: Int] = [:]
        var running = 0
        for id in ids {
            let job = try #require(try await store.job(id: id))
            if job.state == .queued { expected["\(job.userID)/\(job.priority)", default: 0] += 1 }
            if job.state == .leased || job.state == .running { running += 1 }
        }
        let snapshot = try await store.queueSnapshot()
        var counted: [String: Int] = [:]
        for entry in snapshot.entries { counted["\(entry.userID)/\(entry.priority)", default: 0] += entry.count }
        #expect(counted == expected)
        #expect(snapshot.running == running)
        #expect(try await store.job(id: second.id)?.state == .queued)
        #expect(try await store.stateCounts()[.succeeded] == 1)
        #expect(try await store.stateCounts()[.cancelled] == 1)
    }

    /// Old history goes, with its events, only once its files are gone; on
    /// SQLite the freed pages go back to the file system.
    @Test(arguments: StoreKind.available)
    func historyIsDeletedOnceItsFilesAreGone(kind: StoreKind) async throws {
        let (store, path) = try await kind.makeWithPath()
        let user = try await store.createUser(name: "h", at: Date())
        let long = String(repeating: "x", count: 3000)
        var ids: [String] = []
        for i in 0..<400 {
            var job = Job.sample(user: user.id)
            job.metadata = .string(long)
            ids.append(try await store.insert(job, limits: nil).job.id)
            _ = try await store.claim(worker: "w", competitions: ["c"], maxRunningPerUser: 1000, at: Date(), leaseUntil: later)
            _ = try await store.report(jobID: job.id, worker: "w", update: JobUpdate(state: .running, reason: "r"), at: Date())
            let finished = Date().addingTimeInterval(i < 300 ? -7200 : 0)
            _ = try await store.report(jobID: job.id, worker: "w", update: JobUpdate(state: .succeeded, reason: "s", score: 1), at: finished)
        }
        let cutoff = Date().addingTimeInterval(-3600)
        #expect(try await store.deleteHistory(finishedBefore: cutoff, limit: 1000) == 0)  // files not pruned yet
        #expect(try await store.takePrunable(before: cutoff, limit: 1000).count == 300)
        let pagesBefore = try path.map { try Self.pages($0) }
        #expect(try await store.deleteHistory(finishedBefore: cutoff, limit: 1000) == 300)
        #expect(try await store.job(id: ids[0]) == nil)
        #expect(try await store.events(jobID: ids[0]).isEmpty)
        #expect(try await store.job(id: ids[399])?.state == .succeeded)
        #expect(try await store.stateCounts()[.succeeded] == 100)
        if let path, let before = pagesBefore {
            let after = try Self.pages(path)
            #expect(after.free == 0)
            #expect(after.total < before.total / 2)
        }
    }

    /// "Token database grows unbounded over time": tokens revoked or expired before the history
    /// cutoff go; live ones, and ones that ended after it, stay.
    @Test(arguments: StoreKind.available)
    func tokensThatEndedBeforeTheCutoffAreDeleted(kind: StoreKind) async throws {
        let store = try await kind.make()
        let user = try await store.createUser(name: "t", at: Date())
        let old = Date().addingTimeInterval(-7200), cutoff = Date().addingTimeInterval(-3600)
        func token(_ name: String, expiresAt: Date? = nil) async throws -> Token {
            try await store.createToken(userID: user.id, role: .user, hash: name, label: name, at: old, expiresAt: expiresAt)
        }
        let live = try await token("live"), revokedLongAgo = try await token("revoked-long-ago"), revokedLately = try await token("revoked-lately")
        _ = try await token("expired-long-ago", expiresAt: old)
        let expiresLater = try await token("expires-later", expiresAt: Date().addingTimeInterval(3600))
        _ = try await store.revokeToken(id: revokedLongAgo.id, at: old)
        _ = try await store.revokeToken(id: revokedLately.id, at: Date())
        #expect(try await store.deleteEndedTokens(before: cutoff) == 2)
        #expect(Set(try await store.tokens(userID: user.id).map(\.id)) == [live.id, revokedLately.id, expiresLater.id])
        #expect(try await store.useToken(hash: "live", at: Date()) != nil)
    }

    /// The file's page count and free pages, read on a connection of its own.
    static func pages(_ path: String) throws -> (total: Int, free: Int) {
        let queue = try DatabaseQueue(path: path)
        return try queue.read { db in
            (try Int.fetchOne(db, sql: "PRAGMA page_count") ?? 0, try Int.fetchOne(db, sql: "PRAGMA freelist_count") ?? 0)
        }
    }

    /// The fair order, exactly: priority first, then the user who was served
    /// least recently (never served first), then submission order, with each
    /// claim making its user the most recent. Checked against a model of that
    /// rule over many users, priorities and claims.
    @Test(arguments: StoreKind.available)
    func claimsFollowTheFairOrderExactly(kind: StoreKind) async throws {
        let store = try await kind.make()
        var generator = SeededGenerator(seed: 42)
        var users: [Int64] = []
        for i in 0..<12 { users.append(try await store.createUser(name: "fair\(i)", at: Date()).id) }
        struct Queued { var id: String; var user: Int64; var priority: Int; var order: Int }
        var queued: [Queued] = []
        let start = Date()
        for order in 0..<150 {
            let user = users[Int.random(in: 0..<users.count, using: &generator)]
            var job = Job.sample(user: user, at: start.addingTimeInterval(Double(order) / 1000))
            job.priority = [0, 0, 0, 1, 2].randomElement(using: &generator) ?? 0
            queued.append(Queued(id: try await store.insert(job, limits: nil).job.id, user: user, priority: job.priority, order: order))
        }
        // Admins raise a few jobs while they wait.
        for index in stride(from: 5, to: 150, by: 37) {
            _ = try await store.setPriority(jobID: queued[index].id, priority: 3, actor: "admin", at: Date())
            queued[index].priority = 3
        }
        // Each user's queued jobs in the order they will run: what queue ranks are read from.
        for user in users {
            let expected = queued.filter { $0.user == user }.sorted { ($0.priority, $1.order) > ($1.priority, $0.order) }.map(\.id)
            #expect(try await store.queuedJobs(userID: user, limit: 100).map(\.id) == expected)
            #expect(try await store.queuedJobs(userID: user, limit: 2).map(\.id) == Array(expected.prefix(2)))
        }
        var lastServed: [Int64: Int] = [:]
        var step = 0
        while let job = try await store.claim(worker: "w", competitions: ["c"], maxRunningPerUser: 1000, at: start.addingTimeInterval(Double(step)),
                                              leaseUntil: later) {
            let expected = queued.min { a, b in
                if a.priority != b.priority { return a.priority > b.priority }
                let ra = lastServed[a.user] ?? -1, rb = lastServed[b.user] ?? -1
                if ra != rb { return ra < rb }
                return a.order < b.order
            }
            #expect(job.id == expected?.id, "claim \(step)")
            guard job.id == expected?.id else { break }
            queued.removeAll { $0.id == job.id }
            lastServed[job.userID] = step
            step += 1
        }
        #expect(queued.isEmpty)
        #expect(step == 150)
    }

    @Test(arguments: StoreKind.available)
    func usersAndTokens(kind: StoreKind) async throws {
        let store = try await kind.make()
        let alice = try await store.createUser(name: "alice", at: Date())
        #expect(try await store.createUser(name: "alice", at: Date()).id == alice.id)
        await #expect(throws: StoreError.self) { try await store.createUser(name: "Bad Name", at: Date()) }
        let token = try await store.createToken(userID: alice.id, role: .admin, hash: String(repeating: "a", count: 64), label: "t", at: Date(), expiresAt: nil)
        let (found, user) = try #require(try await store.useToken(hash: token.hash, at: Date()))
        #expect(found.role == .admin && user.name == "alice" && found.lastUsedAt != nil)
        #expect(try await store.useToken(hash: String(repeating: "b", count: 64), at: Date()) == nil)
        #expect(try await store.revokeToken(id: token.id, at: Date()))
        #expect(try await store.revokeToken(id: token.id, at: Date()) == false)
        #expect(try await store.useToken(hash: token.hash, at: Date())?.0.revokedAt != nil)
        try await store.setUserDisabled(id: alice.id, true)
        #expect(try await store.user(named: "alice")?.disabled == true)
    }

    @Test(arguments: StoreKind.available)
    func insertIsIdempotentAndHoldsQuotas(kind: StoreKind) async throws {
        let store = try await kind.make()
        let user = try await store.createUser(name: "u", at: Date())
        let first = try await store.insert(.sample(user: user.id, key: "k"), limits: nil)
        let again = try await store.insert(.sample(user: user.id, key: "k"), limits: nil)
        #expect(first.created && !again.created && first.job.id == again.job.id)
        let limits = SubmissionLimits(maxQueued: 3, maxPerWindow: 100, windowStart: Date().addingTimeInterval(-60))
        let results = try await withThrowingTaskGroup(of: Bool.self) { group in
            for _ in 0..<10 {
                group.addTask { (try? await store.insert(.sample(user: user.id), limits: limits)) != nil }
            }
            return try await group.reduce(into: [Bool]()) { $0.append($1) }
        }
        #expect(results.filter { $0 }.count == 2)  // 3 queued at most, one was there already
        let rate = SubmissionLimits(maxQueued: 100, maxPerWindow: 3, windowStart: Date().addingTimeInterval(-60))
        await #expect(throws: StoreError.self) { try await store.insert(.sample(user: user.id), limits: rate) }
    }

    @Test(arguments: StoreKind.available)
    func claimsAreFairPrioritisedAndBounded(kind: StoreKind) async throws {
        let store = try await kind.make()
        let a = try await store.createUser(name: "a", at: Date()), b = try await store.createUser(name: "b", at: Date())
        var ids: [String] = []
        for user in [a, a, a, b] { ids.append(try await store.insert(.sample(user: user.id), limits: nil).job.id) }
        let other = try await store.insert(.sample(user: b.id, competition: "other"), limits: nil).job.id
        var order: [String] = []
        while let job = try await store.claim(worker: "w", competitions: ["c"], maxRunningPerUser: 10, at: Date(), leaseUntil: later) {
            order.append(job.id)
            #expect(job.state == .leased && job.attempts == 1 && job.leaseOwner == "w")
        }
        #expect(order == [ids[0], ids[3], ids[1], ids[2]])
        #expect(try await store.job(id: other)?.state == .queued)

        let c = try await store.createUser(name: "c", at: Date())
        for _ in 0..<3 { _ = try await store.insert(.sample(user: c.id), limits: nil) }
        #expect(try await store.claim(worker: "w", competitions: ["c"], maxRunningPerUser: 1, at: Date(), leaseUntil: later) != nil)
        #expect(try await store.claim(worker: "w", competitions: ["c"], maxRunningPerUser: 1, at: Date(), leaseUntil: later) == nil)
        let urgent = try await store.insert(.sample(user: b.id), limits: nil).job
        let raised = try await store.setPriority(jobID: urgent.id, priority: 9, actor: "admin:root", at: Date())
        #expect(raised?.priority == 9)
        #expect(try await store.claim(worker: "w", competitions: ["c"], maxRunningPerUser: 10, at: Date(), leaseUntil: later)?.id == urgent.id)
    }

    @Test(arguments: StoreKind.available)
    func concurrentClaimersNeverShareAJob(kind: StoreKind) async throws {
        let store = try await kind.make()
        var users: [User] = []
        for i in 0..<10 { users.append(try await store.createUser(name: "u\(i)", at: Date())) }
        for i in 0..<200 { _ = try await store.insert(.sample(user: users[i % 10].id), limits: nil) }
        let claimed = try await withThrowingTaskGroup(of: [String].self) { group in
            for worker in 0..<8 {
                group.addTask {
                    var mine: [String] = []
                    while let job = try await store.claim(worker: "w\(worker)", competitions: ["c"], maxRunningPerUser: 1000, at: Date(), leaseUntil: Date().addingTimeInterval(600)) {
                        mine.append(job.id)
                    }
                    return mine
                }
            }
            return try await group.reduce(into: [String]()) { $0 += $1 }
        }
        #expect(claimed.count == 200)
        #expect(Set(claimed).count == 200)
    }

    /// Sixteen claimers racing for one user's jobs never give that user more
    /// running jobs than the quota, not even one more.
    @Test(arguments: StoreKind.available)
    func concurrentClaimersNeverExceedARunningQuota(kind: StoreKind) async throws {
        let store = try await kind.make()
        let busy = try await store.createUser(name: "busy", at: Date()), other = try await store.createUser(name: "other", at: Date())
        for _ in 0..<60 { _ = try await store.insert(.sample(user: busy.id), limits: nil) }
        for _ in 0..<20 { _ = try await store.insert(.sample(user: other.id), limits: nil) }
        for round in 0..<3 {
            let claimed = try await withThrowingTaskGroup(of: [Job].self) { group in
                for worker in 0..<16 {
                    group.addTask {
                        var mine: [Job] = []
                        while let job = try await store.claim(worker: "r\(round)w\(worker)", competitions: ["c"], maxRunningPerUser: 3,
                                                              at: Date(), leaseUntil: Date().addingTimeInterval(600)) {
                            mine.append(job)
                        }
                        return mine
                    }
                }
                return try await group.reduce(into: [Job]()) { $0 += $1 }
            }
            #expect(claimed.filter { $0.userID == busy.id }.count == 3, "round \(round)")
            #expect(claimed.filter { $0.userID == other.id }.count == 3, "round \(round)")
            // Those finish; the next round may start three more of each.
            for job in claimed {
                _ = try await store.report(jobID: job.id, worker: job.leaseOwner ?? "", update: JobUpdate(state: .running, reason: "r"), at: Date())
                _ = try await store.report(jobID: job.id, worker: job.leaseOwner ?? "", update: JobUpdate(state: .succeeded, reason: "s", score: 1), at: Date())
            }
        }
    }

    @Test(arguments: StoreKind.available)
    func reportsFollowTheLeaseAndTheStateMachine(kind: StoreKind) async throws {
        let store = try await kind.make()
        let user = try await store.createUser(name: "u", at: Date())
        let id = try await store.insert(.sample(user: user.id), limits: nil).job.id
        _ = try await store.claim(worker: "w1", competitions: ["c"], maxRunningPerUser: 5, at: Date(), leaseUntil: later)
        #expect(try await store.report(jobID: id, worker: "intruder", update: JobUpdate(state: .running, reason: "x"), at: Date()) == nil)
        let running = try await store.report(jobID: id, worker: "w1", update: JobUpdate(state: .running, reason: "start"), at: Date())
        #expect(running?.state == .running && running?.startedAt != nil)
        #expect(try await store.renew(jobID: id, worker: "w1", until: later)?.id == id)
        let done = try await store.report(jobID: id, worker: "w1", update: JobUpdate(state: .succeeded, reason: "ok", score: 0.5, results: [.object(["score": .number(0.5)])]), at: Date())
        #expect(done?.state == .succeeded && done?.score == 0.5 && done?.leaseOwner == nil)
        #expect(try await store.report(jobID: id, worker: "w1", update: JobUpdate(state: .failed, reason: "again"), at: Date()) == nil)
        #expect(try await store.renew(jobID: id, worker: "w1", until: later) == nil)
        let events = try await store.events(jobID: id).map(\.to)
        #expect(events == [.queued, .leased, .running, .succeeded])
    }

    @Test(arguments: StoreKind.available)
    func cancellationAndLapsedLeases(kind: StoreKind) async throws {
        let store = try await kind.make()
        let user = try await store.createUser(name: "u", at: Date())
        let queued = try await store.insert(.sample(user: user.id), limits: nil).job.id
        #expect(try await store.cancel(jobID: queued, actor: "user:u", at: Date())?.state == .cancelled)
        let active = try await store.insert(.sample(user: user.id), limits: nil).job.id
        let past = Date().addingTimeInterval(-30)
        _ = try await store.claim(worker: "gone", competitions: ["c"], maxRunningPerUser: 5, at: past, leaseUntil: past.addingTimeInterval(5))
        #expect(try await store.cancel(jobID: active, actor: "user:u", at: Date())?.cancelRequested == true)
        let lapsed = try await store.requeueExpired(at: Date(), heldBy: nil, maxAttempts: 3)
        #expect(lapsed.map(\.state) == [.cancelled])

        let retried = try await store.insert(.sample(user: user.id), limits: nil).job.id
        for _ in 0..<3 {
            _ = try await store.claim(worker: "flaky", competitions: ["c"], maxRunningPerUser: 5, at: past, leaseUntil: past.addingTimeInterval(5))
            _ = try await store.requeueExpired(at: Date(), heldBy: nil, maxAttempts: 3)
        }
        let final = try await store.job(id: retried)
        #expect(final?.state == .errored && final?.attempts == 3 && final?.error?.fault == .infrastructure)

        let restarted = try await store.insert(.sample(user: user.id), limits: nil).job.id
        _ = try await store.claim(worker: "local", competitions: ["c"], maxRunningPerUser: 5, at: Date(), leaseUntil: later)
        #expect(try await store.requeueExpired(at: Date(), heldBy: nil, maxAttempts: 3).isEmpty)
        #expect(try await store.requeueExpired(at: Date(), heldBy: "local", maxAttempts: 3).map(\.id) == [restarted])
    }

    @Test(arguments: StoreKind.available)
    func listingsPagesAndAccounting(kind: StoreKind) async throws {
        let store = try await kind.make()
        let u = try await store.createUser(name: "u", at: Date()), v = try await store.createUser(name: "v", at: Date())
        var mine: [String] = []
        for _ in 0..<5 { mine.append(try await store.insert(.sample(user: u.id), limits: nil).job.id) }
        _ = try await store.insert(.sample(user: v.id), limits: nil)
        let first = try await store.jobs(JobFilter(userID: u.id, limit: 2))
        #expect(first.jobs.map(\.id) == [mine[4], mine[3]])
        let second = try await store.jobs(JobFilter(userID: u.id, cursor: first.nextCursor, limit: 10))
        #expect(second.jobs.map(\.id) == [mine[2], mine[1], mine[0]] && second.nextCursor == nil)
        await #expect(throws: StoreError.self) { try await store.jobs(JobFilter(cursor: "nope")) }
        #expect(try await store.jobs(JobFilter(state: .queued)).jobs.count == 6)
        let snapshot = try await store.queueSnapshot()
        #expect(snapshot.depth == 6)
        let job = try #require(try await store.job(id: mine[2]))
        #expect(try await store.rank(of: job) == 2)
        #expect(try await store.stateCounts()[.queued] == 6)
        _ = try await store.cancel(jobID: mine[0], actor: "u", at: Date())
        #expect(try await store.takePrunable(before: Date().addingTimeInterval(1), limit: 10) == [mine[0]])
        #expect(try await store.takePrunable(before: Date().addingTimeInterval(1), limit: 10).isEmpty)
    }

    @Test(arguments: StoreKind.available)
    func nodesRegisterAndDrain(kind: StoreKind) async throws {
        let store = try await kind.make()
        let first = try await store.touchNode(name: "node-7", slots: 2, labels: ["gpu": "h100"], version: "1", at: Date())
        #expect(first.state == .active && first.labels["gpu"] == "h100")
        #expect(try await store.setNodeState(name: "node-7", .draining)?.state == .draining)
        let again = try await store.touchNode(name: "node-7", slots: 4, labels: [:], version: "2", at: Date())
        #expect(again.state == .draining && again.slots == 4)
        #expect(try await store.nodes().map(\.name) == ["node-7"])
        #expect(try await store.setNodeState(name: "nope", .active) == nil)
        #expect(again.status(at: Date().addingTimeInterval(120), timeout: 60) == "offline")
    }

    @Test(arguments: StoreKind.available)
    func theShortLaneTakesOnlyShortJobs(kind: StoreKind) async throws {
        let store = try await kind.make()
        let user = try await store.createUser(name: "u", at: Date())
        var long = Job.sample(user: user.id)
        long.expectedTime = 3600
        var short = Job.sample(user: user.id)
        short.expectedTime = 10
        _ = try await store.insert(long, limits: nil)
        _ = try await store.insert(short, limits: nil)
        let lane = try await store.claim(worker: "w", competitions: ["c"], maxRunningPerUser: 9, maxExpectedTime: 60, at: Date(), leaseUntil: later)
        #expect(lane?.id == short.id)
        #expect(try await store.claim(worker: "w", competitions: ["c"], maxRunningPerUser: 9, maxExpectedTime: 60, at: Date(), leaseUntil: later) == nil)
        #expect(try await store.claim(worker: "w", competitions: ["c"], maxRunningPerUser: 9, at: Date(), leaseUntil: later)?.id == long.id)
    }
}

/// A small deterministic generator, so a failing order can be replayed.
struct SeededGenerator: RandomNumberGenerator {
    var state: UInt64
    init(seed: UInt64) { state = seed }
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}
