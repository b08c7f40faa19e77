/// Counts the queue's hot paths read instead of scanning jobs: queued jobs per
/// user and priority (the fair queue's heads and every queue position),
/// leased and running jobs per user (running quotas, at every claim), and
/// jobs per state (metrics). Triggers on `jobs` keep them exact in the same
/// transaction as every insert, state change, priority change and delete, so
/// no code path can forget them; their cost does not grow with the queue or
/// the history.
enum QueueCounts {
    /// The tables, their first fill, the indexes the hot paths read, and the triggers.
    static func statements(_ dialect: SQLDialect) -> [SQL] {
        switch dialect {
        case .sqlite: [SQL(script: sqlite)]
        case .postgres: postgres.map { SQL(stringLiteral: $0) }
        }
    }

    /// SQLite: tables, their first fill, the index the fair-queue heads read, and the triggers.
    static let sqlite = """
        CREATE TABLE queue_counts (user_id INTEGER NOT NULL, priority INTEGER NOT NULL, n INTEGER NOT NULL,
            PRIMARY KEY (user_id, priority)) WITHOUT ROWID;
        CREATE TABLE running_counts (user_id INTEGER PRIMARY KEY, n INTEGER NOT NULL) WITHOUT ROWID;
        CREATE TABLE state_counts (state TEXT PRIMARY KEY, n INTEGER NOT NULL) WITHOUT ROWID;
        INSERT INTO queue_counts SELECT user_id, priority, COUNT(*) FROM jobs WHERE state = 'queued' GROUP BY user_id, priority;
        INSERT INTO running_counts SELECT user_id, COUNT(*) FROM jobs WHERE state IN ('leased', 'running') GROUP BY user_id;
        INSERT INTO state_counts SELECT state, COUNT(*) FROM jobs GROUP BY state;
        CREATE INDEX jobs_user_queue ON jobs(user_id, state, priority DESC, seq);
        CREATE INDEX jobs_finished_by_competition ON jobs(competition_id, finished_at);
        CREATE INDEX jobs_by_user_created ON jobs(user_id, created_at);
        CREATE INDEX jobs_unpruned ON jobs(finished_at) WHERE files_pruned = 0;
        CREATE TRIGGER jobs_counts_insert AFTER INSERT ON jobs BEGIN
            INSERT INTO state_counts (state, n) VALUES (NEW.state, 1) ON CONFLICT (state) DO UPDATE SET n = n + 1;
            INSERT INTO queue_counts (user_id, priority, n) SELECT NEW.user_id, NEW.priority, 1 WHERE NEW.state = 'queued'
                ON CONFLICT (user_id, priority) DO UPDATE SET n = n + 1;
            INSERT INTO running_counts (user_id, n) SELECT NEW.user_id, 1 WHERE NEW.state IN ('leased', 'running')
                ON CONFLICT (user_id) DO UPDATE SET n = n + 1;
        END;
        CREATE TRIGGER jobs_counts_update AFTER UPDATE OF state, priority ON jobs
        WHEN OLD.state <> NEW.state OR OLD.priority <> NEW.priority BEGIN
            UPDATE state_counts SET n = n - 1 WHERE state = OLD.state AND OLD.state <> NEW.state;
            INSERT INTO state_counts (state, n) SELECT NEW.state, 1 WHERE OLD.state <> NEW.state
                ON CONFLICT (state) DO UPDATE SET n = n + 1;
            UPDATE queue_counts SET n = n - 1 WHERE OLD.state = 'queued' AND user_id = OLD.user_id AND priority = OLD.priority;
            INSERT INTO queue_counts (user_id, priority, n) SELECT NEW.user_id, NEW.priority, 1 WHERE NEW.state = 'queued'
                ON CONFLICT (user_id, priority) DO UPDATE SET n = n + 1;
            UPDATE running_counts SET n = n - 1 WHERE user_id = OLD.user_id
                AND OLD.state IN ('leased', 'running') AND NEW.state NOT IN ('leased', 'running');
            INSERT INTO running_counts (user_id, n) SELECT NEW.user_id, 1
                WHERE NEW.state IN ('leased', 'running') AND OLD.state NOT IN ('leased', 'running')
                ON CONFLICT (user_id) DO UPDATE SET n = n + 1;
        END;
        CREATE TRIGGER jobs_counts_delete AFTER DELETE ON jobs BEGIN
            UPDATE state_counts SET n = n - 1 WHERE state = OLD.state;
            UPDATE queue_counts SET n = n - 1 WHERE OLD.state = 'queued' AND user_id = OLD.user_id AND priority = OLD.priority;
            UPDATE running_counts SET n = n - 1 WHERE OLD.state IN ('leased', 'running') AND user_id = OLD.user_id;
        END;
        """

