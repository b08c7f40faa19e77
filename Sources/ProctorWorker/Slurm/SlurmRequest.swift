import Foundation
import ProctorCore

/// The `sbatch` options of one job: named for the job, its resources derived
/// from the competition's limits so that Slurm places it where it fits and the
/// sandbox's own limits, not Slurm's, decide the verdict.
struct SlurmRequest {
    var options: [String]

    init(job: Job, competition: Competition, paths: JobPaths, settings: SlurmSettings) {
        let solution = StageSpec.solution(job: job, competition: competition, paths: paths, slot: 0).limits
        let grade = StageSpec.grade(job: job, competition: competition, paths: paths, slot: 0).limits
        // Both stages back to back, each with its copy-back, and the margin.
        let seconds = solution.wallTime + grade.wallTime + 2 + settings.timeMargin
        let memory = max(solution.memory, grade.memory) + settings.memoryMargin
        // CPU time beyond wall time can only be spent in parallel.
        let cpus = min(64, max(1, Int((solution.cpuTime / solution.wallTime).rounded(.up))))
        options = [
            "--job-name=\(SlurmLauncher.name(of: job))",
            "--comment=proctor job \(job.id) attempt \(job.attempts)",
            "--output=\(paths.root)/slurm.log",
            "--chdir=\(paths.root)",
            "--no-requeue",
            // Nothing of the worker's environment (its token) reaches the job.
            "--export=NONE",
            "--nodes=1", "--ntasks=1",
            "--cpus-per-task=\(cpus)",
            "--mem=\((memory + (1 << 20) - 1) >> 20)M",
            "--time=\(Int((seconds / 60).rounded(.up)))",
        ]
        if let gpus = competition.manifest.gpus, gpus > 0 { options.append("--gres=gpu:\(gpus)") }
        if let partition = settings.partition { options.append("--partition=\(partition)") }
        if let account = settings.account { options.append("--account=\(account)") }
        if let qos = settings.qos { options.append("--qos=\(qos)") }
    }
}
