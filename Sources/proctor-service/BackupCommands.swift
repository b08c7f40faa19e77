import ArgumentParser
import Foundation
import ProctorStore

/// `proctor admin backup --to DIR`: the database (SQLite's online backup,
/// consistent as of one moment, taken while the service serves) and then the
/// job files, into a new directory that `proctor admin restore` reads.
struct BackupCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "backup", abstract: "Back up a serving (or stopped) service's database and job files into a new directory.")
    @Option(help: "Data directory of the server.") var dataDir = "./data"
    @Option(help: "The server's database URL, if not SQLite (default: $PROCTOR_DATABASE).") var database: String?
    @Option(help: "A new directory for the backup.") var to: String

    func run() async throws {
        let fm = FileManager.default
        guard !fm.fileExists(atPath: to) || ((try? fm.contentsOfDirectory(atPath: to)) ?? ["?"]).isEmpty else {
            throw ValidationError("\(to) exists and is not empty; back up into a new directory")
        }
        let store = try await StoreLocation(database ?? ProcessInfo.processInfo.environment["PROCTOR_DATABASE"], dataDirectory: dataDir).open()
        try fm.createDirectory(atPath: to, withIntermediateDirectories: true)
        // The database first: every job it holds had its files written before
        // it was acknowledged, so the files copied next include them all.
        try await store.backup(toFile: to + "/proctor.sqlite")
        let copied = try JobFiles.copy(from: dataDir + "/jobs", to: to + "/jobs")
        print("backed up the database and the files of \(copied) jobs to \(to)")
    }
}

/// `proctor admin restore --from DIR --data-dir NEW`: a backup into an empty
/// data directory, checked whole before it is reported restored.
struct RestoreCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "restore", abstract: "Restore a backup made by 'proctor admin backup' into a new data directory.")
    @Option(help: "The backup directory.") var from: String
    @Option(help: "A new data directory to restore into (serve it with 'proctor serve --data-dir').") var dataDir: String

    func run() async throws {
        let fm = FileManager.default
        guard fm.fileExists(atPath: from + "/proctor.sqlite") else {
            throw ValidationError("\(from) holds no proctor.sqlite; name a directory made by 'proctor admin backup'")
        }
        guard !fm.fileExists(atPath: dataDir + "/proctor.sqlite") else {
            throw ValidationError("\(dataDir) already holds a database; restore into a new data directory")
        }
        try fm.createDirectory(atPath: dataDir, withIntermediateDirectories: true)
        try fm.copyItem(atPath: from + "/proctor.sqlite", toPath: dataDir + "/proctor.sqlite")
        let copied = try JobFiles.copy(from: from + "/jobs", to: dataDir + "/jobs")
        let store = try await JobStore(sqlitePath: dataDir + "/proctor.sqlite")
        try await store.checkIntegrity()
        let jobs = try await store.stateCounts().values.reduce(0, +)
        print("restored \(jobs) jobs (files of \(copied)) into \(dataDir); serve it with 'proctor serve --data-dir \(dataDir)'")
    }
}

/// The per-job directories under a data directory's `jobs/`.
enum JobFiles {
    /// Copies each job's directory that is not already at `destination`
    /// (one that vanishes meanwhile, pruned by retention, is skipped); returns how many.
    static func copy(from source: String, to destination: String) throws -> Int {
        let fm = FileManager.default
        try fm.createDirectory(atPath: destination, withIntermediateDirectories: true)
        guard let names = try? fm.contentsOfDirectory(atPath: source) else { return 0 }
        var copied = 0
        for name in names where !fm.fileExists(atPath: destination + "/" + name) {
            do {
                try fm.copyItem(atPath: source + "/" + name, toPath: destination + "/" + name)
                copied += 1
            } catch where !fm.fileExists(atPath: source + "/" + name) {
                try? fm.removeItem(atPath: destination + "/" + name)
            }
        }
        return copied
    }
}
