import Foundation
import Logging
import ProctorStore
import ProctorWorker
import ServiceLifecycle

/// Deletes the files (workspaces, logs, uploads) of jobs that finished longer
/// ago than the retention period. The job rows, scores and audit trail stay.
struct RetentionService: Service {
    let store: any JobStore
    let dataDirectory: String
    let retention: TimeInterval
    let logger: Logger

    func run() async throws {
        while !Task.isShuttingDownGracefully && !Task.isCancelled {
            await prune(finishedBefore: Date().addingTimeInterval(-retention))
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
}
