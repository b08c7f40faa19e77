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
    /// Size and modification time of each data file when its checksum was verified.
    var verifiedStamps: [String: FileStamp]

    public var id: String { manifest.id }
    public var version: String { manifest.version }
    public var isEnabled: Bool { disabledReason == nil }
}

/// A cheap fingerprint of a file: if it is unchanged, the file's checksum need
/// not be computed again.
struct FileStamp: Equatable, Sendable {
    var size: Int64
    var modified: Double

    init?(path: String) {
        guard let attributes = try? FileManager.default.attributesOfItem(atPath: path),
            let size = attributes[.size] as? NSNumber, let modified = attributes[.modificationDate] as? Date
        else { return nil }
        self.size = size.int64Value
        self.modified = modified.timeIntervalSince1970
    }
}
