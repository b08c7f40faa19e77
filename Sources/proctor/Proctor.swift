import ArgumentParser

#if canImport(Glibc)
import Glibc
#endif

/// The `proctor` command: argument parsing and wiring only.
@main
struct Proctor: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "proctor",
        abstract: "Run untrusted code in a sandbox with hard limits, and grade it.",
        subcommands: [RunCommand.self])

    /// Bad usage exits 2 with a message that says what was wrong, as the
    /// sandbox issue asks; ArgumentParser's own default would be 64.
    static func main() {
        do {
            var command = try parseAsRoot()
            try command.run()
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
