import Foundation
import Synchronization

/// Checksums of competition data files already verified, by path and
/// fingerprint (device, inode, size, modification time), kept in a JSON file
/// so that a restart or a reload reads only the files that changed: with
/// 100 GB of data, hashing everything at every start is minutes lost.
final class HashCache: Sendable {
    private struct Entry: Codable {
        var stamp: FileStamp
        var sha256: String
    }

    private let file: String?
    private let entries: Mutex<[String: Entry]>
    /// Files whose checksum was computed rather than remembered, since this cache was made.
    private let computed = Atomic<Int>(0)

    /// Remembers in `file` (if given; else for this process only).
    init(file: String?) {
        self.file = file
        let saved = file.flatMap { FileManager.default.contents(atPath: $0) }.flatMap { try? JSONDecoder().decode([String: Entry].self, from: $0) }
        entries = Mutex(saved ?? [:])
    }

    /// The checksum of `path`: remembered if the file is the one hashed before
    /// and unchanged, else computed (and remembered).
    func sha256(of path: String) -> String? {
        guard let stamp = FileStamp(path: path) else { return nil }
        if let entry = entries.withLock({ $0[path] }), entry.stamp == stamp { return entry.sha256 }
        guard let sum = CompetitionCatalog.sha256(path: path) else { return nil }
        computed.add(1, ordering: .relaxed)
        // Recorded only if the file did not change while it was read.
        if FileStamp(path: path) == stamp { entries.withLock { $0[path] = Entry(stamp: stamp, sha256: sum) } }
        return sum
    }

    /// How many files were hashed (not remembered) so far.
    var filesHashed: Int { computed.load(ordering: .relaxed) }

    /// Writes the cache file (atomically), keeping only `paths` still in use.
    func save(keeping paths: Set<String>) {
        guard let file else { return }
        let kept = entries.withLock { entries in
            entries = entries.filter { paths.contains($0.key) }
            return entries
        }
        guard let data = try? JSONEncoder().encode(kept) else { return }
        try? data.write(to: URL(fileURLWithPath: file), options: .atomic)
    }
}
