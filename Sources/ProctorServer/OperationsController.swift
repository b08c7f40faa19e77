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
                      "# HELP proctor_gpu_healthy Whether the GPU takes jobs.", "# TYPE proctor_gpu_healthy gauge"]
            for gpu in await gpus.readings() {
                let label = "{gpu=\"\(gpu.index)\",uuid=\"\(gpu.uuid)\"}"
                lines += ["proctor_gpu_utilization_percent\(label) \(gpu.utilization)", "proctor_gpu_memory_used_bytes\(label) \(gpu.memoryUsed)",
                          "proctor_gpu_temperature_celsius\(label) \(gpu.temperature)"]
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
