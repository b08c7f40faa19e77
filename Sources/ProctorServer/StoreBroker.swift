import Foundation
import ProctorCore
import ProctorStore
import ProctorWorker

/// The broker of the worker inside `proctor serve`: the store directly, and
/// the job files already on the same disk.
public struct StoreBroker: JobBroker {
    let store: JobStore
    let worker: String
    let leaseSeconds: Double
    let maxRunningPerUser: Int
    /// The service's retry bound (the store applies it to every report).
    let maxAttempts: Int

    public init(store: JobStore, worker: String, leaseSeconds: Double, maxRunningPerUser: Int,
                maxAttempts: Int = JobTransitions.defaultMaxAttempts) {
        self.store = store
        self.worker = worker
        self.leaseSeconds = leaseSeconds
        self.maxRunningPerUser = maxRunningPerUser
        self.maxAttempts = maxAttempts
    }

    /// Competitions whose grader fails here (or everywhere) are left out
    /// (``GraderHealth``). The environments' states are not stored: the
    /// service asks its own worker for them.
    public func claim(competitions: Set<String>, environments: [String: EnvironmentStatus], freeSlots: Int,
                      maxExpectedTime: Double?) async throws -> Job? {
        let now = Date()
        let excluded = try await store.graderHealth().excluded(for: worker)
        return try await store.claim(worker: worker, competitions: competitions.subtracting(excluded.keys), maxRunningPerUser: maxRunningPerUser,
                                     maxExpectedTime: maxExpectedTime, at: now, leaseUntil: now.addingTimeInterval(leaseSeconds))
    }

    public func renew(_ job: Job) async throws -> LeaseRenewal? {
        try await store.renew(jobID: job.id, worker: worker, until: Date().addingTimeInterval(leaseSeconds))
            .map { LeaseRenewal(cancelRequested: $0.cancelRequested) }
    }

    public func report(_ job: Job, _ update: JobUpdate) async throws -> Bool {
        guard try await store.report(jobID: job.id, worker: worker, update: update, at: Date(), maxAttempts: maxAttempts) != nil else {
            return false
        }
        if update.state.isTerminal { try await store.recordGrading(update, competitionID: job.competitionID, on: worker) }
        return true
    }

    public func fetchSubmission(_ job: Job, into paths: JobPaths) async throws {}
    public func publishLogs(_ job: Job, from paths: JobPaths) async throws {}
}
