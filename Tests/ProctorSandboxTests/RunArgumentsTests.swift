import ArgumentParser
import Testing

@testable import ProctorRunCommand

/// `proctor run`'s two readings of a command line, the direct one for plain
/// runs and ArgumentParser's for everything else, agree on every option.
@Suite struct RunArgumentsTests {
    /// ArgumentParser's reading, as ``RunArguments``.
    func parsed(_ arguments: [String]) throws -> RunArguments {
        try RunCommand.parse(arguments).arguments
    }

    @Test func everyOptionOfTheHelpIsReadDirectly() {
        let help = RunCommand.helpMessage(columns: 1000)
        let named = Set(help.split(whereSeparator: { !$0.isLetter && $0 != "-" }).filter { $0.hasPrefix("--") && $0.count > 2 }.map { String($0.dropFirst(2)) })
        let direct = RunArguments.valueOptions.union(RunArguments.repeatedOptions).union(["rootless", "help"])
        #expect(named == direct)
    }

    @Test(arguments: [
        ["--", "/bin/true"],
        ["--cpu-time", "0.5", "--idle-time", "1", "--wall-time=2", "--memory", "64M", "--processes", "8", "--open-files", "32",
         "--file-size", "1M", "--disk", "8M", "--output", "4K", "--", "/bin/sh", "-c", "echo --memory 1"],
        ["--workspace", "/tmp/w", "--network=loopback", "--stdin", "/in", "--stdout", "/out", "--stderr", "/err", "--report", "/r.json",
         "--slot", "3", "--rootless", "--", "python3", "x.py", "--", "-v"],
        ["--bind", "/a:/b", "--env", "A=1", "--bind=/c:/d:rw", "--env", "B=--x", "--", "env"],
        ["--spec", "/s.json", "--wall-time", "0.3"],
        ["--memory=-5", "--", "true"],
    ])
    func aPlainCommandLineIsReadAsArgumentParserReadsIt(arguments: [String]) throws {
        let direct = try #require(RunArguments.plain(arguments))
        #expect(direct == (try parsed(arguments)))
    }

    @Test(arguments: [
        ["--help"], ["-h"], ["help"], [], ["--memory", "1M"], ["/bin/true"],
        ["--cpu-time"], ["--cpu-time", "--", "true"], ["--cpu-time", "-1", "--", "true"],
        ["--bogus", "x", "--", "true"], ["--slot", "x", "--", "true"], ["--memory", "1M", "--memory", "2M", "--", "true"],
        ["--rootless=yes", "--", "true"], ["--rootless", "--rootless", "--", "true"], ["-x", "--", "true"],
    ])
    func anythingElseIsLeftToArgumentParser(arguments: [String]) {
        #expect(RunArguments.plain(arguments) == nil)
    }
}
