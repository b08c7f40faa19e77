import ProctorCommandLine
import ProctorNode

/// `proctor-worker`: the node agent alone, for compute nodes. It links the
/// sandbox, the GPU code and the HTTP client, and no database driver or
/// HTTP server; `proctor worker` is the same command inside the full binary.
@main
struct ProctorWorkerMain {
    static func main() async {
        await WorkerCommand.runAsMain()
    }
}
