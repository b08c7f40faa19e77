#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif

/// Limits of one grading stage as a competition declares them; anything left
/// out takes the sandbox's safe default.
public struct StageLimits: Codable, Sendable, Equatable {
    public var cpuTime: Double?
    public var idleTime: Double?
    public var wallTime: Double?
    public var memory: UInt64?
    public var processes: UInt64?
    public var disk: UInt64?
    public var output: UInt64?
    /// VRAM of all the stage's processes together, in bytes (GPU competitions).
    public var vram: UInt64?

    public init(cpuTime: Double? = nil, idleTime: Double? = nil, wallTime: Double? = nil, memory: UInt64? = nil,
                processes: UInt64? = nil, disk: UInt64? = nil, output: UInt64? = nil, vram: UInt64? = nil) {
        self.vram = vram
        self.cpuTime = cpuTime
        self.idleTime = idleTime
        self.wallTime = wallTime
        self.memory = memory
        self.processes = processes
        self.disk = disk
        self.output = output
    }

    enum CodingKeys: String, CodingKey {
        case cpuTime = "cpu_time", idleTime = "idle_time", wallTime = "wall_time", memory, processes, disk, output, vram
    }
}

/// The `competition.json` an operator writes in a competition's directory.
/// A version is immutable: a change of data or commands is a new version.
public struct CompetitionManifest: Codable, Sendable, Equatable {
    public var id: String
    public var version: String
    public var title: String
    public var description: String?
    /// File names a submission may have (such as `solution.py`).
    public var acceptedFiles: [String]
    /// The solution stage's command, run in `/workspace` holding the submission,
    /// with the public data at `/data`.
    public var run: [String]
    /// The grade stage's command, run in `/workspace` holding only a copy of the
    /// output file, with `/private` (answers) and `/grader`; it writes `results.jsonl`.
    public var grade: [String]
    /// The file the solution must leave in `/workspace` for the grader.
    public var outputFile: String
    public var maxOutputBytes: UInt64?
    public var limits: StageLimits?
    public var gradeLimits: StageLimits?
    /// Bounds for a submission's `expected_time` (seconds): its default and maximum.
    public var defaultExpectedTime: Double?
    public var maxExpectedTime: Double?
    /// Whole GPUs a job needs.
    public var gpus: Int?
    /// Labels a node must carry to run this competition (such as `{"gpu": "h100"}`).
    public var nodeLabels: [String: String]?
    /// The lowest CUDA compute capability (`"8.0"`) the job's GPUs may have.
    public var minComputeCapability: String?
    /// SHA-256 (hex) of every data file, by path relative to the directory.
    public var files: [String: String]
    /// The competition's own software (``EnvironmentDeclaration``); `nil` runs
    /// both stages on the node's system.
    public var environment: EnvironmentDeclaration?
    /// Whether a higher or a lower score is better on the leaderboard (default: higher).
    public var scoreOrder: ScoreOrder?
    /// When the competition ends (ISO 8601, such as `2026-12-31T23:59:59Z`):
    /// later submissions are refused, and the leaderboard turns to the
    /// private score. `nil`: it never ends.
    public var endsAt: String?
    /// Submissions one user may make to this competition per UTC day, beside the service's quotas.
    public var maxSubmissionsPerDay: Int?
    /// Who may read the grade stage's stdout and stderr. The grader reads the
    /// private answers, so by default only admins may; `public` shows them to
    /// the submitter too.
    public var gradeLogs: LogVisibility?

    /// Who may read a stage's logs.
    public enum LogVisibility: String, Codable, Sendable {
        /// Admins only (the default for the grade stage).
        case `private`
        /// The job's owner too.
        case `public`
    }

    /// Which way scores rank.
    public enum ScoreOrder: String, Codable, Sendable {
        case higher, lower
    }

    /// When the competition ends, parsed from `ends_at`; `nil` when it never does (or `ends_at` is malformed).
    public var endDate: Date? {
        endsAt.flatMap { try? Date($0, strategy: .iso8601) }
    }

    /// Whether the competition has ended at `now`.
    public func hasEnded(at now: Date) -> Bool { endDate.map { now >= $0 } ?? false }

    /// Whether the submitter may read the grade stage's logs.
    public var gradeLogsArePublic: Bool { gradeLogs == .public }