    /// PostgreSQL: the same queue and running counts and indexes. Every user
    /// with a job has a running-count row, which a claim locks with the job:
    /// the quota is then checked on that row's latest version, so claimers
    /// racing for one user cannot both take its last free place. (Per-state counts stay a
    /// query there: one row every claim and submit would update is a lock
    /// every transaction would wait on.)
    static let postgres: [String] = [
        "CREATE TABLE queue_counts (user_id BIGINT NOT NULL, priority INTEGER NOT NULL, n INTEGER NOT NULL, PRIMARY KEY (user_id, priority))",
        "INSERT INTO queue_counts SELECT user_id, priority, COUNT(*) FROM jobs WHERE state = 'queued' GROUP BY user_id, priority",
        "CREATE TABLE running_counts (user_id BIGINT PRIMARY KEY, n INTEGER NOT NULL)",
        "INSERT INTO running_counts SELECT user_id, COUNT(*) FROM jobs WHERE state IN ('leased', 'running') GROUP BY user_id",
        // Every user with a job has a running count (0 at least): a claim locks that row.
        "INSERT INTO running_counts SELECT DISTINCT user_id, 0 FROM jobs ON CONFLICT (user_id) DO NOTHING",
        "CREATE INDEX jobs_user_queue ON jobs(user_id, state, priority DESC, seq)",
        "CREATE INDEX jobs_finished_by_competition ON jobs(competition_id, finished_at)",
        "CREATE INDEX jobs_by_user_created ON jobs(user_id, created_at)",
        "CREATE INDEX jobs_unpruned ON jobs(finished_at) WHERE NOT files_pruned",
        """
        CREATE FUNCTION proctor_queue_counts() RETURNS trigger LANGUAGE plpgsql AS $$
        BEGIN
            IF TG_OP = 'INSERT' THEN
                INSERT INTO running_counts VALUES (NEW.user_id, 0) ON CONFLICT (user_id) DO NOTHING;
            END IF;
            IF TG_OP <> 'INSERT' AND OLD.state = 'queued'
               AND (TG_OP = 'DELETE' OR NEW.state <> 'queued' OR NEW.priority <> OLD.priority) THEN
                UPDATE queue_counts SET n = n - 1 WHERE user_id = OLD.user_id AND priority = OLD.priority;
            END IF;
            IF TG_OP <> 'DELETE' AND NEW.state = 'queued'
               AND (TG_OP = 'INSERT' OR OLD.state <> 'queued' OR NEW.priority <> OLD.priority) THEN
                INSERT INTO queue_counts VALUES (NEW.user_id, NEW.priority, 1)
                ON CONFLICT (user_id, priority) DO UPDATE SET n = queue_counts.n + 1;
            END IF;
            IF TG_OP <> 'INSERT' AND OLD.state IN ('leased', 'running')
               AND (TG_OP = 'DELETE' OR NEW.state NOT IN ('leased', 'running')) THEN
                UPDATE running_counts SET n = n - 1 WHERE user_id = OLD.user_id;
            END IF;
            IF TG_OP <> 'DELETE' AND NEW.state IN ('leased', 'running')
               AND (TG_OP = 'INSERT' OR OLD.state NOT IN ('leased', 'running')) THEN
                INSERT INTO running_counts VALUES (NEW.user_id, 1) ON CONFLICT (user_id) DO UPDATE SET n = running_counts.n + 1;
            END IF;
            RETURN NULL;
        END $$
        """,
        """
        CREATE TRIGGER jobs_queue_counts AFTER INSERT OR UPDATE OF state, priority OR DELETE ON jobs
        FOR EACH ROW EXECUTE FUNCTION proctor_queue_counts()
        """,
    ]
}
