import Foundation
import ProctorGPU
import ProctorSandbox
import Synchronization
import Testing

/// NVML through the same dlopen code as the real library, against a fake NVML
/// built here from C and driven by a state file the test writes.
@Suite(.serialized) struct NVMLTests {
    /// The fake library, compiled once per test run.
    static let library: String = {
        let directory = NSTemporaryDirectory() + "proctor-fake-nvml-" + UUID().uuidString
        try? FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        let source = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("Fixtures/fake_nvml.c").path
        let output = directory + "/libnvidia-ml.so.1"
        let cc = Process()
        cc.executableURL = URL(fileURLWithPath: "/usr/bin/cc")
        cc.arguments = ["-shared", "-fPIC", "-O1", "-o", output, source]
        try? cc.run()
        cc.waitUntilExit()
        return output
    }()

    /// Writes the fake's state and points it there.
    func state(_ lines: [String]) throws -> String {
        let path = NSTemporaryDirectory() + "fake-nvml-" + UUID().uuidString
        try (lines.joined(separator: "\n") + "\n").write(toFile: path, atomically: true, encoding: .utf8)
        setenv("FAKE_NVML_STATE", path, 1)
        return path
    }

    static func gpu(_ uuid: String, used: UInt64 = 0, ecc: Int = 0, lost: Int = 0) -> String {
        "gpu \(uuid) H100-80GB \(80 << 30) \(used) 37 41 9 0 \(ecc) \(lost)"
    }

    @Test func inventoryReadsEveryGPU() throws {
        _ = try state([Self.gpu("GPU-aaaa"), Self.gpu("GPU-bbbb", used: 1 << 30), "proc 1 4242 \(1 << 30)"])
        let nvml = try #require(NVML(path: Self.library))
        let (gpus, failures) = try nvml.inventory()
        #expect(failures.isEmpty)
        #expect(gpus.map(\.uuid) == ["GPU-aaaa", "GPU-bbbb"])
        #expect(gpus[0].name == "H100-80GB" && gpus[0].memoryTotal == 80 << 30 && gpus[0].temperature == 41)
        #expect(gpus[0].computeCapability == "9.0" && gpus[1].minor == 1 && gpus[1].utilization == 37)
        #expect(gpus[1].processes == [GPUProcess(pid: 4242, usedMemory: 1 << 30)])
    }

    @Test func aNodeWithoutNVMLSimplyHasNone() throws {
        #expect(NVML(path: "/nonexistent/libnvidia-ml.so.1") == nil)
        unsetenv("FAKE_NVML_STATE")
        #expect(NVML(path: Self.library) == nil)  // library present, driver not loaded
    }

    @Test func sickAndBusyGPUsAreReported() throws {
        let path = try state([Self.gpu("GPU-ok"), Self.gpu("GPU-busy", used: 4 << 30), "proc 1 777 \(4 << 30)", Self.gpu("GPU-ecc", ecc: 3)])
        let nvml = try #require(NVML(path: Self.library))
        let (gpus, _) = try nvml.inventory()
        #expect(GPUHealth.problems(gpus[0], error: nil, previousECC: 0).isEmpty)
        let busy = GPUHealth.problems(gpus[1], error: nil, previousECC: 0)
        #expect(busy.contains { $0.contains("pid 777") } && busy.contains { $0.contains("memory still in use") })
        #expect(GPUHealth.problems(gpus[2], error: nil, previousECC: 1).contains { $0.contains("ECC") })
        // The second GPU falls off the bus.
        try ([Self.gpu("GPU-ok"), Self.gpu("GPU-busy", lost: 1)].joined(separator: "\n") + "\n").write(toFile: path, atomically: true, encoding: .utf8)
        let (remaining, failures) = try nvml.inventory()
        #expect(remaining.map(\.uuid) == ["GPU-ok"])
        #expect(failures[1]?.code == NVMLError.gpuIsLost)
        #expect(GPUHealth.problems(nil, error: failures[1], previousECC: nil).first?.contains("fallen off the bus") == true)
    }

    @Test func aRetiredGPUComesBackOnlyOnceItIsHealthy() async throws {
        let path = try state([Self.gpu("GPU-one")])
        let nvml = try #require(NVML(path: Self.library))
        let allocator = try GPUAllocator(nvml: nvml)
        // A process someone left on it: checked before a job, the GPU is retired.
        try ([Self.gpu("GPU-one", used: 2 << 30), "proc 0 4242 \(2 << 30)"].joined(separator: "\n") + "\n")
            .write(toFile: path, atomically: true, encoding: .utf8)
        #expect(await allocator.take(1) == nil)
        #expect(await allocator.healthyCount == 0)
        // While the process is there, it stays out, and the admin is told why.
        #expect(await allocator.restore(0)?.contains("pid 4242") == true)
        try (Self.gpu("GPU-one") + "\n").write(toFile: path, atomically: true, encoding: .utf8)
        #expect(await allocator.restore(0) == nil)
        #expect(await allocator.healthyCount == 1)
        #expect(await allocator.take(1)?.map(\.uuid) == ["GPU-one"])
        #expect(await allocator.restore(7)?.contains("no GPU 7") == true)
    }

