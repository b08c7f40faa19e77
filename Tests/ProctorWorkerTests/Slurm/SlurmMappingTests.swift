import Foundation
import ProctorCore
@testable import ProctorWorker
import Testing

/// What Slurm's words mean for a Proctor job, and what a job asks of Slurm:
/// the cases a one-node test cluster cannot produce on demand (a real
/// TIMEOUT takes Slurm's one-minute granularity, OUT_OF_MEMORY its cgroup plugin).
@Suite struct SlurmMappingTests {
    @Test func everySlurmEndingMapsToTheVerdictAUserWouldExpect() {
        let timeout = SlurmJobState("TIMEOUT").update(slurmJob: 7, log: "")
        #expect(timeout.state == .timedOut && timeout.error?.type == .solutionTimedOut)
        let memory = SlurmJobState("OUT_OF_MEMORY").update(slurmJob: 7, log: "")
        #expect(memory.state == .failed && memory.error?.type == .solutionLimitExceeded)
        for lost in ["NODE_FAIL", "PREEMPTED", "BOOT_FAIL", "DEADLINE"] {
            let update = SlurmJobState(lost).update(slurmJob: 7, log: "")
            // The cluster's failure: retried by the service, and not held against the bridge.
            #expect(update.state == .errored && update.error?.type == .infrastructure && update.nodeFault == false, "\(lost)")
            #expect(update.reason.contains(lost))
        }
        let cancelled = SlurmJobState("CANCELLED").update(slurmJob: 7, log: "")
        #expect(cancelled.error?.type == .infrastructure && cancelled.reason.contains("not through Proctor"))
        let failed = SlurmJobState("FAILED").update(slurmJob: 7, log: "proctor-worker: No such file or directory")
        #expect(failed.error?.type == .infrastructure && failed.reason.contains("No such file or directory"))
        for waiting in ["PENDING", "CONFIGURING", "REQUEUED", "SUSPENDED"] { #expect(SlurmJobState(waiting) == .waiting) }
        for running in ["RUNNING", "COMPLETING"] { #expect(SlurmJobState(running) == .running) }
        #expect(!SlurmJobState("PENDING").isTerminal && SlurmJobState("COMPLETED").isTerminal)
    }

    @Test func squeueAndSinfoLinesAreRead() {
        let job = SlurmJob(line: "42|proctor-0b9e|RUNNING|gpu-node-3")
        #expect(job?.id == 42 && job?.state == .running && job?.node == "gpu-node-3" && job?.name == "proctor-0b9e")
        #expect(SlurmJob(line: "garbage") == nil)
        let node = SlurmNode(line: "gpu-node-3|mixed|8/56/0/64|512000|gpu:a100:4(S:0-1),gpu:t4:1")
        #expect(node?.gpus == 5 && node?.memoryMegabytes == 512_000 && node?.state == "mixed")
        #expect(SlurmNode(line: "cpu-1|idle|0/2/0/2|23081|(null)")?.gpus == 0)
    }

    @Test func aJobAsksSlurmForWhatItsLimitsNeedAndCarriesNoSecretOfTheWorker() throws {
        var manifest = CompetitionManifest(id: "c", version: "1", title: "c", acceptedFiles: ["s.py"], run: ["python3", "s.py"], grade: ["g"],
                                           outputFile: "o", limits: StageLimits(cpuTime: 120, wallTime: 60, memory: 2 << 30),
                                           gradeLimits: StageLimits(wallTime: 30, memory: 1 << 30), gpus: 2, files: [:])
        manifest.maxExpectedTime = 600
        let competition = Competition(manifest: manifest, directory: "/shared/competitions/c", disabledReason: nil, verifiedStamps: [:])
        var job = Job(id: "0b9e8c1e-0000-4000-8000-000000000001", userID: 1, competitionID: "c", competitionVersion: "1",
                      fileName: "s.py", requestID: "r", createdAt: Date())
        job.attempts = 2
        let paths = JobPaths(dataDirectory: "/shared/spool", jobID: job.id)
        let settings = SlurmSettings(partition: "gpu", account: "course", qos: "short", stepCommand: ["/opt/proctor/proctor-worker", "slurm-step"])
        let options = SlurmRequest(job: job, competition: competition, paths: paths, settings: settings).options
        #expect(options.contains("--job-name=proctor-\(job.id)"))
        #expect(options.contains("--comment=proctor job \(job.id) attempt 2"))
        #expect(options.contains("--gres=gpu:2"))
        #expect(options.contains("--cpus-per-task=2"))                  // 120 s of CPU in 60 s of wall time
        #expect(options.contains("--mem=\((2 << 10) + 256)M"))          // the larger stage, and the margin
        #expect(options.contains("--time=4"))                           // 60 + 30 + 2 + 120 s, in minutes, rounded up
        #expect(options.contains("--export=NONE") && options.contains("--no-requeue"))
        #expect(options.contains("--partition=gpu") && options.contains("--account=course") && options.contains("--qos=short"))
        #expect(options.contains("--output=/shared/spool/jobs/\(job.id)/slurm.log"))
        // A job that asks for more time gets it from Slurm too.
        job.expectedTime = 600
        let longer = SlurmRequest(job: job, competition: competition, paths: paths, settings: settings).options
        #expect(longer.contains("--time=13"))                           // 600 + 30 + 2 + 120 s
    }

    @Test func aStepUsesOnlyTheGPUsSlurmGaveItsJob() {
        #expect(SlurmStep.slurmGPUs(["SLURM_JOB_GPUS": "1,3"]) == [1, 3])
        #expect(SlurmStep.slurmGPUs(["CUDA_VISIBLE_DEVICES": "0"]) == [0])
        #expect(SlurmStep.slurmGPUs([:]).isEmpty)
    }
}
