import Logging
import ProctorSandbox
import ServiceLifecycle
import UnixSignals

/// Reloads the competitions on SIGHUP, as daemons do: `kill -HUP` (or
/// `systemctl reload`) after adding or changing a competition, without a
/// restart and without touching running jobs (``CompetitionCatalog/reload()``).
public struct CatalogReloader: Service {
    let catalog: CompetitionCatalog
    let logger: Logger

    public init(catalog: CompetitionCatalog, logger: Logger) {
        self.catalog = catalog
        self.logger = logger
    }

    public func run() async throws {
        let signals = await UnixSignalsSequence(trapping: .sighup)
        try await cancelWhenGracefulShutdown {
            for await _ in signals {
                // Changed data files are hashed: on a thread of its own, not the pool's.
                let catalog = self.catalog
                let enabled = await BlockingThread.run { catalog.reload() }
                logger.info("competitions reloaded", metadata: ["enabled": "\(enabled.sorted())", "files_hashed": "\(catalog.filesHashed)"])
                for competition in catalog.all where !competition.isEnabled {
                    logger.error("competition disabled", metadata: ["id": "\(competition.id)", "why": "\(competition.disabledReason ?? "")"])
                }
            }
        }
    }
}
