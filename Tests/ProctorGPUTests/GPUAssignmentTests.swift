import Foundation
import Logging
import ProctorCore
import ProctorGPU
import ProctorSandbox
import ProctorServer
import ProctorStore
import ProctorWorker
import Testing

/// Whole GPUs, exclusively, through the real worker pipeline: several fake
/// GPUs, several jobs, a GPU that goes bad mid-job, a process left behind.
/// (Part of the serialized NVML suite: the fake's state is process-wide.)
extension NVMLTests {
    struct Rig {
        let store: JobStore
        let directory: String
        let user: User
        let worker: Worker
        let statePath: String

        /// Starts the worker: both of its slots ask for work at once.
        func start() -> Task<Void, any Error> { Task { [worker] in try await worker.run() } }
    }

    /// A store, a GPU competition, and a two-slot worker on fake GPUs.
    func rig(gpus: [String]) async throws -> (Rig, GPUAllocator) {
        let directory = NSTemporaryDirectory() + "proctor-gpu-" + UUID().uuidString
        let competition = directory + "/competitions/gpu-shell"
        try FileManager.default.createDirectory(atPath: competition + "/grader", withIntermediateDirectories: true)
        let grader = #"printf '{"score": 1, "seen": "%s"}\n' "$(cat /workspace/out.txt)" > /workspace/results.jsonl"#
        try grader.write(toFile: competition + "/grader/grade.sh", atomically: true, encoding: .utf8)
        let manifest = CompetitionManifest(
            id: "gpu-shell", version: "1", title: "GPU test", acceptedFiles: ["solution.sh"], run: ["/bin/sh", "solution.sh"],
            grade: ["/bin/sh", "/grader/grade.sh"], outputFile: "out.txt", limits: StageLimits(wallTime: 10, vram: 1 << 30), gpus: 1,
            files: ["grader/grade.sh": try sha256(competition + "/grader/grade.sh")])
        try JSONEncoder().encode(manifest).write(to: URL(fileURLWithPath: competition + "/competition.json"))
        let statePath = directory + "/nvml-state"
        try (gpus.joined(separator: "\n") + "\n").write(toFile: statePath, atomically: true, encoding: .utf8)
        setenv("FAKE_NVML_STATE", statePath, 1)
        let nvml = try #require(NVML(path: NVMLTests.library))
        let allocator = try GPUAllocator(nvml: nvml)
        let store = try await JobStore(sqlitePath: directory + "/proctor.sqlite")
        let user = try await store.createUser(name: "alice", at: Date())
        let worker = Worker(
            broker: StoreBroker(store: store, worker: "gpu-node", leaseSeconds: 30, maxRunningPerUser: 10),
            catalog: CompetitionCatalog(root: directory + "/competitions"), sandbox: try Sandbox(),
            configuration: WorkerConfiguration(id: "gpu-node", slots: 2, dataDirectory: directory + "/data", firstSlot: 3800, shortLaneSeconds: nil),
            capacity: NodeCapacity(gpus: await allocator.healthyCount), gpus: allocator,
            logger: Logger(label: "gpu", factory: { _ in SwiftLogNoOpLogHandler() }))
        return (Rig(store: store, directory: directory, user: user, worker: worker, statePath: statePath), allocator)
    }

    func submit(_ rig: Rig, _ script: String) async throws -> String {
        let id = UUID().uuidString.lowercased()
        let paths = JobPaths(dataDirectory: rig.directory + "/data", jobID: id)
        try FileManager.default.createDirectory(atPath: paths.submission, withIntermediateDirectories: true)
        try script.write(toFile: paths.submission + "/solution.sh", atomically: true, encoding: .utf8)
        _ = try await rig.store.insert(Job(id: id, userID: rig.user.id, competitionID: "gpu-shell", competitionVersion: "1",
                                           fileName: "solution.sh", requestID: "r", createdAt: Date()), limits: nil)
        return id
    }

    func waitUntilRunning(_ rig: Rig, _ id: String) async throws {
        for _ in 0..<500 {
            if try await rig.store.job(id: id)?.state == .running { return }
            try await Task.sleep(for: .milliseconds(10))
        }
    }

    func waitForEnd(_ rig: Rig, _ ids: [String]) async throws -> [Job] {
        for _ in 0..<600 {
            let jobs = try await ids.asyncMap { try await rig.store.job(id: $0) }
            if jobs.allSatisfy({ $0?.state.isTerminal == true }) { return jobs.compactMap { $0 } }
            try await Task.sleep(for: .milliseconds(20))
        }
        Issue.record("jobs did not finish")
        return []
    }

    @Test func eachJobGetsWholeGPUsOfItsOwn() async throws {
        let (rig, _) = try await rig(gpus: [NVMLTests.gpu("GPU-0000"), NVMLTests.gpu("GPU-1111")])
        // Each job records its GPU and when it held it; two run at once on two slots.
        let script = #"echo "$CUDA_VISIBLE_DEVICES $(date +%s%N)" > out.txt; sleep 0.4; echo "$(cat out.txt) $(date +%s%N)" > out.txt"#
        var ids: [String] = []
        for _ in 0..<4 { ids.append(try await submit(rig, script)) }
        let worker = rig.start()
        defer { worker.cancel() }
        let jobs = try await waitForEnd(rig, ids)
        var intervals: [(gpu: String, start: Int, end: Int)] = []
        for job in jobs {
            #expect(job.state == .succeeded, "\(job.error?.message ?? "")")
            let seen = job.results?.first?["seen"]?.stringValue?.split(separator: " ").map(String.init) ?? []
            #expect(seen.count == 3 && ["GPU-0000", "GPU-1111"].contains(seen.first ?? ""), "\(seen)")
            if seen.count == 3, let start = Int(seen[1]), let end = Int(seen[2]) { intervals.append((seen[0], start, end)) }
        }
        #expect(Set(intervals.map(\.gpu)).count == 2, "both GPUs were used")
        for a in intervals.indices {
            for b in intervals.indices where a < b && intervals[a].gpu == intervals[b].gpu {
                let overlap = intervals[a].start < intervals[b].end && intervals[b].start < intervals[a].end
                #expect(!overlap, "two jobs shared \(intervals[a].gpu)")
            }
        }
    }

