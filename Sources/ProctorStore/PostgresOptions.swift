/// How a PostgreSQL store uses its server, beyond where the server is.
public struct PostgresOptions: Sendable {
    /// The longest one statement may run, waiting for locks included, before
    /// the database cancels it: a hung query fails its caller with an error
    /// instead of holding a connection, and the caller, forever. Migrations
    /// run without it (a large table may take longer to change).
    public var statementTimeout: Duration
    /// Connections this process opens at most; callers beyond it wait for one.
    public var maximumConnections: Int
    /// How far this machine's clock may be from the database server's before
    /// the server refuses to start: replicas compare the times they write
    /// (quota windows, lease deadlines), so their clocks must agree.
    public var maximumClockSkew: Duration

    public init(statementTimeout: Duration = .seconds(30), maximumConnections: Int = 20, maximumClockSkew: Duration = .seconds(5)) {
        self.statementTimeout = statementTimeout
        self.maximumConnections = maximumConnections
        self.maximumClockSkew = maximumClockSkew
    }

    /// The session settings every connection starts with.
    var startupParameters: [(String, String)] {
        let milliseconds = max(1, statementTimeout.components.seconds * 1000 + statementTimeout.components.attoseconds / 1_000_000_000_000_000)
        return [
            // Prepared statements (the claim) keep one plan instead of planning each call.
            ("plan_cache_mode", "force_generic_plan"),
            ("statement_timeout", "\(milliseconds)"),
            // Names Proctor's connections in pg_stat_activity for the database's operator.
            ("application_name", "proctor"),
        ]
    }
}
