import Foundation
import ProctorCore

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
    /// `environments` says where this node's competition environments stand, for operators.
    func claim(competitions: Set<String>, environments: [String: EnvironmentStatus], freeSlots: Int,
               maxExpectedTime: Double?) async throws -> Job?
    /// Extends the lease; `nil` when the worker no longer holds the job.
    func renew(_ job: Job) async throws -> LeaseRenewal?
    /// Sends an update; false when it was refused (the lease was lost).
    func report(_ job: Job, _ update: JobUpdate) async throws -> Bool
    /// Puts the submitted file at `JobPaths.submission/<file name>`.
    func fetchSubmission(_ job: Job, into paths: JobPaths) async throws
    /// Makes the stage logs available to the service.
    func publishLogs(_ job: Job, from paths: JobPaths) async throws
}
