#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif

/// The grader's `results.jsonl`: one JSON object per line, one of which carries
/// a finite numeric `score`. Anything else is refused with a reason, and the
/// job is failed as the grader's fault.
public enum ResultsFile {
    public static let maximumBytes = 1 << 20
    public static let maximumLines = 1000

    /// The parsed lines and the score, or the reason the file is not acceptable.
    public static func parse(_ data: [UInt8]) -> Result<(score: Double, lines: [JSONValue]), JobError> {
        func invalid(_ why: String) -> Result<(score: Double, lines: [JSONValue]), JobError> {
            .failure(JobError(.invalidResults, "the grader's results.jsonl \(why)"))
        }
        guard data.count <= maximumBytes else { return invalid("is larger than 1 MiB") }
        guard let text = String(validating: data, as: UTF8.self) else { return invalid("is not UTF-8") }
        var lines: [JSONValue] = []
        var score: Double?
        for (number, line) in text.split(omittingEmptySubsequences: true, whereSeparator: \.isNewline).enumerated() {
            guard lines.count < maximumLines else { return invalid("has more than \(maximumLines) lines") }
            guard let value = try? JSONDecoder().decode(JSONValue.self, from: Data(line.utf8)), case .object = value else {
                return invalid("line \(number + 1) is not a JSON object")
            }
            if score == nil, let s = value["score"] {
                guard let n = s.doubleValue, n.isFinite else { return invalid("line \(number + 1) has a score that is not a finite number") }
                score = n
            }
            lines.append(value)
        }
        guard !lines.isEmpty else { return invalid("is empty") }
        guard let score else { return invalid("has no line with a \"score\"") }
        return .success((score, lines))
    }
}
