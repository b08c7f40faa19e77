import Foundation
import ProctorClient
import ProctorStore
import Testing

/// Clocks that are wrong: a node whose clock is hours off, a clock stepped back
/// in the middle of a job (an NTP correction, a leap second), a replica whose
/// clock disagrees with the database's. The wrong clocks are real clocks as the
/// programs see them, through libfaketime (Debian's `faketime`), which the
/// kernel's monotonic clock is left out of — as NTP leaves it.
@Suite(.enabled(if: FakeTime.library != nil || ProcessInfo.processInfo.environment["CI"] != nil,
                "libfaketime is not installed: apt-get install faketime"))
struct ClockTests {
    /// The environment that runs a program with its wall clock `offset` off
    /// (`+3h`), or read from `file` (each second) when given.
    static func skewed(_ offset: String, file: String? = nil) throws -> [String: String] {
        var environment = ProcessInfo.processInfo.environment
        environment["LD_PRELOAD"] = try #require(FakeTime.library, "libfaketime must be installed under CI")
        environment["DONT_FAKE_MONOTONIC"] = "1"
        if let file {
            environment["FAKETIME_TIMESTAMP_FILE"] = file
            // Read again at most once a second (every call would keep a core busy).
            environment["FAKETIME_CACHE_DURATION"] = "1"
        } else {
            environment["FAKETIME"] = offset
        }
        // A local time zone that has daylight saving time: stored times must not care.
        environment["TZ"] = "America/New_York"
        return environment
    }

    /// A `proctor-worker` process for `server` with the given environment.
    static func worker(_ node: String, for server: TestServer, environment: [String: String]) async throws -> Process {
        let token = try #require(try await server.client(node, role: .worker).token)
        let process = Process()
        // Started through env(1): a Swift program that Foundation's Process
        // spawns directly with libfaketime preloaded sees no arguments.
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = [Built.proctorWorker, "--server", server.url, "--token", token, "--competitions", server.directory + "/competitions",
                             "--work-dir", server.directory + "/" + node,
                             "--first-slot", String(TestServer.slotBase.add(10, ordering: .relaxed).newValue), "--heartbeat", "0.5"]
        process.environment = environment
        let log = server.directory + "/\(node).log"
        FileManager.default.createFile(atPath: log, contents: nil)
        process.standardOutput = FileHandle.nullDevice
        process.standardError = try FileHandle(forWritingTo: URL(fileURLWithPath: log))
        try process.run()
        return process
    }

    /// What a worker process wrote, to explain a failure.
    static func log(_ node: String, _ server: TestServer) -> String {
        (try? String(contentsOfFile: server.directory + "/\(node).log", encoding: .utf8)) ?? ""
    }

    /// How far the node's clock was from ours when it logged a line containing
    /// `text` (its log lines begin with its wall-clock time): the proof that the
    /// wrong clock was in effect, so the tests cannot pass with a right one.
    static func nodeClockOffset(_ node: String, _ server: TestServer, at text: String) async throws -> Double? {
        let formatter = DateFormatter()
        formatter.locale = Locale(identifier: "en_US_POSIX")
        formatter.dateFormat = "yyyy-MM-dd'T'HH:mm:ssZ"
        // The node may log the line a moment after the service recorded the job's end.
        for _ in 0..<100 {
            if let line = log(node, server).split(separator: "\n").last(where: { $0.contains(text) }),
                let stamp = line.split(separator: " ").first, let logged = formatter.date(from: String(stamp))
            {
                return logged.timeIntervalSinceNow
            }
            try await Task.sleep(for: .milliseconds(50))
        }
        return nil
    }

    /// A job's times, as the API gives them.
    static func times(_ job: [String: Any]) -> [Date] {
        let parser = ISO8601DateFormatter()
        parser.formatOptions = [.withInternetDateTime, .withFractionalSeconds]
        return ["created_at", "started_at", "finished_at"].compactMap { key in
            (job[key] as? String).flatMap { parser.date(from: $0) ?? ISO8601DateFormatter().date(from: $0) }
        }
    }

