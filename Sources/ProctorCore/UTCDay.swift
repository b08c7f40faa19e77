#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif

/// Days as competitions count them: in UTC, from midnight to midnight, the
/// same for every participant wherever they are.
public enum UTCDay {
    /// Midnight (UTC) at the start of the day holding `date`.
    public static func start(of date: Date) -> Date {
        Date(timeIntervalSince1970: (date.timeIntervalSince1970 / 86400).rounded(.down) * 86400)
    }
}
