import Foundation
import HTTPTypes
import Hummingbird
import NIOCore
import ProctorCore
import ProctorGPU

/// `/healthz`, `/readyz`, `/metrics` and `/openapi.yaml`: no token needed.
struct OperationsController {
    let state: ServiceState
    let metrics: HTTPMetrics
    let gpus: GPUAllocator?

    func register(on router: Router<ProctorRequestContext>) {
        router.get("healthz") { _, _ in try JSONResponse.make(["status": "ok"]) }
        router.get("readyz", use: ready)
        router.get("metrics", use: renderMetrics)
        router.get("openapi.yaml", use: openAPI)
    }

    @Sendable func ready(_ request: Request, context: ProctorRequestContext) async throws -> Response {
        do {
            _ = try await state.store.stateCounts()
        } catch {
            throw Problem.unavailable("the database does not answer")
        }
        guard !state.catalog.enabledIDs.isEmpty else { throw Problem.unavailable("no competition is enabled") }
        return try JSONResponse.make(["status": "ready"])
    }

    @Sendable func renderMetrics(_ request: Request, context: ProctorRequestContext) async throws -> Response {
        var lines: [String] = ["# HELP proctor_jobs Jobs by state.", "# TYPE proctor_jobs gauge"]
        let counts = try await state.store.stateCounts()
        for s in JobState.allCases { lines.append("proctor_jobs{state=\"\(s.rawValue)\"} \(counts[s] ?? 0)") }
        let snapshot = try await state.store.queueSnapshot()
        lines += ["# HELP proctor_queue_depth Queued jobs.", "# TYPE proctor_queue_depth gauge", "proctor_queue_depth \(snapshot.depth)"]
        let now = Date()
        let oldest = try await state.store.oldestQueuedAt().map { max(0, now.timeIntervalSince($0)) } ?? 0
        lines += ["# HELP proctor_queue_oldest_seconds How long the longest-waiting queued job has waited (0: none queued).",
                  "# TYPE proctor_queue_oldest_seconds gauge", "proctor_queue_oldest_seconds \(oldest)"]
        let failures = try await state.store.failuresByFault(since: now.addingTimeInterval(-3600))
        lines += ["# HELP proctor_job_failures_last_hour Jobs that ended with an error in the last hour, by whose fault.",
                  "# TYPE proctor_job_failures_last_hour gauge"]
        for fault in [Fault.solution, .grader, .infrastructure, .user] {
            lines.append("proctor_job_failures_last_hour{fault=\"\(fault.rawValue)\"} \(failures[fault] ?? 0)")
        }
        let popular = try await state.store.submissionsByCompetition(since: now.addingTimeInterval(-86400))
        lines += ["# HELP proctor_competition_submissions_last_day Submissions in the last 24 hours, by competition.",
                  "# TYPE proctor_competition_submissions_last_day gauge",
                  "# HELP proctor_competition_participants_last_day Users who submitted in the last 24 hours, by competition.",
                  "# TYPE proctor_competition_participants_last_day gauge"]
        for (competition, count) in popular.sorted(by: { $0.key < $1.key }) {
            let label = "{competition=\"\(competition)\"}"
            lines += ["proctor_competition_submissions_last_day\(label) \(count.jobs)", "proctor_competition_participants_last_day\(label) \(count.users)"]
        }
        let nodes = try await state.store.nodes()
        var byStatus: [String: Int] = ["active": 0, "draining": 0, "offline": 0]
        for node in nodes { byStatus[node.status(at: now, timeout: state.configuration.leaseSeconds * 2), default: 0] += 1 }
        lines += ["# HELP proctor_nodes Remote worker nodes by status (offline: not seen for two lease periods).", "# TYPE proctor_nodes gauge"]
        for (status, count) in byStatus.sorted(by: { $0.key < $1.key }) { lines.append("proctor_nodes{status=\"\(status)\"} \(count)") }
        lines += ["# HELP proctor_node_infrastructure_failures A node's current streak of infrastructure failures.",
                  "# TYPE proctor_node_infrastructure_failures gauge"]
        for node in nodes { lines.append("proctor_node_infrastructure_failures{node=\"\(node.name)\"} \(node.infrastructureFailures)") }
        lines += ["# HELP proctor_competitions_enabled Competitions taking jobs.", "# TYPE proctor_competitions_enabled gauge",
                  "proctor_competitions_enabled \(state.catalog.enabledIDs.count)"]
        if let worker = state.worker {
            lines += ["# HELP proctor_worker_busy_slots Local worker slots running a job.", "# TYPE proctor_worker_busy_slots gauge",
                      "proctor_worker_busy_slots \(await worker.busySlots)"]
        }
        if let gpus {
            lines += ["# HELP proctor_gpu_utilization_percent GPU utilization.", "# TYPE proctor_gpu_utilization_percent gauge",
                      "# HELP proctor_gpu_memory_used_bytes GPU memory in use.", "# TYPE proctor_gpu_memory_used_bytes gauge",
                      "# HELP proctor_gpu_temperature_celsius GPU temperature.", "# TYPE proctor_gpu_temperature_celsius gauge",
                      "# HELP proctor_gpu_healthy Whether the GPU takes jobs.", "# TYPE proctor_gpu_healthy gauge",
                      "# HELP proctor_gpu_slowdown Whether heat or power holds the GPU below its clocks now (jobs run slower).",
                      "# TYPE proctor_gpu_slowdown gauge"]
            for gpu in await gpus.readings() {
                let label = "{gpu=\"\(gpu.index)\",uuid=\"\(gpu.uuid)\"}"
                lines += ["proctor_gpu_utilization_percent\(label) \(gpu.utilization)", "proctor_gpu_memory_used_bytes\(label) \(gpu.memoryUsed)",
                          "proctor_gpu_temperature_celsius\(label) \(gpu.temperature)",
                          "proctor_gpu_slowdown\(label) \(gpu.slowdowns.isEmpty ? 0 : 1)"]
            }
            for status in await gpus.statuses {
                lines.append("proctor_gpu_healthy{gpu=\"\(status.index)\",uuid=\"\(status.uuid)\"} \(status.unhealthy == nil ? 1 : 0)")
            }
        }
        let text = lines.joined(separator: "\n") + "\n" + (await metrics.render())
        var headers = HTTPFields()
        headers[.contentType] = "text/plain; version=0.0.4"
        return Response(status: .ok, headers: headers, body: .init(byteBuffer: ByteBuffer(string: text)))
    }

    @Sendable func openAPI(_ request: Request, context: ProctorRequestContext) async throws -> Response {
        var headers = HTTPFields()
        headers[.contentType] = "application/yaml"
        return Response(status: .ok, headers: headers, body: .init(byteBuffer: ByteBuffer(string: OpenAPIDocument.text)))
    }
}

/// The OpenAPI 3 description of the API, shipped inside the binary.
public enum OpenAPIDocument {
    public static let text: String = {
        guard let url = Bundle.module.url(forResource: "openapi", withExtension: "yaml"),
            let text = try? String(contentsOf: url, encoding: .utf8)
        else { return "openapi: 3.0.3\n" }
        return text
    }()
}
