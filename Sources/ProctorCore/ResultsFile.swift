#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif

/// The grader's `results.jsonl`: one JSON object per line, one of which carries
/// a finite numeric `score`. Anything else is refused with a reason, and the
/// job is failed as the grader's fault — unless the grader said the
/// submission itself is invalid: a line `{"invalid_submission": "why"}`
/// (``rejection(_:)``, checked first) fails the job as the solution's fault,
/// with the grader's words shown to the user (and no operator alerted).
public enum ResultsFile {
    /// The grader's reason for refusing the submission, if a line gives one:
    /// control characters dropped, at most 500 characters.
    public static func rejection(_ data: [UInt8]) -> String? {
        guard data.count <= maximumBytes, let text = String(validating: data, as: UTF8.self) else { return nil }
        for line in text.split(omittingEmptySubsequences: true, whereSeparator: \.isNewline).prefix(maximumLines) {
            guard let value = try? JSONDecoder().decode(JSONValue.self, from: Data(line.utf8)),
                case .string(let why)? = value["invalid_submission"]
            else { continue }
            let clean = String(String.UnicodeScalarView(why.unicodeScalars.filter { $0.properties.generalCategory != .control }))
            let trimmed = String(clean.drop { $0.isWhitespace }.reversed().drop { $0.isWhitespace }.reversed())
            return String((trimmed.isEmpty ? "no reason given" : trimmed).prefix(500))
        }
        return nil
    }

    /// The error for a submission the grader refused.
    public static func rejected(_ why: String) -> JobError {
        JobError(.invalidOutput, "the grader found your submission invalid: \(why)")
    }

    /// The `public_score` beside the score (the first line with a score), if the grader gave one.
    public static func publicScore(in lines: [JSONValue]) -> Double? {
        lines.first { $0["score"] != nil }?["public_score"]?.doubleValue
    }

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
                if let p = value["public_score"], !(p.doubleValue?.isFinite ?? false) {
                    return invalid("line \(number + 1) has a public_score that is not a finite number")
                }
            }
            lines.append(value)
        }
        guard !lines.isEmpty else { return invalid("is empty") }
        guard let score else { return invalid("has no line with a \"score\"") }
        return .success((score, lines))
    }
}
