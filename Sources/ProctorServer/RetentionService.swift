import Foundation
import Logging
import ProctorStore
import ProctorWorker
import ServiceLifecycle

/// Deletes the files (workspaces, logs, uploads) of jobs that finished longer
/// ago than the retention period, and, past the (longer) history retention,
/// the jobs' rows and audit trail too, and the tokens that ended before it,
/// so none of them grows forever.
struct RetentionService: Service {
    let store: JobStore
    let dataDirectory: String
    let retention: TimeInterval
    let historyRetention: TimeInterval
    let logger: Logger

    func run() async throws {
        while !Task.isShuttingDownGracefully && !Task.isCancelled {
            await prune(finishedBefore: Date().addingTimeInterval(-retention))
            await forget(finishedBefore: Date().addingTimeInterval(-historyRetention))
            try? await cancelWhenGracefulShutdown { try await Task.sleep(for: .seconds(min(3600, max(1, retention / 10)))) }
        }
    }

    /// One pass over jobs finished before `cutoff`; returns how many jobs' files were removed.
    @discardableResult
    func prune(finishedBefore cutoff: Date) async -> Int {
        var removed = 0
        do {
            while true {
                let ids = try await store.takePrunable(before: cutoff, limit: 100)
                for id in ids {
                    try? FileManager.default.removeItem(atPath: JobPaths(dataDirectory: dataDirectory, jobID: id).root)
                }
                removed += ids.count
                if ids.count < 100 { break }
            }
        } catch {
            logger.error("pruning old job files failed", metadata: ["error": "\(error)"])
        }
        if removed > 0 { logger.info("pruned old job files", metadata: ["jobs": "\(removed)"]) }
        return removed
    }

    /// Deletes the rows and events of jobs finished before `cutoff` (whose
    /// files are already gone), and the tokens revoked or expired before it;
    /// returns how many jobs.
    @discardableResult
    func forget(finishedBefore cutoff: Date) async -> Int {
        var deleted = 0
        do {
            while true {
                let count = try await store.deleteHistory(finishedBefore: cutoff, limit: 500)
                deleted += count
                if count < 500 { break }
            }
            let tokens = try await store.deleteEndedTokens(before: cutoff)
            if tokens > 0 { logger.info("deleted ended tokens", metadata: ["tokens": "\(tokens)"]) }
            // A browser session is over once ended: keeping it a day is enough to see it in the table.
            _ = try await store.deleteEndedSessions(before: min(cutoff, Date().addingTimeInterval(-86400)))
        } catch {
            logger.error("deleting old job history failed", metadata: ["error": "\(error)"])
        }
        if deleted > 0 { logger.info("deleted old job history", metadata: ["jobs": "\(deleted)"]) }
        return deleted
    }
}