    public init(id: String, version: String, title: String, description: String? = nil, acceptedFiles: [String],
                run: [String], grade: [String], outputFile: String, maxOutputBytes: UInt64? = nil,
                limits: StageLimits? = nil, gradeLimits: StageLimits? = nil, defaultExpectedTime: Double? = nil,
                maxExpectedTime: Double? = nil, gpus: Int? = nil, files: [String: String]) {
        self.id = id
        self.version = version
        self.title = title
        self.description = description
        self.acceptedFiles = acceptedFiles
        self.run = run
        self.grade = grade
        self.outputFile = outputFile
        self.maxOutputBytes = maxOutputBytes
        self.limits = limits
        self.gradeLimits = gradeLimits
        self.defaultExpectedTime = defaultExpectedTime
        self.maxExpectedTime = maxExpectedTime
        self.gpus = gpus
        self.files = files
    }

    enum CodingKeys: String, CodingKey {
        case id, version, title, description, run, grade, limits, gpus, files
        case acceptedFiles = "accepted_files", outputFile = "output_file", maxOutputBytes = "max_output_bytes"
        case gradeLimits = "grade_limits", defaultExpectedTime = "default_expected_time"
        case maxExpectedTime = "max_expected_time", nodeLabels = "node_labels", gradeLogs = "grade_logs"
        case minComputeCapability = "min_compute_capability", environment
        case scoreOrder = "score_order", endsAt = "ends_at", maxSubmissionsPerDay = "max_submissions_per_day"
    }

    /// The `expected_time` a submission may give, in seconds: from 1 up to
    /// `max_expected_time`, which defaults to the solution's wall-time limit
    /// (so a competition that sets no maximum lets jobs only ask for less).
    public var expectedTimeRange: ClosedRange<Double> {
        1...max(1, maxExpectedTime ?? limits?.wallTime ?? 30)
    }

    /// Problems with the manifest, each a sentence an operator can act on; empty when valid.
    public func problems() -> [String] {
        var problems: [String] = []
        if !Identifier.isCompetitionID(id) { problems.append("id '\(id)' must match [a-z0-9][a-z0-9-]{0,62}") }
        if !Identifier.matches(version.lowercased(), maxLength: 32, extra: "._-") {
            problems.append("version '\(version)' must be 1-32 letters, digits, '.', '_' or '-'")
        }
        if acceptedFiles.isEmpty || !acceptedFiles.allSatisfy(Identifier.isSafeFileName) {
            problems.append("accepted_files must list plain file names such as solution.py")
        }
        if run.isEmpty { problems.append("run must be a non-empty command") }
        if grade.isEmpty { problems.append("grade must be a non-empty command") }
        if !Identifier.isSafeFileName(outputFile) { problems.append("output_file must be a plain file name") }
        if let gpus, gpus < 0 || gpus > 16 { problems.append("gpus must be between 0 and 16") }
        if let minComputeCapability {
            if ComputeCapability(minComputeCapability) == nil {
                problems.append("min_compute_capability '\(minComputeCapability)' must look like 8.0 (major.minor)")
            }
            if (gpus ?? 0) == 0 { problems.append("min_compute_capability needs gpus of at least 1") }
        }
        for (path, sum) in files {
            let parts = path.split(separator: "/", omittingEmptySubsequences: false)
            if path.hasPrefix("/") || parts.contains(where: { $0.isEmpty || $0 == "." || $0 == ".." }) {
                problems.append("files: '\(path)' must be a relative path inside the competition directory")
            }
            if sum.count != 64 || !sum.utf8.allSatisfy({ ($0 >= 48 && $0 <= 57) || ($0 >= 97 && $0 <= 102) }) {
                problems.append("files: the checksum of '\(path)' must be 64 lower-case hex digits (SHA-256)")
            }
        }
        if let environment { problems += environment.problems() }
        if let endsAt, endDate == nil { problems.append("ends_at '\(endsAt)' must be an ISO 8601 time such as 2026-12-31T23:59:59Z") }
        if let maxSubmissionsPerDay, maxSubmissionsPerDay < 1 { problems.append("max_submissions_per_day must be at least 1") }
        if let d = defaultExpectedTime, let m = maxExpectedTime, d > m {
            problems.append("default_expected_time must not exceed max_expected_time")
        }
        return problems
    }
}
