import ArgumentParser

#if canImport(Glibc)
import Glibc
#endif

extension AsyncParsableCommand {
    /// Parses the command line (or `arguments`) and runs the command, exiting
    /// 2 for bad usage (with a message that says what was wrong) instead of
    /// ArgumentParser's 64, 0 for help, and the command's own code otherwise.
    /// Shared by `proctor-service` and `proctor-worker`.
    public static func runAsMain(_ arguments: [String]? = nil) async {
        do {
            var command = try parseAsRoot(arguments)
            if var asynchronous = command as? any AsyncParsableCommand {
                try await asynchronous.run()
            } else {
                try command.run()
            }
        } catch {
            exit(for: error)
        }
    }
}

extension ParsableCommand {
    /// ``AsyncParsableCommand/runAsMain(_:)`` for a tree of synchronous
    /// commands (`proctor`'s): the same exit statuses, and no concurrency
    /// runtime started for them.
    public static func runSynchronouslyAsMain(_ arguments: [String]? = nil) -> Never {
        do {
            var command = try parseAsRoot(arguments)
            try command.run()
            Glibc.exit(0)
        } catch {
            exit(for: error)
        }
    }

    /// Ends the process as a command that threw `error` should: its own
    /// `ExitCode`, 0 with the text for help, 2 with the message for bad usage.
    static func exit(for error: any Error) -> Never {
        if let exit = error as? ExitCode { Glibc.exit(exit.rawValue) }
        let code = exitCode(for: error)
        if code == .success {
            print(fullMessage(for: error))
            Glibc.exit(0)
        }
        writeError(fullMessage(for: error))
        Glibc.exit(code == .validationFailure ? 2 : code.rawValue)
    }
}

/// Writes a line to standard error.
public func writeError(_ message: String) {
    let line = message.hasSuffix("\n") ? message : message + "\n"
    _ = line.withCString { write(2, $0, strlen($0)) }
}
