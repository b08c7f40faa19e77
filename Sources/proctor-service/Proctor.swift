import ProctorCommandLine
import ArgumentParser
import ProctorNode
import ProctorRunCommand

/// Every `proctor` command (the small `proctor` binary hands all but `run` to
/// this one): argument parsing and wiring only.
@main
struct Proctor: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "proctor",
        abstract: "Run untrusted code in a sandbox with hard limits, and grade it.",
        subcommands: [RunCommand.self, ServeCommand.self, WorkerCommand.self, AdminCommand.self, SubmitCommand.self, StatusCommand.self,
                      LogsCommand.self, CancelCommand.self, JobsCommand.self, CompetitionsCommand.self, LeaderboardCommand.self, EnvironmentCommand.self])

    /// Bad usage exits 2 with a message that says what was wrong, as the
    /// sandbox issue asks; ArgumentParser's own default would be 64.
    static func main() async {
        await runAsMain()
    }
}
