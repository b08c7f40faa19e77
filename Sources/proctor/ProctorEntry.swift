import ArgumentParser
import ProctorCommandLine
import ProctorRunCommand
import ProctorSandbox

#if canImport(Glibc)
import Glibc
#endif

/// `proctor`, the small binary: `proctor run` is handled here with nothing of
/// the service loaded, so a sandboxed run starts at the cost of the sandbox,
/// not of the service's libraries (a plain command line is not even given to
/// ArgumentParser, and no concurrency runtime starts: see ``RunArguments``);
/// every other command is the full `proctor-service` beside this binary,
/// executed in this process's place (the same pid: signals and exit status
/// are the command's own).
@main
struct ProctorEntry: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "proctor", subcommands: [RunCommand.self])

    static func main() {
        let arguments = Array(CommandLine.arguments.dropFirst())
        guard arguments.first == "run" else { executeService(arguments) }
        if let plain = RunArguments.plain(arguments.dropFirst()) { Glibc.exit(plain.execute()) }
        runSynchronouslyAsMain(arguments)
    }

    /// Replaces this process with `proctor-service` and `arguments`; says what
    /// is missing when it cannot.
    static func executeService(_ arguments: [String]) -> Never {
        let path = Sandbox.Configuration.besideExecutable("proctor-service")
        var argv: [UnsafeMutablePointer<CChar>?] = (["proctor"] + arguments).map { strdup($0) }
        argv.append(nil)
        execv(path, argv)
        writeError("""
            proctor: cannot start \(path) (\(String(cString: strerror(errno)))): every command but 'proctor run' lives there; \
            build it with 'swift build' or install it beside proctor
            """)
        Glibc.exit(1)
    }
}
