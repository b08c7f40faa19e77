import Foundation
import Hummingbird
import ProctorCore
import ProctorStore
import ProctorWorker

/// Takes a validated submission in: saves its file, stores the job within
/// the service's quotas and the competition's daily limit (each refusal a
/// problem that says when to try again), wakes the workers, and says whether
/// a node can run it. The same for the API and the web page.
struct Admission {
    let state: ServiceState

    /// The job as the submitter sees it, and whether it is new (not an idempotent replay).
    func accept(_ submission: Submission, from principal: Principal, context: ProctorRequestContext) async throws -> (JobResource, created: Bool) {
        let id = UUID().uuidString.lowercased()
        let paths = JobPaths(dataDirectory: state.configuration.dataDirectory, jobID: id)
        let file = submission.file, fileName = submission.fileName, directory = paths.submission
        try await BlockingIO.run { try SubmissionParser.save(file, named: fileName, in: directory) }
        var job = Job(
            id: id, userID: principal.user.id, competitionID: submission.competition.id,
            competitionVersion: submission.competition.version, fileName: submission.fileName,
            requestID: context.requestID, createdAt: Date(), expectedTime: submission.expectedTime,
            metadata: submission.metadata, idempotencyKey: submission.idempotencyKey)
        job.tokenID = principal.tokenID
        let quotas = state.configuration.quotas
        let stored: (job: Job, created: Bool)
        do {
            stored = try await state.store.insert(job, limits: SubmissionLimits(
                maxQueued: quotas.maxQueued, maxPerWindow: quotas.submissionsPerWindow,
                windowStart: Date().addingTimeInterval(-quotas.window),
                maxPerCompetitionDay: submission.competition.manifest.maxSubmissionsPerDay, dayStart: UTCDay.start(of: job.createdAt)))
            state.queueChanged()
        } catch let error as StoreError {
            try? FileManager.default.removeItem(atPath: paths.root)
            switch error {
            case .queueQuota(let limit):
                let average = try await state.store.averageRunSeconds(competitionID: nil) ?? 30
                throw Problem.tooMany("you already have \(limit) jobs queued, the most allowed; submit again when one has started",
                                      slug: "queue-quota-exceeded", retryAfter: Int(average.rounded(.up)))
            case .rateQuota(let limit, let oldest):
                let wait = Int((oldest.addingTimeInterval(quotas.window).timeIntervalSinceNow).rounded(.up))
                throw Problem.tooMany("you submitted \(limit) jobs within \(Int(quotas.window)) s, the most allowed; retry in \(wait) s",
                                      slug: "rate-quota-exceeded", retryAfter: wait)
            case .dailyQuota(let limit):
                let reset = UTCDay.start(of: job.createdAt).addingTimeInterval(86400)
                let wait = Int(reset.timeIntervalSince(job.createdAt).rounded(.up))
                throw Problem.tooMany("""
                    you made \(limit) submissions to \(job.competitionID) today, its daily limit; \
                    it resets at 00:00 UTC, in \(wait / 3600) h \(wait % 3600 / 60) min
                    """, slug: "daily-submissions-exceeded", retryAfter: wait)
            default:
                throw Problem.badRequest(error.description)
            }
        }
        if !stored.created { try? FileManager.default.removeItem(atPath: paths.root) }
        await state.worker?.notify()
        await state.doorbell.ring()
        context.logger.info("job submitted", metadata: ["job": "\(stored.job.id)", "competition": "\(stored.job.competitionID)", "replay": "\(!stored.created)"])
        var resource = try await state.resource(stored.job)
        if stored.job.state == .queued, try await !state.canRun(competitionID: stored.job.competitionID) {
            let after = Int(state.configuration.unrunnableAfter / 60)
            resource.warning = """
                no connected node runs competition \(stored.job.competitionID) now; the job waits for one, \
                and fails if none comes within \(after) minutes
                """ + ((try await state.environmentFailure(stored.job.competitionID)).map { " (\($0))" } ?? "")
        }
        return (resource, stored.created)
    }
}
