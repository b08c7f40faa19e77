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
    /// The competitions the node asked for jobs of, when it last did: those
    /// it has (data verified) and can run (labels, GPUs).
    public var competitions: Set<String> = []
    /// The state of each competition's environment on the node, by
    /// competition id (competitions that bring their own software only).
    public var environments: [String: EnvironmentStatus] = [:]
    /// Infrastructure failures in a row on this node; past a bound it is taken
    /// out of rotation (drained) and reported.
    public var infrastructureFailures: Int = 0
    /// Distinct users whose jobs failed in the current streak.
    public var infrastructureFailureUsers: Set<Int64> = []
    /// Failures of the current streak that the worker itself caused.
    public var nodeFaults: Int = 0

    /// The streak's users as stored: ",1,5," (each id between commas).
    public static func failureUsers(fromColumn text: String) -> Set<Int64> {
        Set(text.split(separator: ",").compactMap { Int64($0) })
    }

    /// Infrastructure failures in a row after which a node may leave the rotation.
    public static let quarantineAfter = 3

    /// Whether the current streak should take the node out of rotation: it is
    /// long enough, and either the worker caused a failure itself or the
    /// failures struck different users. One user's jobs failing again and
    /// again says more about those jobs than about the node.
    public var shouldLeaveRotation: Bool {
        infrastructureFailures >= Self.quarantineAfter && (nodeFaults > 0 || infrastructureFailureUsers.count >= 2)
    }

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
