import ArgumentParser
import ProctorNode

#if canImport(Glibc)
import Glibc
#endif

/// The `proctor` command: argument parsing and wiring only.
@main
struct Proctor: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "proctor",
        abstract: "Run untrusted code in a sandbox with hard limits, and grade it.",
        subcommands: [RunCommand.self, ServeCommand.self, WorkerCommand.self, AdminCommand.self, SubmitCommand.self, StatusCommand.self,
                      LogsCommand.self, CancelCommand.self, JobsCommand.self, CompetitionsCommand.self])

    /// Bad usage exits 2 with a message that says what was wrong, as the
    /// sandbox issue asks; ArgumentParser's own default would be 64.
    static func main() async {
        do {
            var command = try parseAsRoot()
            if var asynchronous = command as? any AsyncParsableCommand {
                try await asynchronous.run()
            } else {
                try command.run()
            }
        } catch let exit as ExitCode {
            Glibc.exit(exit.rawValue)
        } catch {
            let code = exitCode(for: error)
            if code == .success {
                print(fullMessage(for: error))
                Glibc.exit(0)
            }
            writeError(fullMessage(for: error))
            Glibc.exit(code == .validationFailure ? 2 : code.rawValue)
        }
    }
}

/// Writes a line to standard error.
func writeError(_ message: String) {
    let line = message.hasSuffix("\n") ? message : message + "\n"
    _ = line.withCString { write(2, $0, strlen($0)) }
}
