import Foundation
import ProctorClient
import ProctorCore
import Testing

/// The slurm.conf of the test cluster `.ci/slurm.sh` started, if any.
let testSlurmConfiguration = ProcessInfo.processInfo.environment["PROCTOR_TEST_SLURM"]

/// `proctor worker --slurm` against a real one-node Slurm cluster (munge,
/// slurmctld, slurmd from Debian, started by `.ci/slurm.sh`, whose slurm.conf
/// is `PROCTOR_TEST_SLURM`): jobs become Slurm jobs, and Slurm's states
/// (cancel, time limit, a node down, a bridge restarted) mean what they should.
/// One Slurm node: the tests take turns.
@Suite(.serialized, .enabled(if: testSlurmConfiguration != nil || ProcessInfo.processInfo.environment["CI"] != nil,
                             "no test Slurm cluster (bash .ci/slurm.sh; PROCTOR_TEST_SLURM=<its slurm.conf>)"))
struct SlurmTests {
    /// The environment a Slurm command or the bridge runs with.
    static var environment: [String: String] {
        var environment = ProcessInfo.processInfo.environment
        environment["SLURM_CONF"] = testSlurmConfiguration
        return environment
    }

    /// A `proctor-worker --slurm` process for `server`, as an operator starts one on a submit node;
    /// with `asUser`, started as that user (no root) with `--rootless`, from `binaries` (see ``unprivilegedBinaries()``).
    static func startBridge(_ node: String, for server: TestServer, maxJobs: Int = 2,
                            asUser user: (id: UInt32, binaries: String)? = nil) async throws -> Process {
        let token = try #require(try await server.client(node, role: .worker).token)
        let spool = server.directory + "/spool"
        try FileManager.default.createDirectory(atPath: spool, withIntermediateDirectories: true)
        let process = Process()
        var arguments = ["--server", server.url, "--token", token, "--competitions", server.directory + "/competitions",
                         "--slurm", "--spool", spool, "--partition", "proctor", "--max-jobs", String(maxJobs),
                         "--slurm-poll", "0.3", "--heartbeat", "0.5"]
        if let user {
            chown(spool, user.id, user.id)
            process.executableURL = URL(fileURLWithPath: "/usr/bin/setpriv")
            arguments = ["--reuid=\(user.id)", "--regid=\(user.id)", "--clear-groups", user.binaries + "/proctor-worker", "--rootless"] + arguments
        } else {
            process.executableURL = URL(fileURLWithPath: Built.proctorWorker)
        }
        process.arguments = arguments
        process.environment = environment
        let log = server.directory + "/\(node).log"
        FileManager.default.createFile(atPath: log, contents: nil)
        let handle = try FileHandle(forWritingTo: URL(fileURLWithPath: log))
        handle.seekToEndOfFile()
        process.standardOutput = handle
        process.standardError = handle
        try process.run()
        return process
    }

    /// `proctor-worker` and `proctor-init` copied where any user may run them
    /// (the build may sit under a directory closed to others); Slurm runs the step from there too.
    static func unprivilegedBinaries() throws -> String {
        let directory = NSTemporaryDirectory() + "proctor-slurm-bin-" + UUID().uuidString
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        for name in ["proctor-worker", "proctor-init"] {
            try FileManager.default.copyItem(atPath: Built.root + "/.build/debug/" + name, toPath: directory + "/" + name)
        }
        chmod(directory, 0o755)
        return directory
    }

    /// Runs a Slurm command and returns what it printed.
    static func slurm(_ arguments: [String]) async throws -> String {
        try await runToEnd("/usr/bin/env", arguments, environment: environment).output
    }

    /// The Slurm jobs that ran (or run) Proctor job `id`: (Slurm id, state), oldest first.
    static func slurmJobs(of id: String) async throws -> [(id: Int, state: String)] {
        try await slurm(["squeue", "--noheader", "--states=all", "--name=proctor-\(id)", "--format=%i|%T"])
            .split(whereSeparator: \.isNewline).compactMap { line in
                let fields = line.split(separator: "|")
                guard fields.count == 2, let number = Int(fields[0]) else { return nil }
                return (number, String(fields[1]))
            }.sorted { $0.id < $1.id }
    }

    /// Waits until the Proctor job is running (Slurm started it), or 60 s pass.
    static func waitUntilRunning(_ server: TestServer, _ id: String) async throws {
        for _ in 0..<600 where try await server.store.job(id: id)?.state != .running {
            try await Task.sleep(for: .milliseconds(100))
        }
        #expect(try await server.store.job(id: id)?.state == .running)
    }

