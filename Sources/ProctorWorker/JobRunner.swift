import Foundation
import Logging
import ProctorCore
import ProctorGPU
import ProctorSandbox

/// Runs one job's two stages in the sandbox and says how it ended. Knows
/// nothing of leases or HTTP: the worker around it does.
struct JobRunner {
    let sandbox: Sandbox
    let dataDirectory: String
    let logger: Logger

    /// Runs `job` in `slot` (on `gpus`, watched by `warden`) and returns the terminal update to report.
    func run(_ job: Job, competition: Competition, slot: Int, gpus: [GPU] = [], warden: (any ResourceMonitor)? = nil,
             environment: String? = nil) async -> JobUpdate {
        let paths = JobPaths(dataDirectory: dataDirectory, jobID: job.id)
        do {
            try prepare(paths: paths, job: job)
        } catch {
            return JobUpdate(state: .errored, reason: "preparing the job's files failed",
                             error: JobError(.infrastructure, "the worker could not prepare the job's files: \(error)"), nodeFault: true)
        }

        // Stage 1: the solution.
        let solution: RunReport
        do {
            solution = try await sandbox.run(StageSpec.solution(job: job, competition: competition, paths: paths, slot: slot, gpus: gpus, environment: environment), monitor: warden)
        } catch is CancellationError {
            return JobUpdate(state: .cancelled, reason: "cancelled while running", error: JobError(.cancelled, "cancelled while the solution ran"))
        } catch {
            return infrastructure("the sandbox could not start the solution: \(error)", nodeFault: true)
        }
        let solutionJSON = Self.json(solution)
        if let failure = Self.solutionFailure(solution, stderrPath: paths.log(stage: "solution", stream: "stderr")) {
            if failure.type == .infrastructure { return infrastructure(failure.message, solution: solutionJSON) }
            let state: JobState = failure.type == .solutionTimedOut ? .timedOut : .failed
            return JobUpdate(state: state, reason: failure.message, solutionReport: solutionJSON, error: failure)
        }

        // Between stages: only a regular, bounded output file crosses to the grader.
        let output = paths.solutionWorkspace + "/" + competition.manifest.outputFile
        let maximum = competition.manifest.maxOutputBytes ?? 64 << 20
        switch Self.checkOutput(path: output, maximum: maximum) {
        case .failure(let error):
            return JobUpdate(state: .failed, reason: error.message, solutionReport: solutionJSON, error: error)
        case .success:
            do {
                try FileManager.default.createDirectory(atPath: paths.gradeWorkspace, withIntermediateDirectories: true)
                try FileManager.default.copyItem(atPath: output, toPath: paths.gradeWorkspace + "/" + competition.manifest.outputFile)
            } catch {
                return infrastructure("copying the output file for the grader failed: \(error)", solution: solutionJSON, nodeFault: true)
            }
        }

        // Stage 2: the grader.
        let grade: RunReport
        do {
            grade = try await sandbox.run(StageSpec.grade(job: job, competition: competition, paths: paths, slot: slot, environment: environment))
        } catch is CancellationError {
            return JobUpdate(state: .cancelled, reason: "cancelled while grading", solutionReport: solutionJSON,
                             error: JobError(.cancelled, "cancelled while grading"))
        } catch {
            return infrastructure("the sandbox could not start the grader: \(error)", solution: solutionJSON, nodeFault: true)
        }
        let gradeJSON = Self.json(grade)
        let results = FileManager.default.contents(atPath: paths.gradeWorkspace + "/results.jsonl").map(Array.init)
        // A grader that says the submission is invalid blames the submission,
        // whatever its exit status: the user gets its words, no one is alerted.
        if case .exited = grade.verdict, let results, let why = ResultsFile.rejection(results) {
            let error = ResultsFile.rejected(why)
            logger.info("grader refused the submission", metadata: ["job": "\(job.id)", "competition": "\(competition.id)"])
            return JobUpdate(state: .failed, reason: error.message, solutionReport: solutionJSON, gradeReport: gradeJSON, error: error)
        }
        guard grade.verdict == .exited(code: 0) else {
            if case .internalError(let message) = grade.verdict { return infrastructure(message, solution: solutionJSON) }
            let error = JobError(.graderFailed, "the grader failed (\(Self.describe(grade.verdict))); this is not your solution's fault and operators were alerted")
            logger.error("grader failed", metadata: ["job": "\(job.id)", "request": "\(job.requestID)", "competition": "\(competition.id)", "verdict": "\(Self.describe(grade.verdict))"])
            return JobUpdate(state: .failed, reason: error.message, solutionReport: solutionJSON, gradeReport: gradeJSON, error: error)
        }
        guard let results else {
            let error = JobError(.invalidResults, "the grader wrote no results.jsonl; operators were alerted")
            logger.error("grader wrote no results", metadata: ["job": "\(job.id)", "competition": "\(competition.id)"])
            return JobUpdate(state: .failed, reason: error.message, solutionReport: solutionJSON, gradeReport: gradeJSON, error: error)
        }
        switch ResultsFile.parse(results) {
        case .failure(let error):
            logger.error("grader wrote invalid results", metadata: ["job": "\(job.id)", "competition": "\(competition.id)", "why": "\(error.message)"])
            return JobUpdate(state: .failed, reason: error.message, solutionReport: solutionJSON, gradeReport: gradeJSON, error: error)
        case .success(let parsed):
            return JobUpdate(state: .succeeded, reason: "graded: score \(parsed.score)", solutionReport: solutionJSON,
                             gradeReport: gradeJSON, score: parsed.score, results: parsed.lines)
        }
    }

