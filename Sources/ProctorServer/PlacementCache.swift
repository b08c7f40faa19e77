import Foundation

/// The queue's shape (per-user counts, recent run times, capacity) for
/// positions and waits, remembered for a moment: at a deadline rush every
/// participant polls a queued job, and an estimate a quarter of a second old
/// is as good as a fresh one. Each job's own rank is still read fresh.
actor PlacementCache {
    private var entries: [String: (placement: QueuePlacement, at: ContinuousClock.Instant)] = [:]
    let lifetime: Duration

    init(lifetime: Duration = .milliseconds(250)) {
        self.lifetime = lifetime
    }

    /// Forgets every shape: this replica just changed the queue (a submit,
    /// cancel, priority, claim or report), so its own answers stay exact.
    func invalidate() { entries.removeAll() }

    /// The cached placement for `competitionID` (nil: all), or `make`'s fresh one.
    func placement(competitionID: String?, make: @Sendable () async throws -> QueuePlacement) async throws -> QueuePlacement {
        let key = competitionID ?? ""
        let now = ContinuousClock.now
        if let entry = entries[key], now - entry.at < lifetime { return entry.placement }
        let fresh = try await make()
        entries[key] = (fresh, now)
        if entries.count > 1000 { entries = entries.filter { now - $0.value.at < lifetime } }
        return fresh
    }
}
