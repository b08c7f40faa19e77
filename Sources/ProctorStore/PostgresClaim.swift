import PostgresNIO
import ProctorCore

/// The PostgreSQL claim: one statement, one round trip, prepared once per
/// connection. The fair order (priority, least recent user, submission
/// order) is taken over the first few jobs of each waiting user, however
/// deep the queue (the best 32 are ranked first, so the job rows are then
/// read by key whatever the planner thinks of the queue's size); the chosen job and its user's running count are locked
/// together (SKIP LOCKED) and the quota is checked on that count's latest
/// version, so two claimers never take one job and never both take a user's
/// last free running place. Leasing the job, serving its user and recording
/// the event happen in the same statement.
struct PostgresClaim: PostgresPreparedStatement {
    typealias Row = Job

    static let sql = """
        WITH waiting AS (SELECT DISTINCT user_id FROM queue_counts WHERE n > 0),
        heads AS (
            SELECT h.seq, h.priority, h.user_id FROM waiting w JOIN running_counts b ON b.user_id = w.user_id
            CROSS JOIN LATERAL (
                SELECT j.seq, j.priority, j.user_id FROM jobs j
                WHERE j.user_id = w.user_id AND j.state = 'queued' AND j.competition_id = ANY($1)
                  AND ($2::DOUBLE PRECISION IS NULL OR j.expected_time <= $2)
                ORDER BY j.priority DESC, j.seq ASC LIMIT 4) h
            WHERE b.n < $3),
        ranked AS MATERIALIZED (
            SELECT heads.seq, heads.priority, u.last_run_at FROM heads JOIN users u ON u.id = heads.user_id
            ORDER BY heads.priority DESC, u.last_run_at ASC NULLS FIRST, heads.seq ASC LIMIT 32),
        next AS (
            SELECT j.seq, j.user_id FROM ranked JOIN jobs j ON j.seq = ranked.seq JOIN running_counts r ON r.user_id = j.user_id
            WHERE j.state = 'queued' AND r.n < $3
            ORDER BY ranked.priority DESC, ranked.last_run_at ASC NULLS FIRST, ranked.seq ASC
            LIMIT 1 FOR UPDATE OF j, r SKIP LOCKED),
        claimed AS (
            UPDATE jobs SET state = 'leased', lease_owner = $4, lease_expires_at = $5, attempts = attempts + 1
            FROM next WHERE jobs.seq = next.seq RETURNING jobs.*),
        served AS (UPDATE users SET last_run_at = $6 FROM claimed WHERE users.id = claimed.user_id),
        logged AS (
            INSERT INTO job_events (job_id, at, from_state, to_state, actor, reason)
            SELECT id, $6, 'queued', 'leased', 'worker:' || $4, 'claimed (attempt ' || attempts || ')' FROM claimed)
        SELECT * FROM claimed
        """

    static let bindingDataTypes: [PostgresDataType] = [.textArray, .float8, .int8, .text, .float8, .float8]

    var competitions: [String]
    var maxExpectedTime: Double?
    var maxRunningPerUser: Int
    var worker: String
    var leaseUntil: Double
    var at: Double

    func makeBindings() throws -> PostgresBindings {
        var bindings = PostgresBindings()
        bindings.append(competitions)
        bindings.append(maxExpectedTime)
        bindings.append(maxRunningPerUser)
        bindings.append(worker)
        bindings.append(leaseUntil)
        bindings.append(at)
        return bindings
    }

    func decodeRow(_ row: PostgresRow) throws -> Job {
        try Job(row: SQLRow(row: row))
    }
}
