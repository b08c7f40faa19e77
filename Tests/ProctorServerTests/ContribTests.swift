import Foundation
import Testing

/// What `contrib/` ships for operators: systemd units whose commands the
/// binaries accept, and a configuration file that `--check-config` passes.
@Suite struct ContribTests {
    static let root = Built.root
    static let systemdAnalyze = ["/usr/bin/systemd-analyze", "/bin/systemd-analyze"].first { FileManager.default.isExecutableFile(atPath: $0) }

    /// A unit file's sections and their `Key=Value` lines.
    func parse(_ name: String) throws -> [String: [String: [String]]] {
        var sections: [String: [String: [String]]] = [:], current = ""
        for raw in try String(contentsOfFile: Self.root + "/contrib/" + name, encoding: .utf8).split(separator: "\n") {
            let line = raw.trimmingCharacters(in: .whitespaces)
            if line.isEmpty || line.hasPrefix("#") { continue }
            if line.hasPrefix("[") && line.hasSuffix("]") {
                current = String(line.dropFirst().dropLast())
                continue
            }
            let parts = line.split(separator: "=", maxSplits: 1).map(String.init)
            #expect(parts.count == 2 && !current.isEmpty, "\(name): '\(line)' is not Key=Value in a section")
            if parts.count == 2 { sections[current, default: [:]][parts[0], default: []].append(parts[1]) }
        }
        return sections
    }

    /// The options a binary's `--help` lists.
    func options(of binary: String, _ arguments: [String]) async throws -> String {
        try await runToEnd(Built.root + "/.build/debug/" + binary, arguments + ["--help"]).output
    }

    @Test(arguments: [("proctor-serve.service", "proctor"), ("proctor-worker.service", "proctor-worker")])
    func unitsRunOurBinariesWithOptionsTheyAccept(unit: String, binary: String) async throws {
        let sections = try parse(unit)
        #expect(Set(sections.keys) == ["Unit", "Service", "Install"])
        let service = try #require(sections["Service"])
        #expect(service["Delegate"] == ["yes"], "the sandbox makes cgroups under the service's own")
        #expect(service["KillMode"] == ["mixed"], "SIGTERM must reach the service first, to drain")
        let exec = try #require(service["ExecStart"]?.first).split(separator: " ").map(String.init)
        #expect(exec.first == "/usr/local/bin/" + binary)
        let subcommand = binary == "proctor" ? [exec[1]] : []
        let help = try await options(of: binary, subcommand)
        for option in exec.dropFirst(1 + subcommand.count) where option.hasPrefix("--") {
            #expect(help.contains(option + " "), "\(binary) \(subcommand.joined()) has no option \(option)")
        }
    }

    @Test func theExampleConfigurationIsValid() async throws {
        let checked = try await runToEnd(Built.proctor,
                                         ["serve", "--config", Self.root + "/contrib/serve.yaml", "--check-config"])
        #expect(checked.status == 0, "\(checked.output)")
    }

    @Test(.enabled(if: systemdAnalyze != nil, "systemd-analyze is not installed here"),
          arguments: ["proctor-serve.service", "proctor-worker.service"])
    func systemdAcceptsTheUnits(unit: String) async throws {
        // The units name the installed binaries; verify a copy naming the built ones.
        let directory = NSTemporaryDirectory() + "proctor-units-" + UUID().uuidString
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        let text = try String(contentsOfFile: Self.root + "/contrib/" + unit, encoding: .utf8)
            .replacingOccurrences(of: "/usr/local/bin/", with: Self.root + "/.build/debug/")
        try text.write(toFile: directory + "/" + unit, atomically: true, encoding: .utf8)
        let verified = try await runToEnd(try #require(Self.systemdAnalyze), ["verify", directory + "/" + unit])
        #expect(verified.status == 0, "\(verified.output)")
    }
}
