import Foundation
import Logging
import ProctorStore
import ServiceLifecycle

/// Returns jobs whose worker stopped renewing its lease (killed, node lost,
/// network cut) to the queue, or errors them past the retry bound. Every
/// replica runs one; the store makes the takeover happen once.
struct LeaseReaper: Service {
    let store: JobStore
    let interval: Double
    /// The service's retry bound.
    let maxAttempts: Int
    let logger: Logger

    func run() async throws {
        while !Task.isShuttingDownGracefully && !Task.isCancelled {
            do {
                for job in try await store.requeueExpired(at: Date(), heldBy: nil, maxAttempts: maxAttempts) {
                    logger.warning("lease lapsed", metadata: ["job": "\(job.id)", "now": "\(job.state.rawValue)"])
                }
            } catch {
                logger.error("requeueing lapsed leases failed", metadata: ["error": "\(error)"])
            }
            try? await cancelWhenGracefulShutdown { try await Task.sleep(for: .seconds(interval)) }
        }
    }
}
