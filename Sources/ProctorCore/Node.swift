#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif

/// A worker node as the service knows it: registered on first contact,
/// refreshed by every lease request and heartbeat.
public struct Node: Codable, Sendable, Equatable {
    /// Whether the node takes new jobs. Offline is not stored: it is a node not
    /// seen for longer than its lease allows.
    public enum State: String, Codable, Sendable { case active, draining }

    public var name: String
    public var state: State
    public var slots: Int
    public var labels: [String: String]
    public var version: String
    public var lastSeen: Date
    /// Infrastructure failures in a row on this node; past a bound it is taken
    /// out of rotation (drained) and reported.
    public var infrastructureFailures: Int = 0

    public init(name: String, state: State, slots: Int, labels: [String: String], version: String, lastSeen: Date) {
        self.name = name
        self.state = state
        self.slots = slots
        self.labels = labels
        self.version = version
        self.lastSeen = lastSeen
    }

    /// `active`, `draining`, or `offline` when silent for `timeout` seconds.
    public func status(at now: Date, timeout: Double) -> String {
        now.timeIntervalSince(lastSeen) > timeout ? "offline" : state.rawValue
    }
}