    /// The test cluster's one node, as Slurm names it.
    static func node() async throws -> String {
        try await slurm(["sinfo", "--noheader", "--Node", "--format=%N"]).trimmingCharacters(in: .whitespacesAndNewlines)
    }

    @Test func irisJobsRunAsSlurmJobsAndScoreAsTheyDoLocally() async throws {
        let solution = try Data(contentsOf: URL(fileURLWithPath: Built.root + "/examples/iris/solution.py"))
        // The same solution on a server that runs its jobs itself, first.
        let localServer = try await TestServer(slots: 1)
        let localClient = try await localServer.client("alice")
        let here = try #require(try await localClient.submit(competition: "iris", fileName: "solution.py", contents: solution).json?["id"] as? String)
        let localJob = try await localServer.waitForEnd(localClient, here, timeout: .seconds(60))
        await localServer.stop()
        #expect(localJob["state"] as? String == "succeeded")

        let server = try await TestServer(slots: 0, leaseSeconds: 5)
        defer { Task { await server.stop() } }
        let alice = try await server.client("alice")
        let bridge = try await Self.startBridge("cluster", for: server)
        defer { bridge.terminate() }
        let id = try #require(try await alice.submit(competition: "iris", fileName: "solution.py", contents: solution).json?["id"] as? String)
        let job = try await server.waitForEnd(alice, id, timeout: .seconds(90))
        #expect(job["state"] as? String == "succeeded")
        #expect(job["score"] as? Double == localJob["score"] as? Double)
        #expect((job["score"] as? Double ?? 0) > 0.9)
        // The sandbox's own report, as locally: verdict and measured use.
        let report = job["solution"] as? [String: Any]
        #expect((report?["verdict"] as? [String: Any])?["kind"] as? String == "exited")
        #expect(((report?["metrics"] as? [String: Any])?["memory"] as? Int ?? 0) > 0)
        #expect((job["results"] as? [Any])?.count == (localJob["results"] as? [Any])?.count)
        #expect(try await alice.call(.GET, "/v1/jobs/\(id)/logs?stream=stdout").text == "wrote submission.csv\n")
        // One Slurm job ran it, and Slurm's accounting (its job completion log) has it.
        let ran = try await Self.slurmJobs(of: id)
        #expect(ran.map(\.state) == ["COMPLETED"])
        let accounting = try await Self.slurm(["sacct", "--completion", "--noheader", "--parsable2", "--format=JobID,JobName,State"])
        #expect(accounting.contains("\(ran.first?.id ?? -1)|proctor-\(id)|COMPLETED"))
        let host = try await Self.node()
        let events = try await server.store.events(jobID: id)
        #expect(events.contains { $0.to == .running && $0.reason.contains("Slurm job \(ran.first?.id ?? -1) on \(host)") })
        // The partition's nodes, as Slurm sees them, in the service's node list.
        let admin = try await server.client("root", role: .admin)
        let nodes = try await admin.call(.GET, "/v1/admin/nodes").json?["nodes"] as? [[String: Any]] ?? []
        let labels = nodes.first { $0["name"] as? String == "cluster" }?["labels"] as? [String: String] ?? [:]
        #expect(labels["slurm.partition"] == "proctor")
        #expect(labels["slurm.node.\(host)"]?.contains("cpus=") == true)
        // Nothing of the job is left in the spool once it is reported.
        try await Task.sleep(for: .milliseconds(300))
        #expect(((try? FileManager.default.contentsOfDirectory(atPath: server.directory + "/spool/jobs")) ?? []).isEmpty)
    }

    @Test func aCancelInProctorCancelsTheSlurmJob() async throws {
        let server = try await TestServer(slots: 0, leaseSeconds: 5)
        defer { Task { await server.stop() } }
        let bridge = try await Self.startBridge("cluster", for: server)
        defer { bridge.terminate() }
        let alice = try await server.client("alice")
        let id = try #require(try await server.submitShell(alice, "sleep 100", expectedTime: 60)["id"] as? String)
        try await Self.waitUntilRunning(server, id)
        #expect(try await alice.send(.POST, "/v1/jobs/\(id)/cancel").status == 202)
        let job = try await server.waitForEnd(alice, id, timeout: .seconds(30))
        #expect(job["state"] as? String == "cancelled")
        var states: [String] = []
        for _ in 0..<100 {
            states = try await Self.slurmJobs(of: id).map(\.state)
            if states == ["CANCELLED"] { break }
            try await Task.sleep(for: .milliseconds(100))
        }
        #expect(states == ["CANCELLED"])
    }

