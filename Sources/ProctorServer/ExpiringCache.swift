import Synchronization

/// Values remembered for a short `lifetime`, so that hot reads (a token on
/// every request, the queue's shape on every position) skip the store; what
/// changed elsewhere shows within that lifetime. `nil` results are never
/// remembered. Bounded: past `capacity` entries the stale ones, then the
/// oldest half, are dropped. A lookup takes a lock for a dictionary read, not
/// an actor hop: it is on every request's path.
final class ExpiringCache<Key: Hashable & Sendable, Value: Sendable>: Sendable {
    private let entries = Mutex<[Key: (value: Value, at: ContinuousClock.Instant)]>([:])
    let lifetime: Duration
    let capacity: Int

    init(lifetime: Duration, capacity: Int = 10_000) {
        self.lifetime = lifetime
        self.capacity = capacity
    }

    /// The remembered value for `key` if fresh, else `make`'s (remembered unless `nil`).
    func value(for key: Key, make: @Sendable () async throws -> Value?) async throws -> Value? {
        let now = ContinuousClock.now, lifetime = self.lifetime
        if let entry = entries.withLock({ $0[key] }), now - entry.at < lifetime { return entry.value }
        let fresh = try await make()
        let capacity = self.capacity
        entries.withLock { entries in
            guard let fresh else {
                entries[key] = nil
                return
            }
            if entries.count >= capacity {
                entries = entries.filter { now - $0.value.at < lifetime }
                if entries.count >= capacity {
                    let keep = entries.sorted { $0.value.at > $1.value.at }.prefix(capacity / 2)
                    entries = Dictionary(uniqueKeysWithValues: keep.map { ($0.key, $0.value) })
                }
            }
            entries[key] = (fresh, ContinuousClock.now)
        }
        return fresh
    }

    /// Forgets everything (the caller just changed what the values describe).
    func removeAll() { entries.withLock { $0.removeAll() } }
}
