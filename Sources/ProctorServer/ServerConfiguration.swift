import Crypto
import Foundation
import ProctorStore
import ProctorWorker

/// Per-user quotas: refused with 429 and when to retry.
public struct Quotas: Sendable {
    public var maxQueued: Int
    public var maxRunning: Int
    public var submissionsPerWindow: Int
    public var window: TimeInterval

    public init(maxQueued: Int = 20, maxRunning: Int = 2, submissionsPerWindow: Int = 60, window: TimeInterval = 3600) {
        self.maxQueued = maxQueued
        self.maxRunning = maxRunning
        self.submissionsPerWindow = submissionsPerWindow
        self.window = window
    }
}

/// Everything `proctor serve` is configured with.
public struct ServerConfiguration: Sendable {
    public var host: String
    public var port: Int
    public var dataDirectory: String
    public var competitionsDirectory: String
    public var quotas: Quotas
    /// Largest accepted solution file, in bytes.
    public var maxUploadBytes: Int
    /// Largest metadata object, in bytes of JSON.
    public var maxMetadataBytes: Int
    /// Terminal jobs' files (workspaces, logs) are deleted this long after they finish.
    public var retention: TimeInterval
    /// Seconds a finished job's row, score and events are kept (after its
    /// files, which go after `retention`).
    public var historyRetention: TimeInterval
    /// Slots of the local worker (0: no local worker).
    public var localSlots: Int
    /// How the local worker builds and caches competitions' environments.
    public var environments = EnvironmentSettings()
    /// A job's lease lasts this long unless its worker renews it; remote
    /// workers renew every third of it.
    public var leaseSeconds: Double
    /// Longest a worker's request for a job waits for one (long poll).
    public var longPollSeconds: Double
    /// Times a job is tried before an infrastructure failure (or a lost
    /// worker) is final. The service alone decides; workers report facts.
    public var maxAttempts: Int = JobTransitions.defaultMaxAttempts
    /// Peers whose `X-Forwarded-For` names the client (reverse proxies).
    public var trustedProxies: [IPNetwork] = []
    /// Requests answered at once; more get 503 and `Retry-After`.
    public var maxInFlight = 1000
    /// Connections open at once; past it new ones wait to be accepted.
    public var maxConnections = 10_000
    /// A queued job whose competition no node has been able to run for this
    /// long (disabled, or no node with its labels or GPUs) is failed with the reason.
    public var unrunnableAfter: TimeInterval = 3600
    /// Serve HTTPS with this certificate chain and key (PEM files), for those without a proxy.
    public var tls: TLSFiles?

    public init(host: String = "127.0.0.1", port: Int = 8080, dataDirectory: String, competitionsDirectory: String,
                quotas: Quotas = Quotas(), maxUploadBytes: Int = 1 << 20, maxMetadataBytes: Int = 4096,
                retention: TimeInterval = 30 * 86400, historyRetention: TimeInterval = 365 * 86400, localSlots: Int = 1,
                leaseSeconds: Double = 30, longPollSeconds: Double = 20) {
        self.historyRetention = max(historyRetention, retention)
        self.leaseSeconds = leaseSeconds
        self.longPollSeconds = longPollSeconds
        self.host = host
        self.port = port
        self.dataDirectory = dataDirectory
        self.competitionsDirectory = competitionsDirectory
        self.quotas = quotas
        self.maxUploadBytes = maxUploadBytes
        self.maxMetadataBytes = maxMetadataBytes
        self.retention = retention
        self.localSlots = localSlots
    }
}

extension ServerConfiguration {
    /// The name this replica's own worker holds leases under: the same across
    /// restarts of this replica (so a restart recovers its jobs), different
    /// from every other replica's (host, port and data directory), so two
    /// replicas on one database never renew or requeue each other's jobs.
    public var localWorkerID: String {
        let directory = URL(fileURLWithPath: dataDirectory).standardizedFileURL.path
        let digest = SHA256.hash(data: Data(directory.utf8)).prefix(4).map { String(format: "%02x", $0) }.joined()
        let host = ProcessInfo.processInfo.hostName.split(separator: ".").first.map(String.init) ?? "localhost"
        return "local@\(host)" + (port > 0 ? ":\(port)" : "") + "-\(digest)"
    }
}

/// A certificate chain and its private key, PEM files, for serving HTTPS.
public struct TLSFiles: Sendable {
    public var certificateChain: String
    public var privateKey: String

    public init(certificateChain: String, privateKey: String) {
        self.certificateChain = certificateChain
        self.privateKey = privateKey
    }
}
