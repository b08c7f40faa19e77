// Measures the sandbox from inside one process, the way a busy worker uses it:
// (2) many sandboxed /bin/true runs through the library against the same number
// of plain spawns, and (3) how far past a 1 s CPU, idle and wall limit a
// program is stopped. Run with `bash bench/sandbox.sh` (which also does (1)).
import Foundation
import ProctorSandbox

#if canImport(Glibc)
import Glibc
#endif

func now() -> Double {
    var ts = timespec()
    clock_gettime(CLOCK_MONOTONIC, &ts)
    return Double(ts.tv_sec) + Double(ts.tv_nsec) / 1e9
}

func plainSpawn(_ path: String) {
    var pid: pid_t = 0
    let argv: [UnsafeMutablePointer<CChar>?] = [strdup(path), nil]
    defer { argv.forEach { free($0) } }
    guard posix_spawn(&pid, path, nil, nil, argv, environ) == 0 else { fatalError("spawn failed") }
    var status: Int32 = 0
    waitpid(pid, &status, 0)
}

let arguments = CommandLine.arguments
let count = arguments.count > 1 ? Int(arguments[1]) ?? 200 : 200
let sandbox = try Sandbox()

// Warm up both paths (page cache, cgroup creation for slot 0).
for _ in 0..<5 {
    plainSpawn("/bin/true")
    _ = try sandbox.run(SandboxSpec(command: ["/bin/true"]))
}

var start = now()
for _ in 0..<count { plainSpawn("/bin/true") }
let plain = (now() - start) / Double(count)

start = now()
for _ in 0..<count {
    let report = try sandbox.run(SandboxSpec(command: ["/bin/true"]))
    guard report.verdict == .exited(code: 0) else { fatalError("unexpected verdict \(report.verdict)") }
}
let sandboxed = (now() - start) / Double(count)

print("in-process, \(count) runs of /bin/true:")
print(String(format: "  plain posix_spawn   %7.3f ms/run", plain * 1000))
print(String(format: "  Sandbox.run         %7.3f ms/run   (%.1fx plain spawn)", sandboxed * 1000, sandboxed / plain))

if arguments.count > 2 && arguments[2] == "spawn-only" { exit(0) }
print("kill latency past a 1 s limit (median of 5 runs; the second figure counts sandbox setup too):")
let cases: [(String, [String], (inout Limits) -> Void)] = [
    ("cpu_time", ["/bin/sh", "-c", "while :; do :; done"], { $0.cpuTime = 1 }),
    ("idleness_time", ["/bin/sleep", "inf"], { $0.idleTime = 1 }),
    ("real_time", ["/bin/sleep", "inf"], { $0.wallTime = 1; $0.idleTime = 100 }),
]
for (name, command, adjust) in cases {
    var overshootInside: [Double] = []
    var overshootOutside: [Double] = []
    for _ in 0..<5 {
        var spec = SandboxSpec(command: command, slot: 1)
        adjust(&spec.limits)
        let began = now()
        let report = try sandbox.run(spec)
        let elapsed = now() - began
        guard case .limitExceeded(let kind) = report.verdict, kind.rawValue == name else {
            fatalError("\(name): unexpected verdict \(report.verdict)")
        }
        let measured = name == "cpu_time" ? report.metrics.cpuTime : name == "idleness_time" ? report.metrics.idlenessTime : report.metrics.realTime
        overshootInside.append(measured - 1)
        overshootOutside.append(elapsed - 1)
    }
    let inside = overshootInside.sorted()[2] * 1000, outside = overshootOutside.sorted()[2] * 1000
    let label = name.padding(toLength: 14, withPad: " ", startingAt: 0)
    print("  \(label) measured " + String(format: "%6.2f", inside) + " ms past the limit; run() returned " + String(format: "%6.2f", outside) + " ms past it")
}

// (4) What copying the workspace back costs: the same program leaving 1,000
// small files in /workspace, with and without a host workspace to copy into.
let makeFiles = ["/bin/sh", "-c", "i=0; while [ $i -lt 1000 ]; do echo $i > f$i; i=$((i+1)); done"]
func timed(workspace: Bool, runs: Int) throws -> Double {
    var total = 0.0
    for _ in 0..<runs {
        let directory = NSTemporaryDirectory() + "proctor-bench-" + UUID().uuidString
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: directory) }
        var spec = SandboxSpec(command: makeFiles, slot: 2)
        if workspace { spec.workspace = directory }
        let began = now()
        let report = try sandbox.run(spec)
        total += now() - began
        guard report.verdict == .exited(code: 0) else { fatalError("copy-back: unexpected verdict \(report.verdict)") }
        if workspace {
            let count = try FileManager.default.contentsOfDirectory(atPath: directory).count
            guard count == 1000 else { fatalError("copy-back: \(count) files came back") }
        }
    }
    return total / Double(runs)
}
let without = try timed(workspace: false, runs: 20), with = try timed(workspace: true, runs: 20)
print("workspace copy-back, 1,000 small files (mean of 20 runs):")
print(String(format: "  without a workspace %7.2f ms/run", without * 1000))
print(String(format: "  with copy-back      %7.2f ms/run   (copy-back %.2f ms, %.1f us per file)", with * 1000, (with - without) * 1000, (with - without) * 1000))
