import Foundation
import Logging
import ProctorCore
import ServiceLifecycle

/// Gives up on queued jobs that no node can run: a competition disabled
/// after they were submitted, or one whose labels or GPUs no connected node
/// has. Once no node has been able to run a competition for
/// `unrunnableAfter`, its jobs queued at least that long are failed with the
/// reason (`no_capable_node`, the service's fault), instead of waiting forever.
struct UnrunnableSweep: Service {
    let state: ServiceState
    let logger: Logger

    func run() async throws {
        let after = state.configuration.unrunnableAfter
        let interval = max(0.2, min(60, after / 4))
        // When each competition was first seen with queued jobs and no node for them.
        var since: [String: Date] = [:]
        while !Task.isShuttingDownGracefully && !Task.isCancelled {
            do {
                let now = Date()
                var stranded: Set<String> = []
                for competition in try await state.store.queuedCompetitions() where try await !state.canRun(competitionID: competition) {
                    stranded.insert(competition)
                    let first = since[competition] ?? now
                    since[competition] = first
                    guard now.timeIntervalSince(first) >= after else { continue }
                    let failed = try await state.store.failQueued(
                        competitionID: competition, submittedBefore: now.addingTimeInterval(-after), error: try await error(for: competition, after: after), at: now)
                    if !failed.isEmpty {
                        state.queueChanged()
                        logger.error("queued jobs failed: no node can run them", metadata: ["competition": "\(competition)", "jobs": "\(failed.count)"])
                    }
                }
                since = since.filter { stranded.contains($0.key) }
            } catch {
                logger.error("sweeping unrunnable jobs failed", metadata: ["error": "\(error)"])
            }
            try? await cancelWhenGracefulShutdown { try await Task.sleep(for: .seconds(interval)) }
        }
    }

    /// Why the jobs of `competition` were not run, for the people who submitted them.
    private func error(for competition: String, after: TimeInterval) async throws -> JobError {
        let why = if let reason = try await state.disabledReason(competition) {
            "competition \(competition) is disabled (\(reason))"
        } else if state.catalog.current(competition) == nil {
            "competition \(competition) is no longer offered"
        } else if let failure = try await state.environmentFailure(competition) {
            "no connected node can run competition \(competition): \(failure)"
        } else {
            "no connected node can run competition \(competition) (none has its labels, GPUs or data)"
        }
        return JobError(.noCapableNode, "\(why); the job waited \(Int(after / 60)) minutes and was not run, so it used none of your quota of running jobs — submit it again later")
    }
}