    @Test func aSolutionPastItsTimeLimitGetsTheSameVerdictAsLocally() async throws {
        let server = try await TestServer(slots: 0, leaseSeconds: 5)
        defer { Task { await server.stop() } }
        let alice = try await server.client("alice")
        // The shell competition allows 3 s idle and 5 s of wall time; first on a server that runs its jobs itself.
        let localServer = try await TestServer(slots: 1)
        let localClient = try await localServer.client("alice")
        let here = try #require(try await localServer.submitShell(localClient, "sleep 30")["id"] as? String)
        let localJob = try await localServer.waitForEnd(localClient, here, timeout: .seconds(60))
        await localServer.stop()
        let localVerdict = (localJob["solution"] as? [String: Any])?["verdict"] as? [String: String]

        let bridge = try await Self.startBridge("cluster", for: server)
        defer { bridge.terminate() }
        let id = try #require(try await server.submitShell(alice, "sleep 30")["id"] as? String)
        let job = try await server.waitForEnd(alice, id, timeout: .seconds(60))
        #expect(job["state"] as? String == "timed_out")
        #expect((job["error"] as? [String: Any])?["type"] as? String == "solution_timed_out")
        let verdict = (job["solution"] as? [String: Any])?["verdict"] as? [String: String]
        #expect(verdict?["kind"] == "limit_exceeded")
        #expect(verdict != nil && verdict == localVerdict)
        #expect(try await Self.slurmJobs(of: id).map(\.state) == ["COMPLETED"])
    }

    @Test func aNodeTakenDownMidJobRetriesTheJobWhichFinishesOnceTheNodeReturns() async throws {
        let server = try await TestServer(slots: 0, leaseSeconds: 5)
        defer { Task { await server.stop() } }
        let bridge = try await Self.startBridge("cluster", for: server)
        defer { bridge.terminate() }
        let alice = try await server.client("alice")
        let id = try #require(try await server.submitShell(alice, "sleep 3; echo 1 > out.txt", expectedTime: 30)["id"] as? String)
        try await Self.waitUntilRunning(server, id)
        let host = try await Self.node()
        _ = try await Self.slurm(["scontrol", "update", "nodename=\(host)", "state=down", "reason=proctor-test"])
        do {
            // The first Slurm job fails with its node; Proctor queues the job again and the bridge submits a
            // second, which waits while the node is down.
            var states: [String] = []
            for _ in 0..<200 {
                states = try await Self.slurmJobs(of: id).map(\.state)
                if states.count == 2 { break }
                try await Task.sleep(for: .milliseconds(100))
            }
            #expect(states == ["NODE_FAIL", "PENDING"])
            // Pending longer than a lease lasts (5 s): the worker keeps the lease, nothing lapses.
            try await Task.sleep(for: .seconds(7))
            let waiting = try await server.store.job(id: id)
            #expect(waiting?.state == .leased && waiting?.attempts == 2)
            #expect(try await Self.slurmJobs(of: id).map(\.state) == ["NODE_FAIL", "PENDING"])
            _ = try await Self.slurm(["scontrol", "update", "nodename=\(host)", "state=resume"])
        } catch {
            // The node comes back for the tests after this one, whatever happened here.
            _ = try? await Self.slurm(["scontrol", "update", "nodename=\(host)", "state=resume"])
            throw error
        }
        let job = try await server.waitForEnd(alice, id, timeout: .seconds(60))
        #expect(job["state"] as? String == "succeeded")
        #expect(job["attempts"] as? Int == 2)
        let reasons = try await server.store.events(jobID: id).map(\.reason)
        #expect(reasons.contains { $0.contains("retrying after an infrastructure failure") && $0.contains("NODE_FAIL") })
    }

    /// A server (2 s leases) whose Slurm worker was SIGKILLed while its job, running `script`, ran.
    static func jobWhoseBridgeWasKilled(running script: String) async throws -> (TestServer, ProctorClient, String) {
        let server = try await TestServer(slots: 0, leaseSeconds: 2)
        let first = try await startBridge("cluster", for: server)
        let alice = try await server.client("alice")
        let id = try #require(try await server.submitShell(alice, script, expectedTime: 30)["id"] as? String)
        try await waitUntilRunning(server, id)
        kill(first.processIdentifier, SIGKILL)
        try await waitForExit(first)
        return (server, alice, id)
    }

