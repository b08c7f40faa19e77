import Crypto
import ProctorCore
import Synchronization

import Foundation

/// Every competition under a root directory, by id and version. A broken
/// manifest or a data file whose checksum does not match disables that one
/// competition with a clear reason; nothing takes the service down.
public final class CompetitionCatalog: Sendable {
    public let root: String
    private let entries: Mutex<[String: [Competition]]>
    private let hashes: HashCache

    /// Loads `root/*/competition.json`, verifying each declared data file;
    /// with `hashCache` (a file path), checksums of unchanged files are
    /// remembered across restarts instead of read again.
    public init(root: String, hashCache: String? = nil) {
        self.root = root
        hashes = HashCache(file: hashCache)
        entries = Mutex(Self.scan(root, hashes: hashes))
    }

    /// Loads the directory again (on SIGHUP, or an admin's request) and puts
    /// what it finds in place at once. Jobs keep the competition they started
    /// with; unchanged data files are not read again. Returns the competitions
    /// now enabled.
    @discardableResult
    public func reload() -> Set<String> {
        let found = Self.scan(root, hashes: hashes)
        entries.withLock { $0 = found }
        return enabledIDs
    }

    /// Data files hashed (not remembered) since this catalog was made.
    public var filesHashed: Int { hashes.filesHashed }

    private static func scan(_ root: String, hashes: HashCache) -> [String: [Competition]] {
        var found: [String: [Competition]] = [:]
        let names = ((try? FileManager.default.contentsOfDirectory(atPath: root)) ?? []).sorted()
        for name in names where !name.hasPrefix(".") {
            let directory = root + "/" + name
            let manifestPath = directory + "/competition.json"
            guard FileManager.default.fileExists(atPath: manifestPath) else { continue }
            let competition = Self.load(directory: directory, manifestPath: manifestPath, fallbackID: name, hashes: hashes)
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
        // Every declared data file's checksum is kept, matching or not: an unchanged file is never read twice.
        let inUse = Set(found.values.flatMap { $0 }.flatMap { c in c.manifest.files.keys.map { c.directory + "/" + $0 } })
        hashes.save(keeping: inUse)
        return found
    }

    static func load(directory: String, manifestPath: String, fallbackID: String, hashes: HashCache) -> Competition {
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
            guard let actual = hashes.sha256(of: path) else {
                competition.disabledReason = "data file \(relative) is missing or unreadable"
                break
            }
            guard actual == expected else {
                competition.disabledReason = "data file \(relative) does not match its checksum (corrupt or changed without a new version)"
                break
            }
            competition.verifiedStamps[relative] = FileStamp(path: path)
        }
        if competition.isEnabled, let declared = manifest.environment {
            if let python = declared.python, let requirements = declared.requirements {
                switch EnvironmentRecipe.load(python: python, requirementsPath: directory + "/" + requirements) {
                case .success(let recipe): competition.recipe = recipe
                case .failure(let problem): competition.disabledReason = "\(manifestPath): \(problem)"
                }
            } else if let rootfs = declared.rootfs {
                let path = directory + "/" + (rootfs.hasSuffix("/") ? String(rootfs.dropLast()) : rootfs)
                var isDirectory: ObjCBool = false
                if FileManager.default.fileExists(atPath: path + "/usr", isDirectory: &isDirectory), isDirectory.boolValue {
                    competition.rootfs = path
                } else {
                    competition.disabledReason = "\(manifestPath): environment.rootfs \(rootfs) holds no usr/ directory; unpack a distribution tree or an OCI image there"
                }
            }
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
        entries.withLock { $0.values.flatMap { $0 } }.sorted { ($0.id, $0.version) < ($1.id, $1.version) }
    }

    /// The version new submissions get: the newest enabled one.
    public func current(_ id: String) -> Competition? {
        entries.withLock { $0[id] }?.filter(\.isEnabled).max { Self.versionOrder($0.version, $1.version) }
    }

    /// A specific version (a job keeps the version it was accepted for).
    public func competition(_ id: String, version: String) -> Competition? {
        entries.withLock { $0[id] }?.first { $0.version == version }
    }

    /// The first reason any version of `id` is disabled, if none is enabled.
    public func disabledReason(_ id: String) -> String? {
        guard let versions = entries.withLock({ $0[id] }), !versions.contains(where: \.isEnabled) else { return nil }
        return versions.first?.disabledReason
    }

    /// Ids with at least one enabled version.
    public var enabledIDs: Set<String> { entries.withLock { Set($0.compactMap { $0.value.contains(where: \.isEnabled) ? $0.key : nil }) } }

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
