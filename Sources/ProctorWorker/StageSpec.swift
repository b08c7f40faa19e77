import Foundation
import ProctorCore
import ProctorGPU
import ProctorSandbox

/// Sandbox specs for the two stages of grading.
enum StageSpec {
    /// The sandbox's limits with the competition's declared ones on top.
    static func limits(_ declared: StageLimits?) -> Limits {
        var limits = Limits()
        guard let declared else { return limits }
        if let v = declared.cpuTime { limits.cpuTime = v }
        if let v = declared.idleTime { limits.idleTime = v }
        if let v = declared.wallTime { limits.wallTime = v }
        if let v = declared.memory { limits.memory = v }
        if let v = declared.processes { limits.processes = v }
        if let v = declared.disk { limits.disk = v }
        if let v = declared.output { limits.output = v }
        if let v = declared.vram { limits.vram = v }
        return limits
    }

    /// The solution sees its workspace and the public data, never the answers.
    static func solution(job: Job, competition: Competition, paths: JobPaths, slot: Int, gpus: [GPU] = [],
                         environment: String? = nil) -> SandboxSpec {
        var spec = SandboxSpec(command: competition.manifest.run, slot: slot)
        spec.limits = limits(competition.manifest.limits)
        if let expected = job.expectedTime {
            // The job's own wall time, within the competition's range; asking
            // for longer raises its CPU and idle time in the same proportion.
            let factor = expected / spec.limits.wallTime
            spec.limits.wallTime = expected
            if factor > 1 {
                spec.limits.cpuTime *= factor
                spec.limits.idleTime *= factor
            }
        }
        spec.workspace = paths.solutionWorkspace
        spec.binds = existing([(competition.directory + "/public", "/data")])
        spec.stdout = paths.log(stage: "solution", stream: "stdout")
        spec.stderr = paths.log(stage: "solution", stream: "stderr")
        spec.environment = ["PROCTOR_JOB_ID=\(job.id)", "PROCTOR_OUTPUT_FILE=\(competition.manifest.outputFile)"]
        if !gpus.isEmpty {
            // Only the job's own GPUs exist for it: their device nodes, and CUDA told so.
            spec.devices = GPUAllocator.devices(for: gpus)
            let uuids = gpus.map(\.uuid).joined(separator: ",")
            spec.environment += ["CUDA_VISIBLE_DEVICES=\(uuids)", "NVIDIA_VISIBLE_DEVICES=\(uuids)"]
        }
        use(competition, environment: environment, in: &spec)
        return spec
    }

    /// The grader sees the private answers and a copy of the output file, never
    /// the solution's workspace.
    static func grade(job: Job, competition: Competition, paths: JobPaths, slot: Int, environment: String? = nil) -> SandboxSpec {
        var spec = SandboxSpec(command: competition.manifest.grade, slot: slot)
        spec.limits = limits(competition.manifest.gradeLimits)
        spec.workspace = paths.gradeWorkspace
        spec.binds = existing([(competition.directory + "/private", "/private"), (competition.directory + "/grader", "/grader")])
        spec.stdout = paths.log(stage: "grade", stream: "stdout")
        spec.stderr = paths.log(stage: "grade", stream: "stderr")
        spec.environment = ["PROCTOR_SUBMISSION=/workspace/\(competition.manifest.outputFile)"]
        use(competition, environment: environment, in: &spec)
        return spec
    }

    /// The competition's own software: its Python environment read-only at
    /// `/env`, first in `PATH` (so `python3` is the environment's), or its
    /// system tree in place of the host's. Nothing is copied.
    static func use(_ competition: Competition, environment: String?, in spec: inout SandboxSpec) {
        spec.rootfs = competition.rootfs
        guard let environment else { return }
        spec.binds.append(BindMount(source: environment, destination: "/env"))
        spec.environment += ["VIRTUAL_ENV=/env", "PATH=/env/bin:/usr/local/bin:/usr/bin:/bin"]
    }

    private static func existing(_ pairs: [(String, String)]) -> [BindMount] {
        pairs.compactMap { source, destination in
            var isDirectory: ObjCBool = false
            guard FileManager.default.fileExists(atPath: source, isDirectory: &isDirectory), isDirectory.boolValue else { return nil }
            return BindMount(source: source, destination: destination)
        }
    }
}