    @Test func aNodesLabelsSayEachGPUsHealthUseMemoryAndTemperature() async throws {
        let path = try state([Self.gpu("GPU-one", used: 512 << 20), Self.gpu("GPU-two")])
        let nvml = try #require(NVML(path: Self.library))
        let allocator = try GPUAllocator(nvml: nvml)
        var labels = await allocator.labels()
        #expect(labels["gpus"] == "2")
        #expect(labels["gpu0"] == "GPU-one healthy, 37% busy, 512 MiB used, 41 °C")
        // The second falls off the bus: a job's check retires it, and the labels say why.
        try ([Self.gpu("GPU-one"), Self.gpu("GPU-two", lost: 1)].joined(separator: "\n") + "\n")
            .write(toFile: path, atomically: true, encoding: .utf8)
        _ = await allocator.take(2)
        labels = await allocator.labels()
        #expect(labels["gpus"] == "1")
        #expect(labels["gpu1"]?.hasPrefix("GPU-two unhealthy: ") == true, "\(labels)")
    }

    @Test func theWardenStopsARunOverItsVRAMLimit() async throws {
        let path = try state([Self.gpu("GPU-aaaa")])
        let nvml = try #require(NVML(path: Self.library))
        let sandbox = try Sandbox()
        var spec = SandboxSpec(command: ["/bin/sleep", "30"], slot: 3700)
        spec.limits.vram = 1 << 30
        spec.limits.idleTime = 60
        spec.limits.wallTime = 60
        let run = Task { try await sandbox.run(spec, monitor: VRAMWarden(nvml: nvml, gpus: [0])) }
        // Find the sandbox's real pid (owned by the slot's uid) and make it use 2 GiB.
        var pid: Int32?
        for _ in 0..<300 where pid == nil {
            pid = (try? FileManager.default.contentsOfDirectory(atPath: "/proc"))?.compactMap { name -> Int32? in
                var st = stat()
                guard let p = Int32(name), stat("/proc/" + name, &st) == 0, st.st_uid == sandbox.uid(forSlot: 3700) else { return nil }
                return p
            }.first
            if pid == nil { try await Task.sleep(for: .milliseconds(10)) }
        }
        let victim = try #require(pid)
        try ([Self.gpu("GPU-aaaa", used: 2 << 30), "proc 0 \(victim) \(2 << 30)"].joined(separator: "\n") + "\n")
            .write(toFile: path, atomically: true, encoding: .utf8)
        let report = try await run.value
        #expect(report.verdict == .limitExceeded(.vram))
        #expect(report.metrics.vram == 2 << 30)
        #expect(report.metrics.realTime < 5)
    }

    @Test func aRunUnderItsLimitReportsItsPeak() async throws {
        _ = try state([Self.gpu("GPU-aaaa")])
        let nvml = try #require(NVML(path: Self.library))
        var spec = SandboxSpec(command: ["/bin/sh", "-c", "sleep 0.3"], slot: 3701)
        spec.limits.vram = 1 << 30
        let report = try await Sandbox().run(spec, monitor: VRAMWarden(nvml: nvml, gpus: [0]))
        #expect(report.verdict == .exited(code: 0))
        #expect(report.metrics.vram == 0)
        #expect(report.notes == nil)
    }

    /// "GPU thermal throttling - jobs run slower over time": a GPU held down by heat while a job
    /// runs is named in the run's report, with why.
    @Test func aRunOnAGPUSlowedByHeatSaysSoInItsReport() async throws {
        let path = try state([Self.gpu("GPU-aaaa")])
        let nvml = try #require(NVML(path: Self.library))
        #expect(try nvml.gpu(0).slowdowns.isEmpty)
        var spec = SandboxSpec(command: ["/bin/sh", "-c", "sleep 0.6"], slot: 3702)
        spec.limits.vram = 1 << 30
        let run = Task { try await Sandbox().run(spec, monitor: VRAMWarden(nvml: nvml, gpus: [0])) }
        try await Task.sleep(for: .milliseconds(200))
        // 0x40 hardware thermal slowdown, 0x1 idle (the GPU as configured: not named).
        try ([Self.gpu("GPU-aaaa"), "slowdown 0 \(0x40 | 0x1)"].joined(separator: "\n") + "\n").write(toFile: path, atomically: true, encoding: .utf8)
        #expect(try nvml.gpu(0).slowdowns == ["heat (hardware thermal slowdown)"])
        let report = try await run.value
        #expect(report.verdict == .exited(code: 0))
        #expect(report.notes == ["GPU 0 ran slowed down during this run (heat (hardware thermal slowdown)): times may be longer than on a GPU at full speed"])
    }
}
