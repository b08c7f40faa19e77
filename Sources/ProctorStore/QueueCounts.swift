/// Counts the queue's hot paths read instead of scanning jobs: queued jobs per
/// user and priority (the fair queue's heads and every queue position), and
/// jobs per state (metrics). Triggers on `jobs` keep them exact in the same
/// transaction as every insert, state change, priority change and delete, so
/// no code path can forget them; their cost does not grow with the queue or
/// the history.
enum QueueCounts {
    /// SQLite: tables, their first fill, the index the fair-queue heads read, and the triggers.
    static let sqlite = """
        CREATE TABLE queue_counts (user_id INTEGER NOT NULL, priority INTEGER NOT NULL, n INTEGER NOT NULL,
            PRIMARY KEY (user_id, priority)) WITHOUT ROWID;
        CREATE TABLE state_counts (state TEXT PRIMARY KEY, n INTEGER NOT NULL) WITHOUT ROWID;
        INSERT INTO queue_counts SELECT user_id, priority, COUNT(*) FROM jobs WHERE state = 'queued' GROUP BY user_id, priority;
        INSERT INTO state_counts SELECT state, COUNT(*) FROM jobs GROUP BY state;
        CREATE INDEX jobs_user_queue ON jobs(user_id, state, priority DESC, seq);
        CREATE INDEX jobs_finished_by_competition ON jobs(competition_id, finished_at);
        CREATE TRIGGER jobs_counts_insert AFTER INSERT ON jobs BEGIN
            INSERT INTO state_counts (state, n) VALUES (NEW.state, 1) ON CONFLICT (state) DO UPDATE SET n = n + 1;
            INSERT INTO queue_counts (user_id, priority, n) SELECT NEW.user_id, NEW.priority, 1 WHERE NEW.state = 'queued'
                ON CONFLICT (user_id, priority) DO UPDATE SET n = n + 1;
        END;
        CREATE TRIGGER jobs_counts_update AFTER UPDATE OF state, priority ON jobs
        WHEN OLD.state <> NEW.state OR OLD.priority <> NEW.priority BEGIN
            UPDATE state_counts SET n = n - 1 WHERE state = OLD.state AND OLD.state <> NEW.state;
            INSERT INTO state_counts (state, n) SELECT NEW.state, 1 WHERE OLD.state <> NEW.state
                ON CONFLICT (state) DO UPDATE SET n = n + 1;
            UPDATE queue_counts SET n = n - 1 WHERE OLD.state = 'queued' AND user_id = OLD.user_id AND priority = OLD.priority;
            INSERT INTO queue_counts (user_id, priority, n) SELECT NEW.user_id, NEW.priority, 1 WHERE NEW.state = 'queued'
                ON CONFLICT (user_id, priority) DO UPDATE SET n = n + 1;
        END;
        CREATE TRIGGER jobs_counts_delete AFTER DELETE ON jobs BEGIN
            UPDATE state_counts SET n = n - 1 WHERE state = OLD.state;
            UPDATE queue_counts SET n = n - 1 WHERE OLD.state = 'queued' AND user_id = OLD.user_id AND priority = OLD.priority;
        END;
        """
}