    @Test(arguments: ["+3h", "-3h"])
    func aNodeWhoseClockIsHoursOffRunsJobsOnTheServersTime(offset: String) async throws {
        let server = try await TestServer(slots: 0, leaseSeconds: 8)
        defer { Task { await server.stop() } }
        let worker = try await Self.worker("skewed", for: server, environment: try Self.skewed(offset))
        // SIGKILL: under libfaketime a worker has been seen to outlive SIGTERM.
        defer { kill(worker.processIdentifier, SIGKILL) }
        let alice = try await server.client("alice")
        let before = Date()
        let id = try #require(try await server.submitShell(alice, "sleep 1; echo 0.5 > out.txt", expectedTime: 10)["id"] as? String)
        let job = try await server.waitForEnd(alice, id)
        let after = Date()
        // Leases are the server's: three-second leases an hour off neither lapse at once nor last hours.
        #expect(job["state"] as? String == "succeeded", "\(job); the node said: \(Self.log("skewed", server))")
        #expect(job["attempts"] as? Int == 1)
        // The job's times are the server's, in UTC, whatever the node's clock and zone say.
        let times = Self.times(job)
        #expect(times.count == 3)
        #expect(times.allSatisfy { $0 >= before.addingTimeInterval(-1) && $0 <= after.addingTimeInterval(1) }, "\(times) not within \(before)…\(after)")
        #expect(["created_at", "started_at", "finished_at"].allSatisfy { (job[$0] as? String)?.hasSuffix("Z") == true })
        let realTime = try #require((job["solution"] as? [String: Any]).flatMap { $0["metrics"] as? [String: Any] }?["real_time"] as? Double)
        #expect(realTime >= 0.9 && realTime < 30)
        let nodeOffset = try #require(try await Self.nodeClockOffset("skewed", server, at: "job finished"), "\(Self.log("skewed", server))")
        let expected: Double = offset == "+3h" ? 3 * 3600 : -3 * 3600
        #expect(abs(nodeOffset - expected) < 60, "the node's clock was \(nodeOffset) s off")
    }

    /// An NTP step of an hour back, and a leap second (the same second twice).
    @Test(arguments: ["-3600", "-1"])
    func aClockSteppedBackMidJobGivesNoNegativeDurationsAndNoLostLease(step: String) async throws {
        let server = try await TestServer(slots: 0, leaseSeconds: 8)
        defer { Task { await server.stop() } }
        let file = server.directory + "/clock-offset"
        try "+0".write(toFile: file, atomically: true, encoding: .utf8)
        let worker = try await Self.worker("stepped", for: server, environment: try Self.skewed("", file: file))
        // SIGKILL: under libfaketime a worker has been seen to outlive SIGTERM.
        defer { kill(worker.processIdentifier, SIGKILL) }
        let alice = try await server.client("alice")
        let id = try #require(try await server.submitShell(alice, "sleep 3; echo 0.5 > out.txt", expectedTime: 10)["id"] as? String)
        try await server.waitUntilRunning(id)
        try step.write(toFile: file, atomically: true, encoding: .utf8)
        let job = try await server.waitForEnd(alice, id)
        #expect(job["state"] as? String == "succeeded", "\(job); the node said: \(Self.log("stepped", server))")
        #expect(job["attempts"] as? Int == 1)
        let metrics = try #require((job["solution"] as? [String: Any]).flatMap { $0["metrics"] as? [String: Any] })
        let realTime = try #require(metrics["real_time"] as? Double)
        #expect(realTime >= 2.9 && realTime < 30, "measured \(realTime) s for a three-second sleep")
        #expect((metrics["idleness_time"] as? Double ?? -1) >= 0)
        // An hour's step shows in the node's log (a second's is below the log's resolution).
        if step == "-3600" {
            let offset = try #require(try await Self.nodeClockOffset("stepped", server, at: "job finished"), "\(Self.log("stepped", server))")
            #expect(abs(offset + 3600) < 60, "the node's clock was \(offset) s off when the job finished")
        }
    }

    @Test(.enabled(if: ScaleOutTests.postgres != nil || ProcessInfo.processInfo.environment["CI"] != nil,
                   "PostgreSQL is not configured: set PROCTOR_TEST_POSTGRES (bash .ci/postgres.sh start)"))
    func aReplicaWhoseClockDisagreesWithTheDatabaseRefusesToStart() async throws {
        let base = try #require(ScaleOutTests.postgres, "PROCTOR_TEST_POSTGRES must be set under CI")
        let url = try await JobStore.createScratchDatabase(serverURL: base)
        let directory = NSTemporaryDirectory() + "proctor-clock-" + UUID().uuidString
        try TestServer.makeCompetitions(in: directory + "/competitions", extra: { _ in })
        let (status, output) = try await runToEnd(
            "/usr/bin/env", [Built.proctor, "serve", "--data-dir", directory + "/data", "--competitions", directory + "/competitions",
                            "--port", "0", "--slots", "0", "--database", url],
            environment: try Self.skewed("+1h"), includingErrors: true)
        #expect(status != 0)
        #expect(output.contains("clock is 3600 s ahead of the clock of the PostgreSQL server"), "\(output)")
        #expect(output.contains("synchronise the clocks"))
    }
}

/// Where Debian's libfaketime is, if installed.
enum FakeTime {
    static let library = ["/usr/lib/x86_64-linux-gnu/faketime/libfaketime.so.1", "/usr/lib/aarch64-linux-gnu/faketime/libfaketime.so.1"]
        .first { FileManager.default.fileExists(atPath: $0) }
}