    /// A failure that is not the user's. `nodeFault` says the worker caused it
    /// itself; a sandbox error after the program started may have followed
    /// what the program did, and is not counted against the node alone.
    private func infrastructure(_ message: String, solution: JSONValue? = nil, nodeFault: Bool = false) -> JobUpdate {
        logger.error("infrastructure failure", metadata: ["why": "\(message)", "node_fault": "\(nodeFault)"])
        return JobUpdate(state: .errored, reason: message, solutionReport: solution, error: JobError(.infrastructure, message),
                         nodeFault: nodeFault)
    }

    /// A fresh solution workspace holding only the submitted file.
    private func prepare(paths: JobPaths, job: Job) throws {
        let fm = FileManager.default
        for directory in [paths.solutionWorkspace, paths.gradeWorkspace] where fm.fileExists(atPath: directory) {
            try fm.removeItem(atPath: directory)
        }
        try fm.createDirectory(atPath: paths.solutionWorkspace, withIntermediateDirectories: true)
        try fm.createDirectory(atPath: paths.logs, withIntermediateDirectories: true)
        try fm.copyItem(atPath: paths.submission + "/" + job.fileName, toPath: paths.solutionWorkspace + "/" + job.fileName)
    }

    /// Why the solution stage failed, in words for the person who wrote it; `nil` if it succeeded.
    static func solutionFailure(_ report: RunReport, stderrPath: String) -> JobError? {
        let verdict = report.verdict
        let stderrNote: String
        if let attributes = try? FileManager.default.attributesOfItem(atPath: stderrPath), (attributes[.size] as? NSNumber)?.intValue ?? 0 > 0 {
            stderrNote = "; see its stderr log"
        } else {
            stderrNote = " (its stderr was empty)"
        }
        switch verdict {
        case .exited(0): return nil
        case .exited(let code): return JobError(.solutionCrashed, "your solution exited with status \(code)\(stderrNote)")
        case .signaled(let signal):
            return JobError(.solutionCrashed, "your solution was killed by \(Verdict.name(ofSignal: signal)) (signal \(signal))\(stderrNote)")
        case .limitExceeded(let limit):
            switch limit {
            case .cpuTime: return JobError(.solutionTimedOut, "your solution used more CPU time than the competition allows")
            case .realTime: return JobError(.solutionTimedOut, "your solution ran longer than its wall-clock limit (expected_time or the competition's limit)")
            case .idlenessTime: return JobError(.solutionTimedOut, "your solution sat idle (sleeping or waiting for input) longer than allowed")
            case .memory: return JobError(.solutionLimitExceeded, "your solution used more memory than the competition allows")
            case .processes: return JobError(.solutionLimitExceeded, "your solution started more processes or threads than allowed")
            case .output: return JobError(.solutionLimitExceeded, "your solution printed more output than allowed")
            case .disk: return JobError(.solutionLimitExceeded, "your solution filled its disk space (/tmp or /workspace)")
            case .vram: return JobError(.solutionLimitExceeded, "your solution used more GPU memory than allowed")
            case .workspace:
                let why = report.notes?.first.map { ": " + $0 } ?? ""
                return JobError(.solutionLimitExceeded, "your solution left more in /workspace than can be returned\(why)")
            }
        case .internalError(let message): return JobError(.infrastructure, message)
        }
    }

    /// The output file must exist as a regular file of bounded size.
    static func checkOutput(path: String, maximum: UInt64) -> Result<Void, JobError> {
        let name = (path as NSString).lastPathComponent
        guard let attributes = try? FileManager.default.attributesOfItem(atPath: path) else {
            return .failure(JobError(.missingOutput, "your solution did not write \(name) in its working directory (/workspace)"))
        }
        guard attributes[.type] as? FileAttributeType == .typeRegular else {
            return .failure(JobError(.invalidOutput, "\(name) must be a regular file"))
        }
        let size = (attributes[.size] as? NSNumber)?.uint64Value ?? 0
        guard size <= maximum else {
            return .failure(JobError(.invalidOutput, "\(name) is \(size) bytes; the competition accepts at most \(maximum)"))
        }
        return .success(())
    }

    static func describe(_ verdict: Verdict) -> String {
        switch verdict {
        case .exited(let code): "exit status \(code)"
        case .signaled(let signal): Verdict.name(ofSignal: signal)
        case .limitExceeded(let limit): "\(limit.rawValue) limit exceeded"
        case .internalError(let message): message
        }
    }

    static func json(_ report: RunReport) -> JSONValue? {
        guard let data = try? JSONEncoder().encode(report) else { return nil }
        return try? JSONDecoder().decode(JSONValue.self, from: data)
    }
}
