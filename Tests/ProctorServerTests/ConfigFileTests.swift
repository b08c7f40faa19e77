import Foundation
import Testing

/// `proctor serve --config FILE`: every mistake named with its line, options
/// given on the command line override the file, `--check-config` says what
/// would be served without serving.
@Suite struct ConfigFileTests {

    /// Runs `proctor serve ARGS --check-config`; its status and everything it printed.
    func check(_ arguments: [String]) async throws -> (status: Int32, output: String) {
        try await runToEnd(Built.proctor, ["serve"] + arguments + ["--check-config"], includingErrors: true)
    }

    func write(_ text: String) throws -> String {
        let path = NSTemporaryDirectory() + "proctor-config-" + UUID().uuidString + ".yaml"
        try text.write(toFile: path, atomically: true, encoding: .utf8)
        return path
    }

    @Test func everyMistakeIsNamedWithItsLine() async throws {
        let path = try write("""
            # a config with three mistakes
            host: 127.0.0.1
            prot: 8080
            port: eighty
            trusted-proxy: [10.0.0.0/8, not-a-network]
            max-upload: 1M
            """)
        let (status, output) = try await check(["--config", path])
        #expect(status != 0)
        #expect(output.contains("line 3: unknown option 'prot'"), "\(output)")
        #expect(output.contains("line 4: 'port' must be a whole number from 0 to 65535, not 'eighty'"), "\(output)")
        #expect(output.contains("line 5: 'trusted-proxy': 'not-a-network' is not an address or network"), "\(output)")
    }

    @Test func optionsOverrideTheFileAndCheckConfigSaysWhatWouldBeServed() async throws {
        let path = try write("""
            port: 9001
            max-queued: 7
            trusted-proxy:
              - 10.0.0.0/8
            """)
        let (status, output) = try await check(["--config", path, "--port", "9002", "--data-dir", NSTemporaryDirectory() + "proctor-unused"])
        #expect(status == 0, "\(output)")
        #expect(output.contains("the configuration is valid"))
        #expect(output.contains("http://127.0.0.1:9002"))
        #expect(output.contains("7 queued"))
        #expect(output.contains("trusted proxies: 10.0.0.0/8"))
        // Nothing was served or created.
        #expect(!FileManager.default.fileExists(atPath: NSTemporaryDirectory() + "proctor-unused"))
    }

    @Test func aFileThatIsNotAMappingOrNotThereIsRefused() async throws {
        #expect(try await check(["--config", try write("- just\n- a list\n")]).output.contains("must be a mapping of options"))
        #expect(try await check(["--config", "/nonexistent/proctor.yaml"]).output.contains("cannot be read"))
    }
}
