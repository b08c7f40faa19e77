/// What network a run sees. Either way it has its own network namespace and
/// can reach nothing outside the sandbox.
public enum NetworkMode: String, Codable, Sendable, CaseIterable {
    /// No interface at all, not even loopback.
    case none
    /// Only a loopback interface, private to the run.
    case loopback
}
