/// Where a competition's environment stands on one node: being built, ready
/// for jobs, or failed with the reason (which keeps the competition off that
/// node until an operator fixes it).
public struct EnvironmentStatus: Codable, Sendable, Equatable {
    public enum State: String, Codable, Sendable { case building, ready, failed }

    public var state: State
    /// Why the build failed, in words an operator can act on.
    public var reason: String?

    public init(_ state: State, reason: String? = nil) {
        self.state = state
        self.reason = reason
    }

    public static let building = EnvironmentStatus(.building)
    public static let ready = EnvironmentStatus(.ready)
    public static func failed(_ reason: String) -> EnvironmentStatus { EnvironmentStatus(.failed, reason: reason) }
}

extension EnvironmentStatus: CustomStringConvertible {
    /// `ready`, `building`, or `failed: <reason>`.
    public var description: String { reason.map { "\(state.rawValue): \($0)" } ?? state.rawValue }
}
