import Foundation
import ProctorCore
import ProctorStore

/// Recently used tokens, by hash, so that most requests do not read the store
/// to authenticate. An entry lives `lifetime` seconds: a token revoked (or a
/// user disabled) on any replica stops working on every replica within that
/// long, plus the time one request takes. Unknown tokens are never cached.
actor TokenCache {
    private struct Entry {
        var token: Token
        var user: User
        var fetchedAt: ContinuousClock.Instant
    }

    let store: any JobStore
    let lifetime: Duration
    private var entries: [String: Entry] = [:]
    /// Entries are bounded; past this the oldest half is dropped.
    private let capacity = 10_000

    init(store: any JobStore, lifetime: Duration = .seconds(1)) {
        self.store = store
        self.lifetime = lifetime
    }

    /// The token with this hash and its user, from the cache if fresh, else from the store.
    func lookup(hash: String, at now: Date) async throws -> (Token, User)? {
        let instant = ContinuousClock.now
        if let entry = entries[hash], instant - entry.fetchedAt < lifetime { return (entry.token, entry.user) }
        guard let (token, user) = try await store.useToken(hash: hash, at: now) else {
            entries[hash] = nil
            return nil
        }
        if entries.count >= capacity {
            let keep = entries.sorted { $0.value.fetchedAt > $1.value.fetchedAt }.prefix(capacity / 2)
            entries = Dictionary(uniqueKeysWithValues: keep.map { ($0.key, $0.value) })
        }
        entries[hash] = Entry(token: token, user: user, fetchedAt: instant)
        return (token, user)
    }
}
