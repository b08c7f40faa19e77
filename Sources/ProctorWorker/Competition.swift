import ProctorCore

import Foundation

/// A competition as loaded from its directory: the manifest, where it lives,
/// and whether it may take jobs (with the reason if not).
public struct Competition: Sendable {
    public var manifest: CompetitionManifest
    /// The competition's directory (holding `public/`, `private/`, `grader/`).
    public var directory: String
    /// `nil` when the competition takes jobs; otherwise why it does not.
    public var disabledReason: String?
    /// The Python environment both stages run in, if the competition brings one.
    public var recipe: EnvironmentRecipe?
    /// The system tree (an absolute path) both stages see instead of the
    /// host's, if the competition brings one.
    public var rootfs: String?
    /// Size and modification time of each data file when its checksum was verified.
    var verifiedStamps: [String: FileStamp]

    public var id: String { manifest.id }
    public var version: String { manifest.version }
    public var isEnabled: Bool { disabledReason == nil }
}

/// A cheap fingerprint of a file: which file (device and inode), its size
/// and modification time. If it is unchanged, the file's checksum need not be
/// computed again.
struct FileStamp: Equatable, Sendable, Codable {
    var device: UInt64
    var inode: UInt64
    var size: Int64
    var modified: Double

    init?(path: String) {
        var info = stat()
        guard stat(path, &info) == 0 else { return nil }
        device = UInt64(info.st_dev)
        inode = UInt64(info.st_ino)
        size = Int64(info.st_size)
        modified = Double(info.st_mtim.tv_sec) + Double(info.st_mtim.tv_nsec) / 1e9
    }
}
