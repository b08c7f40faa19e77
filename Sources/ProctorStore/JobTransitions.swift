import Foundation
import ProctorCore

/// The rules every store applies to a job, whatever database holds it: a
/// worker's report only while it holds the lease and only along
/// `JobState.successors`; cancellation; and what a lapsed lease becomes.
public enum JobTransitions {
    /// How many times a job is tried before an infrastructure failure is final.
    public static let defaultMaxAttempts = 3

    /// The job after `update` and the reason to record, or `nil` when the
    /// worker no longer holds it (a late report) or the move is not allowed
    /// (terminal states never change). The retry bound is the service's:
    /// an infrastructure failure goes back to the queue while the job has
    /// been tried fewer than `maxAttempts` times and is final after that,
    /// whatever the worker asked for.
    static func apply(_ update: JobUpdate, to current: Job, worker: String, at: Date, maxAttempts: Int) -> (job: Job, reason: String)? {
        guard current.leaseOwner == worker, JobState.active.contains(current.state),
            current.state.canMove(to: update.state) || current.state == update.state
        else { return nil }
        var job = current
        var reason = update.reason
        var state = update.state
        let infrastructure = update.state == .queued || (update.state == .errored && update.error?.type == .infrastructure)
        if infrastructure && current.attempts < maxAttempts {
            state = .queued
            if update.state != .queued { reason = "retrying after an infrastructure failure: \(update.reason)" }
        } else if infrastructure {
            state = .errored
            job.error = update.error ?? JobError(.infrastructure, "the job failed for infrastructure reasons \(current.attempts) times: \(update.reason)")
        }
        job.state = state
        if state == .running && job.startedAt == nil { job.startedAt = at }
        if state.isTerminal { job.finishedAt = at }
        if state == .queued || state.isTerminal {
            job.leaseOwner = nil
            job.leaseExpiresAt = nil
        }
        job.solutionReport = update.solutionReport ?? job.solutionReport
        job.gradeReport = update.gradeReport ?? job.gradeReport
        job.score = update.score ?? job.score
        job.results = update.results ?? job.results
        job.publicScore = update.results.flatMap(ResultsFile.publicScore) ?? job.publicScore
        if state != .queued { job.error = update.error ?? job.error }
        return (job, reason)
    }

    /// A queued job is cancelled at once; an active one is flagged for its
    /// worker. `nil` when nothing changes (already finished or already flagged).
    static func cancel(_ current: Job, actor: String, at: Date) -> (Job, JobEvent)? {
        var job = current
        switch job.state {
        case .queued:
            job.state = .cancelled
            job.finishedAt = at
            job.error = JobError(.cancelled, "cancelled while queued")
            return (job, JobEvent(jobID: job.id, at: at, from: .queued, to: .cancelled, actor: actor, reason: "cancelled while queued"))
        case .leased, .running:
            guard !job.cancelRequested else { return nil }
            job.cancelRequested = true
            return (job, JobEvent(jobID: job.id, at: at, from: job.state, to: job.state, actor: actor, reason: "cancel requested"))
        default:
            return nil
        }
    }

    /// A queued job the service gives up on (no node could run it): errored
    /// with `error`, never run. `nil` if it is no longer queued.
    static func giveUp(_ current: Job, error: JobError, at: Date) -> (Job, JobEvent)? {
        guard current.state == .queued else { return nil }
        var job = current
        job.state = .errored
        job.finishedAt = at
        job.error = error
        return (job, JobEvent(jobID: job.id, at: at, from: .queued, to: .errored, actor: "service", reason: error.message))
    }

    /// What an active job whose worker vanished (or a server restart) becomes:
    /// back in the queue, or cancelled if that was asked, or errored once it
    /// was tried `maxAttempts` times.
    static func requeue(_ current: Job, at: Date, restart: Bool, maxAttempts: Int) -> (Job, JobEvent) {
        var job = current
        let reason: String
        if job.cancelRequested {
            job.state = .cancelled
            job.error = JobError(.cancelled, "cancelled; its worker stopped before finishing")
            reason = "cancelled: worker lost"
        } else if job.attempts >= maxAttempts {
            job.state = .errored
            job.error = JobError(.infrastructure, "the worker running this job stopped \(job.attempts) times; not retrying")
            reason = "lease lapsed \(job.attempts) times"
        } else {
            job.state = .queued
            reason = restart ? "server restarted while the job ran" : "lease lapsed (worker \(job.leaseOwner ?? "?") lost)"
        }
        if job.state.isTerminal { job.finishedAt = at }
        job.leaseOwner = nil
        job.leaseExpiresAt = nil
        return (job, JobEvent(jobID: job.id, at: at, from: current.state, to: job.state, actor: "server", reason: reason))
    }
}
