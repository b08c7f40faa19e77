import Foundation
import ProctorCore
import ProctorStore

/// What a lease renewal says: keep going, or stop because the job was cancelled.
public struct LeaseRenewal: Sendable {
    public var cancelRequested: Bool
    public init(cancelRequested: Bool) { self.cancelRequested = cancelRequested }
}

/// Where a worker gets jobs and sends results: the seam between the worker
/// inside `proctor serve` (straight to the store, files on the same disk) and
/// `proctor worker` on another node (over HTTP, files transferred).
public protocol JobBroker: Sendable {
    /// The next job for this worker, or `nil` when there is none (or it is
    /// draining); with `maxExpectedTime`, only a job expected to be that short.
    func claim(competitions: Set<String>, freeSlots: Int, maxExpectedTime: Double?) async throws -> Job?
    /// Extends the lease; `nil` when the worker no longer holds the job.
    func renew(_ job: Job) async throws -> LeaseRenewal?
    /// Sends an update; false when it was refused (the lease was lost).
    func report(_ job: Job, _ update: JobUpdate) async throws -> Bool
    /// Puts the submitted file at `JobPaths.submission/<file name>`.
    func fetchSubmission(_ job: Job, into paths: JobPaths) async throws
    /// Makes the stage logs available to the service.
    func publishLogs(_ job: Job, from paths: JobPaths) async throws
}

/// The broker of the worker inside `proctor serve`: the store directly, and
/// the job files already on the same disk.
public struct StoreBroker: JobBroker {
    let store: any JobStore
    let worker: String
    let leaseSeconds: Double
    let maxRunningPerUser: Int
    /// The service's retry bound (the store applies it to every report).
    let maxAttempts: Int

    public init(store: any JobStore, worker: String, leaseSeconds: Double, maxRunningPerUser: Int,
                maxAttempts: Int = JobTransitions.defaultMaxAttempts) {
        self.store = store
        self.worker = worker
        self.leaseSeconds = leaseSeconds
        self.maxRunningPerUser = maxRunningPerUser
        self.maxAttempts = maxAttempts
    }

    public func claim(competitions: Set<String>, freeSlots: Int, maxExpectedTime: Double?) async throws -> Job? {
        let now = Date()
        return try await store.claim(worker: worker, competitions: competitions, maxRunningPerUser: maxRunningPerUser,
                                     maxExpectedTime: maxExpectedTime, at: now, leaseUntil: now.addingTimeInterval(leaseSeconds))
    }

    public func renew(_ job: Job) async throws -> LeaseRenewal? {
        try await store.renew(jobID: job.id, worker: worker, until: Date().addingTimeInterval(leaseSeconds))
            .map { LeaseRenewal(cancelRequested: $0.cancelRequested) }
    }

    public func report(_ job: Job, _ update: JobUpdate) async throws -> Bool {
        try await store.report(jobID: job.id, worker: worker, update: update, at: Date(), maxAttempts: maxAttempts) != nil
    }

    public func fetchSubmission(_ job: Job, into paths: JobPaths) async throws {}
    public func publishLogs(_ job: Job, from paths: JobPaths) async throws {}
}
