import ProctorCore

/// The version of this worker protocol. A change that an older peer would
/// misread raises it; the server names the versions it speaks when it refuses
/// a worker (see ``WorkerProtocol/accepted``).
public enum WorkerProtocol {
    /// What this build speaks.
    public static let current = 1
    /// What a server of this build accepts from workers.
    public static let accepted: ClosedRange<Int> = 1...1
}

/// `POST /v1/worker/lease`: a node asks for a job it can run, waiting up to
/// `waitSeconds` for one.
public struct LeaseRequest: Codable, Sendable, Equatable {
    /// The worker protocol the node speaks (``WorkerProtocol``); workers from before the field speak 1.
    public var protocolVersion: Int?
    public var slots: Int
    public var competitions: [String]
    public var labels: [String: String]?
    public var version: String?
    public var waitSeconds: Double?
    /// Set by a slot kept for short jobs.
    public var maxExpectedTime: Double?
    /// This worker process among the processes sharing the node's token
    /// (also sent as the `Proctor-Worker-Instance` header on every job call).
    public var instance: String?
    /// The state of each competition's own environment on the node
    /// (building, ready, failed with the reason), for operators to see.
    public var environments: [String: EnvironmentStatus]?

    public init(slots: Int, competitions: [String], labels: [String: String]? = nil, version: String? = nil,
                waitSeconds: Double? = nil, maxExpectedTime: Double? = nil, instance: String? = nil,
                environments: [String: EnvironmentStatus]? = nil, protocolVersion: Int? = WorkerProtocol.current) {
        self.environments = environments
        self.protocolVersion = protocolVersion
        self.instance = instance
        self.slots = slots
        self.competitions = competitions
        self.labels = labels
        self.version = version
        self.waitSeconds = waitSeconds
        self.maxExpectedTime = maxExpectedTime
    }

    enum CodingKeys: String, CodingKey {
        case slots, competitions, labels, version, instance, environments, waitSeconds = "wait_seconds", maxExpectedTime = "max_expected_time"
        case protocolVersion = "protocol"
    }
}

/// The header naming the worker process on every call about a job it holds.
public let workerInstanceHeader = "Proctor-Worker-Instance"

/// The header on every log upload's answer: how many bytes of the log the service holds.
public let logSizeHeader = "Log-Size"

/// Whether `text` may name a worker instance: 1-64 letters, digits, '-' or '_'.
public func isValidWorkerInstance(_ text: String) -> Bool {
    !text.isEmpty && text.utf8.count <= 64 && text.utf8.allSatisfy { ($0 >= 48 && $0 <= 57) || ($0 >= 65 && $0 <= 90) || ($0 >= 97 && $0 <= 122) || $0 == 45 || $0 == 95 }
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
