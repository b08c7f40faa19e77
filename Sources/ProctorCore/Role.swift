/// What a token may do: users submit and see their own jobs, admins see and
/// manage everything, workers lease and report jobs.
public enum Role: String, Codable, Sendable, CaseIterable {
    case user, admin, worker
}
