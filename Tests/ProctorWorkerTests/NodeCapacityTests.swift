import ProctorCore
import ProctorWorker
import Testing

/// A node only asks for jobs it can run.
@Suite struct NodeCapacityTests {
    func manifest(gpus: Int? = nil, memory: UInt64? = nil, labels: [String: String]? = nil) -> CompetitionManifest {
        var m = CompetitionManifest(id: "c", version: "1", title: "c", acceptedFiles: ["s.py"], run: ["x"], grade: ["y"],
                                    outputFile: "o", limits: StageLimits(memory: memory), gpus: gpus, files: [:])
        m.nodeLabels = labels
        return m
    }

    @Test func gpusMemoryAndLabelsMustFit() {
        let node = NodeCapacity(labels: ["gpu": "h100", "zone": "a"], gpus: 1, memoryBytes: 8 << 30)
        #expect(node.refusal(for: manifest()) == nil)
        #expect(node.refusal(for: manifest(gpus: 1, labels: ["gpu": "h100"])) == nil)
        #expect(node.refusal(for: manifest(gpus: 2))?.contains("GPU") == true)
        #expect(node.refusal(for: manifest(memory: 16 << 30))?.contains("memory") == true)
        #expect(node.refusal(for: manifest(labels: ["gpu": "a100"]))?.contains("gpu=a100") == true)
        #expect(NodeCapacity.physicalMemory() > 0)
    }

    @Test func computeCapabilitiesCompareAsVersionsAndBadOnesAreRefused() {
        #expect(ComputeCapability("8.6")! > ComputeCapability("8.0")!)
        #expect(ComputeCapability("10.0")! > ComputeCapability("9.0")!)
        #expect(ComputeCapability("sm_80") == nil && ComputeCapability("8") == nil && ComputeCapability("8.0.1") == nil)
        var m = manifest(gpus: 1)
        m.minComputeCapability = "eight"
        #expect(m.problems().contains { $0.contains("min_compute_capability 'eight' must look like 8.0") })
        m = manifest()
        m.minComputeCapability = "8.0"
        #expect(m.problems().contains { $0.contains("needs gpus") })
    }
}