    @Test func aBridgeKilledAndRestartedFollowsItsSlurmJobInsteadOfRunningItAgain() async throws {
        let (server, alice, id) = try await Self.jobWhoseBridgeWasKilled(running: "sleep 6; echo 1 > out.txt")
        defer { Task { await server.stop() } }
        let second = try await Self.startBridge("cluster", for: server)
        defer { second.terminate() }
        let job = try await server.waitForEnd(alice, id, timeout: .seconds(60))
        #expect(job["state"] as? String == "succeeded")
        #expect(job["attempts"] as? Int == 2)
        // The lease lapsed and the job came back, but Slurm ran it once.
        #expect(try await Self.slurmJobs(of: id).map(\.state) == ["COMPLETED"])
        let log = (try? String(contentsOfFile: server.directory + "/cluster.log", encoding: .utf8)) ?? ""
        #expect(log.contains("following the job's Slurm job again"))
    }

    @Test func aJobThatFinishedWhileItsBridgeWasDownIsReportedFromItsStepNotRunAgain() async throws {
        let (server, alice, id) = try await Self.jobWhoseBridgeWasKilled(running: "sleep 2; echo 0.5 > out.txt")
        defer { Task { await server.stop() } }
        // The Slurm job ends while no worker watches it.
        var states: [String] = []
        for _ in 0..<300 {
            states = try await Self.slurmJobs(of: id).map(\.state)
            if states == ["COMPLETED"] { break }
            try await Task.sleep(for: .milliseconds(100))
        }
        #expect(states == ["COMPLETED"])
        let second = try await Self.startBridge("cluster", for: server)
        defer { second.terminate() }
        let job = try await server.waitForEnd(alice, id, timeout: .seconds(60))
        #expect(job["state"] as? String == "succeeded")
        #expect(job["score"] as? Double == 0.5)
        #expect(try await Self.slurmJobs(of: id).map(\.state) == ["COMPLETED"])
        let log = (try? String(contentsOfFile: server.directory + "/cluster.log", encoding: .utf8)) ?? ""
        #expect(log.contains("found the report of the job's earlier Slurm job"))
    }

    @Test func aBridgeWithoutRootRunsItsJobsInTheRootlessSandboxOnTheComputeNodes() async throws {
        let server = try await TestServer(slots: 0, leaseSeconds: 5)
        defer { Task { await server.stop() } }
        let nobody: UInt32 = 65534
        let binaries = try Self.unprivilegedBinaries()
        let bridge = try await Self.startBridge("cluster", for: server, asUser: (nobody, binaries))
        defer {
            bridge.terminate()
            bridge.waitUntilExit()
            try? FileManager.default.removeItem(atPath: binaries)
        }
        let alice = try await server.client("alice")
        let solution = try Data(contentsOf: URL(fileURLWithPath: Built.root + "/examples/iris/solution.py"))
        let id = try #require(try await alice.submit(competition: "iris", fileName: "solution.py", contents: solution).json?["id"] as? String)
        let job = try await server.waitForEnd(alice, id, timeout: .seconds(90))
        #expect(job["state"] as? String == "succeeded")
        #expect((job["score"] as? Double ?? 0) > 0.9)
        // The step ran as the bridge's user, in the rootless sandbox, and its report says what that means.
        let notes = (job["solution"] as? [String: Any])?["notes"] as? [String] ?? []
        #expect(notes.contains { $0.hasPrefix("rootless sandbox:") })
        let users = try await Self.slurm(["squeue", "--noheader", "--states=all", "--name=proctor-\(id)", "--format=%U"])
        #expect(users.trimmingCharacters(in: .whitespacesAndNewlines) == String(nobody))
    }

    @Test func aWorkerMisconfiguredForSlurmSaysWhatIsWrongAndDoesNotStart() async throws {
        let server = try await TestServer(slots: 0)
        defer { Task { await server.stop() } }
        let token = try #require(try await server.client("cluster", role: .worker).token)
        let common = ["--server", server.url, "--token", token, "--competitions", server.directory + "/competitions"]
        // No spool: bad usage, before anything starts.
        let noSpool = try await runToEnd(Built.proctorWorker, common + ["--slurm"], environment: Self.environment, includingErrors: true)
        #expect(noSpool.status == 2)
        #expect(noSpool.output.contains("--slurm needs --spool DIR"))
        // A partition Slurm does not know: refused at start, with Slurm's own words.
        let spool = server.directory + "/spool"
        let unknown = try await runToEnd(Built.proctorWorker, common + ["--slurm", "--spool", spool, "--partition", "no-such-partition"],
                                         environment: Self.environment, includingErrors: true)
        #expect(unknown.status != 0)
        #expect(unknown.output.contains("Slurm lists no node in partition no-such-partition"))
    }
}
