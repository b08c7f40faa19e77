/// Strict patterns for identifiers that come from requests. An identifier that
/// passes here is safe in a file path, a log line and a URL.
public enum Identifier {
    /// `[a-z0-9]` then up to `maxLength - 1` of `[a-z0-9]` or the `extra` characters.
    public static func matches(_ text: String, maxLength: Int, extra: String = "-") -> Bool {
        guard let first = text.utf8.first, !text.isEmpty, text.utf8.count <= maxLength else { return false }
        func plain(_ c: UInt8) -> Bool { (c >= 97 && c <= 122) || (c >= 48 && c <= 57) }
        let allowed = Set(extra.utf8)
        return plain(first) && text.utf8.allSatisfy { plain($0) || allowed.contains($0) }
    }

    /// Competition ids: `[a-z0-9][a-z0-9-]{0,62}`.
    public static func isCompetitionID(_ text: String) -> Bool { matches(text, maxLength: 63) }

    /// Job ids are lower-case UUIDs.
    public static func isJobID(_ text: String) -> Bool {
        let parts = text.split(separator: "-", omittingEmptySubsequences: false)
        guard parts.map(\.count) == [8, 4, 4, 4, 12] else { return false }
        return text.utf8.allSatisfy { ($0 >= 48 && $0 <= 57) || ($0 >= 97 && $0 <= 102) || $0 == 45 }
    }

    /// A file name a user may upload: no path parts, no control characters, no
    /// leading dot, at most 128 bytes.
    public static func isSafeFileName(_ name: String) -> Bool {
        guard !name.isEmpty, name.utf8.count <= 128, !name.hasPrefix("."), name != "..", !name.contains("/"),
            !name.contains("\\")
        else { return false }
        return name.unicodeScalars.allSatisfy { $0.value >= 0x20 && $0.value != 0x7f }
    }
}
