import Foundation
import ProctorClient
import ProctorCore
import ProctorWire

/// The broker of `proctor worker` on another node: the service's
/// `/v1/worker` API over HTTP, with no inbound port and no shared disk.
/// Reports are retried with backoff, so a service that is down for a while
/// gets the result when it is back (unless the lease lapsed meanwhile: then
/// the job runs elsewhere and the late report is refused).
public struct HTTPBroker: JobBroker {
    let client: ProctorClient
    let slots: Int
    /// The node's labels, read at every lease request (GPU health changes).
    let labels: @Sendable () async -> [String: String]
    let version: String
    /// How long a lease request waits for work on the server.
    let waitSeconds: Double
    /// How long a report is retried before giving up.
    let reportPatience: Double
    /// How much of each log the service already has.
    private let uploaded = LogOffsets()
    /// This process among the workers sharing the node's token: leases are
    /// held by node and instance, so two processes never touch each other's jobs.
    let instance = UUID().uuidString.lowercased()
    private var instanceHeader: [(String, String)] { [(workerInstanceHeader, instance)] }

    public init(client: ProctorClient, slots: Int, labels: @escaping @Sendable () async -> [String: String] = { [:] },
                version: String = "1", waitSeconds: Double = 20, reportPatience: Double = 600) {
        self.client = client
        self.slots = slots
        self.labels = labels
        self.version = version
        self.waitSeconds = waitSeconds
        self.reportPatience = reportPatience
    }

    public func claim(competitions: Set<String>, environments: [String: EnvironmentStatus] = [:], freeSlots: Int,
                      maxExpectedTime: Double?) async throws -> Job? {
        let request = LeaseRequest(slots: slots, competitions: competitions.sorted(), labels: await labels(), version: version,
                                   waitSeconds: waitSeconds, maxExpectedTime: maxExpectedTime, instance: instance,
                                   environments: environments.isEmpty ? nil : environments)
        let response = try await client.send(.POST, "/v1/worker/lease", body: try JSONEncoder().encode(request), contentType: "application/json")
        switch response.status {
        case 204: return nil
        case 200:
            let job = try JSONDecoder().decode(LeaseGrant.self, from: response.body).job.job
            // The id and file name become paths on this node: trust neither blindly.
            guard Identifier.isJobID(job.id), Identifier.isSafeFileName(job.fileName) else {
                throw ClientError.transport("the service sent a job with an unsafe id or file name")
            }
            return job
        default: throw ClientError.problem(status: response.status, type: response.json?["type"] as? String ?? "",
                                           detail: response.json?["detail"] as? String ?? response.text, retryAfter: nil)
        }
    }

    public func renew(_ job: Job) async throws -> LeaseRenewal? {
        let response = try await client.send(.POST, "/v1/worker/jobs/\(job.id)/heartbeat", headers: instanceHeader)
        if response.status == 409 { return nil }
        guard response.status == 200 else { throw ClientError.transport("heartbeat answered \(response.status)") }
        return LeaseRenewal(cancelRequested: try JSONDecoder().decode(HeartbeatAnswer.self, from: response.body).cancelRequested)
    }

    public func report(_ job: Job, _ update: JobUpdate) async throws -> Bool {
        if update.state != .running { await uploaded.forget(jobID: job.id) }
        let body = try JSONEncoder().encode(WorkerReport(update))
        let deadline = Date().addingTimeInterval(reportPatience)
        var delay = 0.25
        while true {
            do {
                let response = try await client.send(.POST, "/v1/worker/jobs/\(job.id)/report", body: body, contentType: "application/json",
                                                   headers: instanceHeader)
                if response.status == 200 { return true }
                if response.status == 409 { return false }
                if (400..<500).contains(response.status) { throw ClientError.transport("report refused with \(response.status): \(response.text)") }
            } catch let error as ClientError {
                if case .transport = error, Date() < deadline {} else { throw error }
            }
            guard Date() < deadline else { throw ClientError.transport("the service did not take the report for \(Int(reportPatience)) s") }
            try await Task.sleep(for: .seconds(delay))
            delay = min(delay * 2, 15)
        }
    }

    public func fetchSubmission(_ job: Job, into paths: JobPaths) async throws {
        let response = try await client.call(.GET, "/v1/worker/jobs/\(job.id)/submission", headers: instanceHeader)
        try FileManager.default.createDirectory(atPath: paths.submission, withIntermediateDirectories: true)
        try response.body.write(to: URL(fileURLWithPath: paths.submission + "/" + job.fileName), options: .atomic)
    }

    /// Sends what each log gained since the last call (append at an
    /// offset); a service that holds a different amount says how much, and
    /// the next call continues from there.
    public func publishLogs(_ job: Job, from paths: JobPaths) async throws {
        for stage in ["solution", "grade"] {
            for stream in ["stdout", "stderr"] {
                let key = "\(job.id)/\(stage)/\(stream)"
                let offset = await uploaded.offset(key)
                guard let handle = FileHandle(forReadingAtPath: paths.log(stage: stage, stream: stream)) else { continue }
                defer { try? handle.close() }
                let size = try handle.seekToEnd()
                guard size > offset else { continue }
                try handle.seek(toOffset: offset)
                let data = try handle.read(upToCount: Int(min(size - offset, 64 << 20))) ?? Data()
                let response = try await client.send(.PUT, "/v1/worker/jobs/\(job.id)/logs/\(stage)/\(stream)?offset=\(offset)",
                                                     body: data, contentType: "text/plain", headers: instanceHeader)
                if let held = response.header(logSizeHeader).flatMap(UInt64.init) {
                    await uploaded.set(key, held)
                } else if response.status == 204 {
                    await uploaded.set(key, offset + UInt64(data.count))
                }
            }
        }
    }
}

/// Bytes of each log (`job/stage/stream`) the service is known to hold.
actor LogOffsets {
    private var offsets: [String: UInt64] = [:]

    func offset(_ key: String) -> UInt64 { offsets[key] ?? 0 }
    func set(_ key: String, _ value: UInt64) { offsets[key] = value }
    func forget(jobID: String) { offsets = offsets.filter { !$0.key.hasPrefix(jobID + "/") } }
}
