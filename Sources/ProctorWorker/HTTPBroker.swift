import Foundation
import ProctorClient
import ProctorCore
import ProctorStore

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

    public init(client: ProctorClient, slots: Int, labels: @escaping @Sendable () async -> [String: String] = { [:] },
                version: String = "1", waitSeconds: Double = 20, reportPatience: Double = 600) {
        self.client = client
        self.slots = slots
        self.labels = labels
        self.version = version
        self.waitSeconds = waitSeconds
        self.reportPatience = reportPatience
    }

    struct LeaseGrant: Decodable { var job: Job }

    static let decoder: JSONDecoder = {
        let decoder = JSONDecoder()
        decoder.dateDecodingStrategy = .iso8601
        return decoder
    }()

    public func claim(competitions: Set<String>, freeSlots: Int, maxExpectedTime: Double?) async throws -> Job? {
        var body: [String: JSONValue] = [
            "slots": .number(Double(slots)), "competitions": .array(competitions.sorted().map(JSONValue.string)),
            "labels": .object(await labels().mapValues(JSONValue.string)), "version": .string(version), "wait_seconds": .number(waitSeconds),
        ]
        if let maxExpectedTime { body["max_expected_time"] = .number(maxExpectedTime) }
        let response = try await client.send(.POST, "/v1/worker/lease", body: try JSONEncoder().encode(body), contentType: "application/json")
        switch response.status {
        case 204: return nil
        case 200:
            let job = try Self.decoder.decode(LeaseGrant.self, from: response.body).job
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
        let response = try await client.send(.POST, "/v1/worker/jobs/\(job.id)/heartbeat")
        if response.status == 409 { return nil }
        guard response.status == 200 else { throw ClientError.transport("heartbeat answered \(response.status)") }
        return LeaseRenewal(cancelRequested: response.json?["cancel_requested"] as? Bool ?? false)
    }

    public func report(_ job: Job, _ update: JobUpdate) async throws -> Bool {
        let body = try JSONEncoder().encode(update)
        let deadline = Date().addingTimeInterval(reportPatience)
        var delay = 0.25
        while true {
            do {
                let response = try await client.send(.POST, "/v1/worker/jobs/\(job.id)/report", body: body, contentType: "application/json")
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
        let response = try await client.call(.GET, "/v1/worker/jobs/\(job.id)/submission")
        try FileManager.default.createDirectory(atPath: paths.submission, withIntermediateDirectories: true)
        try response.body.write(to: URL(fileURLWithPath: paths.submission + "/" + job.fileName), options: .atomic)
    }

    public func publishLogs(_ job: Job, from paths: JobPaths) async throws {
        for stage in ["solution", "grade"] {
            for stream in ["stdout", "stderr"] {
                guard let data = FileManager.default.contents(atPath: paths.log(stage: stage, stream: stream)) else { continue }
                _ = try await client.call(.PUT, "/v1/worker/jobs/\(job.id)/logs/\(stage)/\(stream)", body: data, contentType: "text/plain")
            }
        }
    }
}
