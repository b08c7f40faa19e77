import Crypto
import ProctorCore

import Foundation

/// Every competition under a root directory, by id and version. A broken
/// manifest or a data file whose checksum does not match disables that one
/// competition with a clear reason; nothing takes the service down.
public final class CompetitionCatalog: Sendable {
    public let root: String
    private let entries: [String: [Competition]]

    /// Loads `root/*/competition.json`, verifying each declared data file.
    public init(root: String) {
        self.root = root
        var found: [String: [Competition]] = [:]
        let names = ((try? FileManager.default.contentsOfDirectory(atPath: root)) ?? []).sorted()
        for name in names where !name.hasPrefix(".") {
            let directory = root + "/" + name
            let manifestPath = directory + "/competition.json"
            guard FileManager.default.fileExists(atPath: manifestPath) else { continue }
            let competition = Self.load(directory: directory, manifestPath: manifestPath, fallbackID: name)
            found[competition.id, default: []].append(competition)
        }
        for (id, versions) in found {
            var seen: [String: Int] = [:]
            for v in versions { seen[v.version, default: 0] += 1 }
            found[id] = versions.map { competition in
                var c = competition
                if seen[c.version, default: 0] > 1 {
                    c.disabledReason = "two directories declare \(id) version \(c.version); give each version one directory"
                }
                return c
            }
        }
        entries = found
    }

    static func load(directory: String, manifestPath: String, fallbackID: String) -> Competition {
        func disabled(_ reason: String) -> Competition {
            let placeholder = CompetitionManifest(
                id: Identifier.isCompetitionID(fallbackID) ? fallbackID : "invalid", version: "0", title: fallbackID,
                acceptedFiles: [], run: [], grade: [], outputFile: "", files: [:])
            return Competition(manifest: placeholder, directory: directory, disabledReason: reason, verifiedStamps: [:])
        }
        guard let data = FileManager.default.contents(atPath: manifestPath) else {
            return disabled("\(manifestPath) cannot be read")
        }
        let manifest: CompetitionManifest
        do {
            manifest = try JSONDecoder().decode(CompetitionManifest.self, from: data)
        } catch {
            return disabled("\(manifestPath) is not a valid manifest: \(error)")
        }
        let problems = manifest.problems()
        guard problems.isEmpty else {
            var c = disabled("\(manifestPath): " + problems.joined(separator: "; "))
            c.manifest = manifest
            return c
        }
        var competition = Competition(manifest: manifest, directory: directory, disabledReason: nil, verifiedStamps: [:])
        for (relative, expected) in manifest.files.sorted(by: { $0.key < $1.key }) {
            let path = directory + "/" + relative
            guard let actual = Self.sha256(path: path) else {
                competition.disabledReason = "data file \(relative) is missing or unreadable"
                break
            }
            guard actual == expected else {
                competition.disabledReason = "data file \(relative) does not match its checksum (corrupt or changed without a new version)"
                break
            }
            competition.verifiedStamps[relative] = FileStamp(path: path)
        }
        return competition
    }

    /// Hex SHA-256 of a file, read in chunks: the checksum `competition.json` lists.
    public static func sha256(path: String) -> String? {
        guard let handle = FileHandle(forReadingAtPath: path) else { return nil }
        defer { try? handle.close() }
        var hasher = SHA256()
        while let chunk = try? handle.read(upToCount: 1 << 20), !chunk.isEmpty { hasher.update(data: chunk) }
        return hasher.finalize().hexString
    }

    /// All competitions, every version, sorted by id then version.
    public var all: [Competition] {
        entries.values.flatMap { $0 }.sorted { ($0.id, $0.version) < ($1.id, $1.version) }
    }

    /// The version new submissions get: the newest enabled one.
    public func current(_ id: String) -> Competition? {
        entries[id]?.filter(\.isEnabled).max { Self.versionOrder($0.version, $1.version) }
    }

    /// A specific version (a job keeps the version it was accepted for).
    public func competition(_ id: String, version: String) -> Competition? {
        entries[id]?.first { $0.version == version }
    }

    /// The first reason any version of `id` is disabled, if none is enabled.
    public func disabledReason(_ id: String) -> String? {
        guard let versions = entries[id], !versions.contains(where: \.isEnabled) else { return nil }
        return versions.first?.disabledReason
    }

    /// Ids with at least one enabled version.
    public var enabledIDs: Set<String> { Set(entries.compactMap { $0.value.contains(where: \.isEnabled) ? $0.key : nil }) }

    /// Numeric-aware ordering: "2" < "10", "1.2" < "1.10".
    static func versionOrder(_ a: String, _ b: String) -> Bool {
        let pa = a.split(whereSeparator: { !$0.isNumber && !$0.isLetter }), pb = b.split(whereSeparator: { !$0.isNumber && !$0.isLetter })
        for (x, y) in zip(pa, pb) where x != y {
            if let nx = Int(x), let ny = Int(y) { return nx < ny }
            return x < y
        }
        return pa.count < pb.count
    }

    /// Checks that the data files of `competition` are as verified at load:
    /// cheap when unchanged, a full checksum when size or time moved.
    public func verifyData(of competition: Competition) -> String? {
        for (relative, stamp) in competition.verifiedStamps {
            let path = competition.directory + "/" + relative
            if FileStamp(path: path) == stamp { continue }
            guard let sum = Self.sha256(path: path), sum == competition.manifest.files[relative] else {
                return "data file \(relative) of \(competition.id) version \(competition.version) changed or is corrupt"
            }
        }
        return nil
    }
}
