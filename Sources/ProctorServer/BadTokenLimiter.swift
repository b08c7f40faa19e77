import Foundation

/// Slows down guessing: an address that sent more than `limit` bad tokens in
/// the last `window` seconds is refused (429) until the window passes. Memory
/// is bounded: at most `capacity` addresses are tracked, the stalest dropped.
actor BadTokenLimiter {
    private var failures: [String: [Date]] = [:]
    let limit: Int
    let window: TimeInterval
    let capacity: Int

    init(limit: Int = 20, window: TimeInterval = 60, capacity: Int = 10_000) {
        self.limit = limit
        self.window = window
        self.capacity = capacity
    }

    /// Seconds the address must wait, or `nil` if it may try.
    func retryAfter(for address: String, now: Date = Date()) -> Int? {
        let recent = (failures[address] ?? []).filter { now.timeIntervalSince($0) < window }
        failures[address] = recent.isEmpty ? nil : recent
        guard recent.count >= limit, let oldest = recent.first else { return nil }
        return Int((window - now.timeIntervalSince(oldest)).rounded(.up))
    }

    func recordFailure(from address: String, now: Date = Date()) {
        if failures[address] == nil && failures.count >= capacity {
            let stalest = failures.min { ($0.value.last ?? .distantPast) < ($1.value.last ?? .distantPast) }?.key
            if let stalest { failures[stalest] = nil }
        }
        failures[address, default: []].append(now)
        if failures[address]!.count > limit * 2 { failures[address]!.removeFirst(limit) }
    }
}
