import Foundation
import GRDB

extension JobStore {
    /// Copies the SQLite database, consistent as of one moment, to a new file
    /// at `path` while the service keeps serving (SQLite's online backup).
    /// PostgreSQL is backed up with its own tools; asked of it, this says how.
    /// Blocks its thread for the copy: for commands, not request handlers.
    public func backup(toFile path: String) async throws {
        guard let sqlite = database as? SQLiteDatabase else {
            throw StoreError.invalid("""
                PostgreSQL is backed up with its own tools: pg_dump --format=custom --file=BACKUP 'postgres://…', \\
                restored into an empty database with pg_restore --dbname='postgres://…' BACKUP
                """)
        }
        guard !FileManager.default.fileExists(atPath: path) else { throw StoreError.conflict("\(path) already exists; back up to a new file") }
        do {
            let copy = try DatabaseQueue(path: path)
            try sqlite.pool.backup(to: copy)
            try copy.close()
        } catch {
            try? FileManager.default.removeItem(atPath: path)
            throw error
        }
    }

    /// Checks that the database is whole (SQLite's `quick_check`); throws what
    /// is wrong and what to do. PostgreSQL guards its own pages.
    public func checkIntegrity() async throws {
        guard let sqlite = database as? SQLiteDatabase else { return }
        let problems: [String]
        do {
            problems = try await sqlite.pool.read { db in try String.fetchAll(db, sql: "PRAGMA quick_check") }
        } catch let error as DatabaseError {
            problems = [error.message ?? "\(error.resultCode)"]
        }
        guard problems != ["ok"] else { return }
        throw StoreError.invalid(Self.damaged(sqlite.path, because: problems.prefix(3).joined(separator: "; ")))
    }

    /// What to say of a damaged SQLite file, and what to do about it.
    static func damaged(_ path: String, because reason: String) -> String {
        """
        the database \(path) is damaged (\(reason)); restore the last backup into a new data directory with \
        'proctor admin restore --from BACKUP --data-dir NEW_DIR' and serve that, or move the file away to start empty
        """
    }
}
