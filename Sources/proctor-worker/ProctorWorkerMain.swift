import ProctorCommandLine
import ProctorNode

/// `proctor-worker`: the node agent alone, for compute nodes. It links the
/// sandbox, the GPU code and the HTTP client, and no database driver or
/// HTTP server; `proctor worker` is the same command inside the full binary.
/// `proctor-worker slurm-step` is what a Slurm job of `proctor worker --slurm` runs.
@main
struct ProctorWorkerMain {
    static func main() async {
        let arguments = Array(CommandLine.arguments.dropFirst())
        if arguments.first == SlurmStepCommand.configuration.commandName {
            await SlurmStepCommand.runAsMain(Array(arguments.dropFirst()))
        } else {
            await WorkerCommand.runAsMain()
        }
    }
}