    @Test func aGPUThatFailsMidJobIsRetiredAndTheJobRetried() async throws {
        let (rig, allocator) = try await rig(gpus: [NVMLTests.gpu("GPU-0000"), NVMLTests.gpu("GPU-1111")])
        let worker = rig.start()
        defer { worker.cancel() }
        let state = rig.statePath
        // The job breaks the GPU it was given (as a driver fault would), once.
        let script = """
            if [ ! -e /tmp/x ]; then :; fi
            echo "$CUDA_VISIBLE_DEVICES" > out.txt
            sleep 0.3
            """
        let id = try await submit(rig, script)
        try await waitUntilRunning(rig, id)
        let first = try #require(try await allocator.statuses.first(where: \.busy)?.uuid)
        let lines = [first == "GPU-0000" ? NVMLTests.gpu("GPU-0000", lost: 1) : NVMLTests.gpu("GPU-0000"),
                     first == "GPU-1111" ? NVMLTests.gpu("GPU-1111", lost: 1) : NVMLTests.gpu("GPU-1111")]
        try (lines.joined(separator: "\n") + "\n").write(toFile: state, atomically: true, encoding: .utf8)
        let job = try #require(try await waitForEnd(rig, [id]).first)
        #expect(job.state == .succeeded)
        #expect(job.attempts == 2)
        #expect(job.results?.first?["seen"]?.stringValue != first)
        let retired = try #require(await allocator.statuses.first { $0.uuid == first })
        #expect(retired.unhealthy?.contains("fallen off the bus") == true)
        let events = try await rig.store.events(jobID: id).map(\.reason)
        #expect(events.contains { $0.contains("GPU failure") })
    }

    @Test func aProcessLeftOnTheGPUIsKilledAfterTheJob() async throws {
        let (rig, allocator) = try await rig(gpus: [NVMLTests.gpu("GPU-0000")])
        let worker = rig.start()
        defer { worker.cancel() }
        let stray = Process()
        stray.executableURL = URL(fileURLWithPath: "/bin/sleep")
        stray.arguments = ["100"]
        try stray.run()
        defer { if stray.isRunning { stray.terminate() } }
        // While the job runs, a process shows up on its GPU and stays.
        let id = try await submit(rig, "echo 1 > out.txt; sleep 0.5")
        try await waitUntilRunning(rig, id)
        try ([NVMLTests.gpu("GPU-0000"), "proc 0 \(stray.processIdentifier) \(1 << 20)"].joined(separator: "\n") + "\n")
            .write(toFile: rig.statePath, atomically: true, encoding: .utf8)
        _ = try await waitForEnd(rig, [id])
        stray.waitUntilExit()
        #expect(stray.terminationReason == .uncaughtSignal)
        _ = allocator
    }

    /// "GPU compute capability doesn't match user's requirements": a competition that needs 8.0 is
    /// not taken by a node whose GPUs include a 7.5, which says why; a node of 9.0 GPUs takes it.
    @Test func aCompetitionNeedingNewerGPUsIsOnlyTakenWhereEveryGPUHasThem() async throws {
        var manifest = CompetitionManifest(id: "cc", version: "1", title: "cc", acceptedFiles: ["s.sh"], run: ["x"], grade: ["y"],
                                           outputFile: "o", gpus: 1, files: [:])
        manifest.minComputeCapability = "8.0"
        #expect(manifest.problems().isEmpty)
        _ = try state([Self.gpu("GPU-new"), "gpu GPU-old T4 \(16 << 30) 0 0 40 7 5 0 0"])
        let mixed = try GPUAllocator(nvml: try #require(NVML(path: Self.library)))
        let mixedNode = await NodeCapacity.of(mixed)
        #expect(mixedNode.computeCapability == ComputeCapability(major: 7, minor: 5))
        #expect(mixedNode.refusal(for: manifest) == "needs GPUs of compute capability 8.0 or higher, this node's are 7.5")
        _ = try state([Self.gpu("GPU-a"), Self.gpu("GPU-b")])
        let newNode = await NodeCapacity.of(try GPUAllocator(nvml: try #require(NVML(path: Self.library))))
        #expect(newNode.gpus == 2)
        #expect(newNode.refusal(for: manifest) == nil)
        #expect(NodeCapacity().refusal(for: manifest)?.contains("GPU") == true)
    }

    func sha256(_ path: String) throws -> String {
        guard let sum = CompetitionCatalog.sha256(path: path) else { throw CocoaError(.fileReadNoSuchFile) }
        return sum
    }
}

extension Array {
    func asyncMap<T>(_ transform: (Element) async throws -> T) async rethrows -> [T] {
        var result: [T] = []
        for element in self { result.append(try await transform(element)) }
        return result
    }
}
