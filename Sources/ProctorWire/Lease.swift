/// `POST /v1/worker/lease`: a node asks for a job it can run, waiting up to
/// `waitSeconds` for one.
public struct LeaseRequest: Codable, Sendable, Equatable {
    public var slots: Int
    public var competitions: [String]
    public var labels: [String: String]?
    public var version: String?
    public var waitSeconds: Double?
    /// Set by a slot kept for short jobs.
    public var maxExpectedTime: Double?

    public init(slots: Int, competitions: [String], labels: [String: String]? = nil, version: String? = nil,
                waitSeconds: Double? = nil, maxExpectedTime: Double? = nil) {
        self.slots = slots
        self.competitions = competitions
        self.labels = labels
        self.version = version
        self.waitSeconds = waitSeconds
        self.maxExpectedTime = maxExpectedTime
    }

    enum CodingKeys: String, CodingKey {
        case slots, competitions, labels, version, waitSeconds = "wait_seconds", maxExpectedTime = "max_expected_time"
    }
}

/// The answer to a lease request that found a job.
public struct LeaseGrant: Codable, Sendable, Equatable {
    public var job: WorkerJob
    /// The lease lasts this long unless renewed by a heartbeat.
    public var leaseSeconds: Double

    public init(job: WorkerJob, leaseSeconds: Double) {
        self.job = job
        self.leaseSeconds = leaseSeconds
    }

    enum CodingKeys: String, CodingKey { case job, leaseSeconds = "lease_seconds" }
}

/// The answer to a heartbeat: the lease is renewed; stop if a cancel was asked.
public struct HeartbeatAnswer: Codable, Sendable, Equatable {
    public var cancelRequested: Bool

    public init(cancelRequested: Bool) {
        self.cancelRequested = cancelRequested
    }

    enum CodingKeys: String, CodingKey { case cancelRequested = "cancel_requested" }
}
