import ArgumentParser
import Foundation
import Logging
import ProctorGPU
import ProctorWorker

/// `proctor-worker slurm-step`: what a Slurm job runs on its compute node
/// (submitted by `proctor worker --slurm`, not by hand).
public struct SlurmStepCommand: AsyncParsableCommand {
    public static let configuration = CommandConfiguration(
        commandName: "slurm-step", abstract: "Run one job's stages on this compute node (started by Slurm for 'proctor worker --slurm').")

    public init() {}

    @Option(help: "The job's directory in the spool (<spool>/jobs/<job id>).") var jobDir: String
    @Option(help: "First sandbox slot the steps on this node use.") var firstSlot = 3000
    @Option(help: "Sandbox slots the steps on this node share.") var slots = 64
    @Option(help: "NVML library.") var nvml = NVML.defaultPath
    @Flag(help: "Run the rootless sandbox (this node gives the job no root).") var rootless = false

    /// Runs the step; exits non-zero when it could not even write a report (Slurm then says FAILED).
    public func run() async throws {
        guard jobDir.hasPrefix("/") else { throw ValidationError("--job-dir must be an absolute path, not '\(jobDir)'") }
        let step = SlurmStep(jobDirectory: jobDir, slots: firstSlot..<(firstSlot + max(1, slots)), nvmlPath: nvml, rootless: rootless,
                             logger: Logger(label: "proctor.slurm-step"))
        try await step.run()
    }
}
