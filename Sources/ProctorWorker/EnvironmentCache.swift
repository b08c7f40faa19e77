import Logging
import ProctorCore
import ProctorSandbox

import Foundation

/// The environments built on this node, content-addressed in the worker's
/// directory (`<root>/<identity>`), shared by every worker process of the
/// node that uses the same directory.
///
/// Guarantees: an environment is built once (a file lock per identity makes a
/// second process wait for the first's build and use it); a half-built one is
/// never used (it is built aside and renamed into place); a failed build is
/// remembered with its reason and tried again only after `retryAfter`; the
/// cache keeps under its size cap by removing the least recently used
/// environments, never one a job holds (``acquire(_:)``).
public actor EnvironmentCache {
    public nonisolated let root: String
    let builder: EnvironmentBuilder
    let cacheBytes: UInt64
    let logger: Logger
    /// Seconds after which a failed build is tried again.
    let retryAfter: Double
    /// Builds of this process under way or failed, by identity, with when they ended.
    private var outcomes: [String: (status: EnvironmentStatus, at: ContinuousClock.Instant)] = [:]
    private var waiting: [String: [CheckedContinuation<EnvironmentStatus, Never>]] = [:]
    /// Builds this cache ran to a ready environment.
    public private(set) var buildsRun = 0

    public init(root: String, sandbox: Sandbox, settings: EnvironmentSettings, logger: Logger, retryAfter: Double = 600) {
        self.root = root
        self.cacheBytes = settings.cacheBytes
        self.logger = logger
        self.retryAfter = retryAfter
        builder = EnvironmentBuilder(sandbox: sandbox, settings: settings, root: root, logger: logger)
        for directory in [root, root + "/.locks", root + "/.sizes"] {
            try? FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        }
        chmod(root, 0o755)
        // What an eviction renamed away but a crash kept it from removing.
        for name in (try? FileManager.default.contentsOfDirectory(atPath: root)) ?? [] where name.hasPrefix(".trash-") {
            try? FileManager.default.removeItem(atPath: root + "/" + name)
        }
        WheelFetcher.removeStaleStaging(olderThan: settings.buildTime * 2)
    }

    /// Where `recipe`'s environment lives once built.
    public nonisolated func path(of recipe: EnvironmentRecipe) -> String { root + "/" + recipe.identity }

    /// Whether `recipe`'s environment is built and complete on this node.
    public nonisolated func isReady(_ recipe: EnvironmentRecipe) -> Bool {
        FileManager.default.isExecutableFile(atPath: path(of: recipe) + "/bin/python")
    }

    /// Ready, building, or failed with the reason; `nil` when this process has not tried it yet.
    public func status(of recipe: EnvironmentRecipe) -> EnvironmentStatus? {
        isReady(recipe) ? .ready : outcomes[recipe.identity]?.status
    }

    /// Makes `recipe`'s environment ready, building it if needed (or waiting
    /// for the build another caller or process runs), and says how it ended.
    @discardableResult
    public func prepare(_ recipe: EnvironmentRecipe) async -> EnvironmentStatus {
        let id = recipe.identity
        if isReady(recipe) { return .ready }
        if let known = outcomes[id] {
            if known.status.state == .building {
                return await withCheckedContinuation { waiting[id, default: []].append($0) }
            }
            if ContinuousClock.now - known.at < .seconds(retryAfter) { return known.status }
        }
        outcomes[id] = (.building, .now)
        let result = await buildOnce(recipe)
        outcomes[id] = result.state == .ready ? nil : (result, .now)
        for waiter in waiting.removeValue(forKey: id) ?? [] { waiter.resume(returning: result) }
        return result
    }

    private func buildOnce(_ recipe: EnvironmentRecipe) async -> EnvironmentStatus {
        let id = recipe.identity
        let lock = FileLock(path: root + "/.locks/" + id + ".build")
        guard await lock.lock(.exclusive) else { return .failed("cannot lock \(lock.path)") }
        defer { lock.unlock() }
        if isReady(recipe) { return .ready }  // another process built it while this one waited
        var logger = self.logger
        logger[metadataKey: "environment"] = "\(id.prefix(12))"
        logger.info("building environment", metadata: ["python": "\(recipe.python)"])
        let started = ContinuousClock.now
        do {
            try await builder.build(recipe)
        } catch {
            logger.error("environment build failed", metadata: ["why": "\(error.description)"])
            return .failed(error.description)
        }
        buildsRun += 1
        let size = Self.size(of: path(of: recipe))
        try? String(size).write(toFile: root + "/.sizes/" + id, atomically: true, encoding: .utf8)
        logger.info("environment ready", metadata: ["took": "\(ContinuousClock.now - started)", "bytes": "\(size)"])
        let evicted = evict(keeping: id)
        if !evicted.isEmpty { logger.info("environments evicted to keep the cache under its cap", metadata: ["evicted": "\(evicted)"]) }
        return .ready
    }

    /// Holds `recipe`'s environment for a job: `nil` when it is not ready.
    /// While the lease lives, no process of the node evicts the environment.
    public nonisolated func acquire(_ recipe: EnvironmentRecipe) -> EnvironmentLease? {
        let lock = FileLock(path: root + "/.locks/" + recipe.identity + ".use")
        var tries = 0
        // Eviction holds the lock only while it renames the directory away.
        while !lock.tryLock(.shared) {
            tries += 1
            guard tries < 200 else { return nil }
            usleep(1000)
        }
        guard isReady(recipe) else { return nil }
        lock.touch()
        return EnvironmentLease(path: path(of: recipe), lock: lock)
    }

    /// Removes the least recently used environments until the cache fits its
    /// cap, skipping `kept` and every environment a job holds; returns the
    /// identities removed.
    func evict(keeping kept: String) -> [String] {
        let names = ((try? FileManager.default.contentsOfDirectory(atPath: root)) ?? []).filter { name in
            name.utf8.count == 64 && name.utf8.allSatisfy { ($0 >= 48 && $0 <= 57) || ($0 >= 97 && $0 <= 102) }
        }
        var entries = names.map { id -> (id: String, size: UInt64, used: Double) in
            let size = (try? String(contentsOfFile: root + "/.sizes/" + id, encoding: .utf8)).flatMap { UInt64($0) } ?? Self.size(of: root + "/" + id)
            return (id, size, FileStamp(path: root + "/.locks/" + id + ".use")?.modified ?? FileStamp(path: root + "/" + id)?.modified ?? 0)
        }
        var total = entries.reduce(0) { $0 + $1.size }
        entries.sort { $0.used < $1.used }
        var evicted: [String] = []
        for entry in entries where total > cacheBytes && entry.id != kept {
            let lock = FileLock(path: root + "/.locks/" + entry.id + ".use")
            guard lock.tryLock(.exclusive) else { continue }  // a job holds it
            let trash = root + "/.trash-" + entry.id
            guard rename(root + "/" + entry.id, trash) == 0 else { continue }
            lock.unlock()
            try? FileManager.default.removeItem(atPath: trash)
            try? FileManager.default.removeItem(atPath: root + "/.sizes/" + entry.id)
            total -= entry.size
            evicted.append(entry.id)
        }
        return evicted
    }

    /// Bytes a tree takes on disk, its symbolic links not followed.
    static func size(of path: String) -> UInt64 {
        var total: UInt64 = 0
        var info = stat()
        if lstat(path, &info) == 0 { total += UInt64(info.st_blocks) * 512 }
        guard let walker = FileManager.default.enumerator(atPath: path) else { return total }
        while let relative = walker.nextObject() as? String {
            if lstat(path + "/" + relative, &info) == 0 { total += UInt64(info.st_blocks) * 512 }
        }
        return total
    }
}

/// A job's hold on an environment: eviction skips it until the lease is gone.
public final class EnvironmentLease: Sendable {
    /// The environment's directory, bound read-only at `/env` in both stages.
    public let path: String
    private let lock: FileLock

    init(path: String, lock: FileLock) {
        self.path = path
        self.lock = lock
    }
}
