import Foundation
import Testing

@testable import ProctorSandbox

/// Parsing and validation of what a caller asks for: every refusal says what
/// was wrong.
@Suite struct SpecTests {
    @Test func sizesTakeSuffixes() throws {
        #expect(try Quantity.bytes("512", option: "--memory") == 512)
        #expect(try Quantity.bytes("64K", option: "--memory") == 64 << 10)
        #expect(try Quantity.bytes("256m", option: "--memory") == 256 << 20)
        #expect(try Quantity.bytes("2G", option: "--memory") == 2 << 30)
        for bad in ["", "-1", "1.5G", "12X", "G", "99999999999T"] {
            #expect(throws: SandboxError.self) { try Quantity.bytes(bad, option: "--memory") }
        }
    }

    @Test func durationsArePositiveSeconds() throws {
        #expect(try Quantity.seconds("0.5", option: "--cpu-time") == 0.5)
        for bad in ["0", "-1", "nan", "inf", "abc", "1e10"] {
            #expect(throws: SandboxError.self) { try Quantity.seconds(bad, option: "--cpu-time") }
        }
    }

    @Test func bindsParseWithOptionalMode() throws {
        #expect(try BindMount(parsing: "/a:/b") == BindMount(source: "/a", destination: "/b"))
        #expect(try BindMount(parsing: "/a:/b:rw") == BindMount(source: "/a", destination: "/b", writable: true))
        #expect(throws: SandboxError.self) { try BindMount(parsing: "/a") }
        #expect(throws: SandboxError.self) { try BindMount(parsing: "/a:/b:rx") }
    }

    @Test(arguments: [
        ("/tmp", "/proc"), ("/tmp", "/dev/x"), ("/tmp", "/"), ("/tmp", "/data/../etc"), ("/tmp", "relative"),
        ("/does/not/exist", "/data"), ("/tmp/../etc", "/data"), ("/tmp", "/workspace"), ("/tmp", "/data/"),
    ])
    func unsafeBindsAreRefused(source: String, destination: String) {
        var spec = SandboxSpec(command: ["/bin/true"])
        spec.binds = [BindMount(source: source, destination: destination)]
        #expect(throws: SandboxError.self) { try spec.validate() }
    }

    @Test func badSpecsSayWhatIsWrong() {
        func message(_ change: (inout SandboxSpec) -> Void) -> String {
            var spec = SandboxSpec(command: ["/bin/true"])
            change(&spec)
            do { try spec.validate() } catch { return "\(error)" }
            return ""
        }
        #expect(message { $0.command = [] }.contains("no program"))
        #expect(message { $0.slot = -1 }.contains("slot"))
        #expect(message { $0.environment = ["1BAD NAME=x"] }.contains("--env"))
        #expect(message { $0.environment = ["NOVALUE"] }.contains("--env"))
        #expect(message { $0.limits.memory = 1 }.contains("memory"))
        #expect(message { $0.limits.cpuTime = .nan }.contains("cpu_time"))
        #expect(message { $0.workspace = "/nonexistent" }.contains("--workspace"))
        #expect(message { $0.stdin = "/nonexistent" }.contains("--stdin"))
        #expect(message { $0.devices = ["/etc/passwd"] }.contains("device"))
        #expect(message { $0.rootfs = "/nonexistent" }.contains("rootfs"))
        #expect(message { $0.rootfs = "/tmp" }.contains("no usr/"))
        #expect(message { $0.rootfs = "/" }.contains("rootfs"))
        #expect(message { $0.scratch = ["/proc"] }.contains("scratch"))
        #expect(message { $0.scratch = ["/tmp"] }.contains("scratch"))
        #expect(message { $0.scratch = ["env"] }.contains("scratch"))
        #expect(message { $0.scratch = ["/env"] }.isEmpty)
        #expect(message { _ in }.isEmpty)
    }

    @Test func specDecodesFromJSONWithDefaults() throws {
        let json = #"{"command": ["python3", "x.py"], "limits": {"cpu_time": 2, "memory": 1048576000}, "network": "loopback", "binds": [{"source": "/data", "destination": "/data", "writable": false}]}"#
        let spec = try JSONDecoder().decode(SandboxSpec.self, from: Data(json.utf8))
        #expect(spec.command == ["python3", "x.py"])
        #expect(spec.limits.cpuTime == 2)
        #expect(spec.limits.wallTime == Limits().wallTime)
        #expect(spec.network == .loopback)
        #expect(spec.binds.count == 1)
    }

    @Test func reportEncodesWithTheDocumentedKeys() throws {
        let report = RunReport(verdict: .signaled(signal: 11), metrics: Metrics(cpuTime: 1, realTime: 2, idlenessTime: 1, memory: 3))
        let object = try JSONSerialization.jsonObject(with: try JSONEncoder().encode(report)) as? [String: Any]
        let verdict = object?["verdict"] as? [String: Any]
        #expect(verdict?["kind"] as? String == "signaled")
        #expect(verdict?["signal"] as? Int == 11)
        #expect(verdict?["signal_name"] as? String == "SIGSEGV")
        let metrics = object?["metrics"] as? [String: Any]
        #expect(Set(metrics?.keys.map { $0 } ?? []) == ["cpu_time", "real_time", "idleness_time", "memory"])
        for verdict in [Verdict.exited(code: 2), .limitExceeded(.idlenessTime), .internalError("x"), .signaled(signal: 9)] {
            let data = try JSONEncoder().encode(verdict)
            #expect(try JSONDecoder().decode(Verdict.self, from: data) == verdict)
        }
    }
}
