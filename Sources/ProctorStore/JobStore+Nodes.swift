import Foundation
import ProctorCore

extension JobStore {
    /// Records a node's contact (registering it the first time) and returns it,
    /// with the state an admin set.
    public func touchNode(name: String, slots: Int, labels: [String: String], version: String, competitions: [String] = [],
                          environments: [String: EnvironmentStatus] = [:], at: Date) async throws -> Node {
        let encoded = try JSONColumn.encode(labels) ?? "{}", served = try JSONColumn.encode(competitions.sorted()) ?? "[]"
        let built = try JSONColumn.encode(environments) ?? "{}"
        guard let row = try await database.write("""
            INSERT INTO nodes (name, slots, labels, version, last_seen, competitions, environments)
            VALUES (\(name), \(slots), \(encoded), \(version), \(at), \(served), \(built))
            ON CONFLICT (name) DO UPDATE SET slots = excluded.slots, labels = excluded.labels,
                version = excluded.version, last_seen = excluded.last_seen, competitions = excluded.competitions,
                environments = excluded.environments
            RETURNING *
            """).first else { throw StoreError.conflict("node \(name) was not recorded") }
        return try Node(row: row)
    }

    /// Every node that ever contacted the service, by name.
    public func nodes() async throws -> [Node] {
        try await database.read("SELECT * FROM nodes ORDER BY name").map(Node.init(row:))
    }

    /// The node named `name`, if it ever contacted the service.
    public func node(named name: String) async throws -> Node? {
        try await database.read("SELECT * FROM nodes WHERE name = \(name)").first.map(Node.init(row:))
    }

    /// Drains or resumes a node; `nil` if no such node. Resuming clears its
    /// infrastructure failure count.
    public func setNodeState(name: String, _ state: Node.State) async throws -> Node? {
        let statement: SQL = if state == .active {
            "UPDATE nodes SET state = 'active', infra_failures = 0, infra_node_faults = 0, infra_failure_users = '' WHERE name = \(name) RETURNING *"
        } else {
            "UPDATE nodes SET state = \(state.rawValue) WHERE name = \(name) RETURNING *"
        }
        return try await database.write(statement).first.map(Node.init(row:))
    }

    /// Counts a job outcome on a node: an infrastructure failure adds one to
    /// the streak (with its user and whether the node caused it), anything
    /// else ends the streak. Returns the node as it now stands.
    public func recordNodeOutcome(name: String, failure: NodeFailure?) async throws -> Node? {
        guard let failure else {
            return try await database.write("""
                UPDATE nodes SET infra_failures = 0, infra_node_faults = 0, infra_failure_users = '' WHERE name = \(name) RETURNING *
                """).first.map(Node.init(row:))
        }
        // The users column is a list like "3,17," (each id followed by a comma).
        let listed = "%,\(failure.userID),%", appended = "\(failure.userID),"
        return try await database.write("""
            UPDATE nodes SET infra_failures = infra_failures + 1, infra_node_faults = infra_node_faults + \(failure.nodeFault ? 1 : 0),
                infra_failure_users = CASE WHEN ',' || infra_failure_users LIKE \(listed) THEN infra_failure_users
                    ELSE infra_failure_users || \(appended) END
            WHERE name = \(name) RETURNING *
            """).first.map(Node.init(row:))
    }
}
