import Foundation
import Logging
import ProctorClient
import ProctorCore
import ProctorSandbox
import ProctorServer
import ProctorWorker
import Testing

/// Competitions that bring their own software: a Python environment built
/// once per node from pinned requirements and bound read-only at `/env`.
/// One test at a time: builds are CPU-heavy, and the rest of the suite's
/// timing-sensitive tests share the machine.
@Suite(.serialized) struct EnvironmentTests {
    /// A server whose local worker builds environments from `wheelhouse`.
    private func server(_ wheelhouse: String, cacheBytes: UInt64? = nil, competitions: @escaping (String) throws -> Void) async throws -> TestServer {
        try await TestServer(extraCompetitions: competitions) { configuration in
            configuration.environments.wheelhouse = wheelhouse
            if let cacheBytes { configuration.environments.cacheBytes = cacheBytes }
        }
    }

    @Test func anEnvironmentIsBuiltOnceAndBothStagesOfEveryJobUseItReadOnly() async throws {
        let wheels = try await EnvironmentFixture.wheelhouse()
        let requirements = EnvironmentFixture.pin("1.0", wheels.hashes["1.0"] ?? "")
        let server = try await server(wheels.path) { try EnvironmentFixture.competition(in: $0, id: "pyenv", requirements: requirements) }
        defer { Task { await server.stop() } }
        let client = try await server.client("ada")

        let first = try await EnvironmentFixture.submit(client, "pyenv", "python3 -c 'import proctorpkg, sys; print(proctorpkg.VERSION, sys.prefix)' > out.txt")
        let done = try await server.waitForEnd(client, first["id"] as? String ?? "", timeout: .seconds(180))
        #expect(done["state"] as? String == "succeeded", "\(done)")
        #expect(EnvironmentFixture.row(done)["solution"] as? String == "1.0 /env")
        #expect(EnvironmentFixture.row(done)["grader"] as? String == "1.0")

        let built = server.directory + "/data/environments/" + EnvironmentFixture.identity(requirements)
        let before = try FileManager.default.attributesOfItem(atPath: built)
        let second = try await EnvironmentFixture.submit(client, "pyenv", """
            r=refused
            for t in /env /env/bin /env/lib/python\(EnvironmentFixture.python)/site-packages/proctorpkg; do touch $t/x 2>/dev/null && r="wrote $t"; done
            rm -rf /env/lib 2>/dev/null || true
            echo "$r" > out.txt
            """)
        let refused = try await server.waitForEnd(client, second["id"] as? String ?? "", timeout: .seconds(60))
        #expect(refused["state"] as? String == "succeeded", "\(refused)")
        #expect(EnvironmentFixture.row(refused)["solution"] as? String == "refused")
        #expect(EnvironmentFixture.row(refused)["grader"] as? String == "1.0")
        let after = try FileManager.default.attributesOfItem(atPath: built)
        #expect(after[.systemFileNumber] as? Int == before[.systemFileNumber] as? Int)
        #expect(after[.modificationDate] as? Date == before[.modificationDate] as? Date)
        #expect(await server.server.worker?.environments.buildsRun == 1)
        // Owned by root: not even the build's own user could change it.
        #expect(after[.ownerAccountID] as? Int == 0)
    }

    @Test func twoCompetitionsPinningDifferentVersionsOfOnePackageBothSucceed() async throws {
        let wheels = try await EnvironmentFixture.wheelhouse()
        let server = try await server(wheels.path) { root in
            try EnvironmentFixture.competition(in: root, id: "pyenv-one", requirements: EnvironmentFixture.pin("1.0", wheels.hashes["1.0"] ?? ""))
            try EnvironmentFixture.competition(in: root, id: "pyenv-two", requirements: EnvironmentFixture.pin("2.0", wheels.hashes["2.0"] ?? ""))
        }
        defer { Task { await server.stop() } }
        let client = try await server.client("ada")
        let script = "python3 -c 'import proctorpkg; print(proctorpkg.VERSION)' > out.txt"
        let one = try await EnvironmentFixture.submit(client, "pyenv-one", script)
        let two = try await EnvironmentFixture.submit(client, "pyenv-two", script)
        for (job, version) in [(one, "1.0"), (two, "2.0")] {
            let done = try await server.waitForEnd(client, job["id"] as? String ?? "", timeout: .seconds(180))
            #expect(done["state"] as? String == "succeeded", "\(done)")
            #expect(EnvironmentFixture.row(done)["solution"] as? String == version)
            #expect(EnvironmentFixture.row(done)["grader"] as? String == version)
        }
    }

    @Test func aHashMismatchOrAMissingPackageDisablesTheCompetitionWithTheReasonAndFailsNoJob() async throws {
        let wheels = try await EnvironmentFixture.wheelhouse()
        let server = try await server(wheels.path) { root in
            try EnvironmentFixture.competition(in: root, id: "pyenv-badhash", requirements: EnvironmentFixture.pin("1.0", String(repeating: "0", count: 64)))
            try EnvironmentFixture.competition(in: root, id: "pyenv-missing",
                                               requirements: EnvironmentFixture.pin("1.0", wheels.hashes["1.0"] ?? "", package: "nosuchpkg"))
        }
        defer { Task { await server.stop() } }
        let client = try await server.client("ada"), admin = try await server.client("root", role: .admin)
        var reasons: [String: String] = [:]
        let deadline = ContinuousClock.now + .seconds(180)
        while reasons.count < 2 && ContinuousClock.now < deadline {
            for id in ["pyenv-badhash", "pyenv-missing"] {
                if let status = try await EnvironmentFixture.status(admin, id), status["state"] as? String == "failed" {
                    reasons[id] = status["reason"] as? String
                }
            }
            try await Task.sleep(for: .milliseconds(200))
        }
        #expect(reasons["pyenv-badhash"]?.contains("HASHES") == true, "\(reasons)")
        #expect(reasons["pyenv-missing"]?.contains("nosuchpkg") == true, "\(reasons)")
        // A job for it waits with a warning instead of failing.
        let waiting = try await EnvironmentFixture.submit(client, "pyenv-missing", "echo 1 > out.txt")
        #expect((waiting["warning"] as? String)?.contains("environment failed to build") == true, "\(waiting)")
        try await Task.sleep(for: .seconds(2))
        #expect(try await server.store.job(id: waiting["id"] as? String ?? "")?.state == .queued)
        // Participants see the state; the reason (a tool's output, the node's paths) is for admins, and the CLI shows it.
        let seen = try await EnvironmentFixture.status(client, "pyenv-missing")
        #expect(seen?["state"] as? String == "failed" && seen?["reason"] == nil)
        let listed = try await runToEnd(Built.proctor, ["competitions"],
                                        environment: ["PROCTOR_SERVER": server.url, "PROCTOR_TOKEN": admin.token ?? "", "PATH": "/usr/bin:/bin"])
        let line = listed.output.split(separator: "\n").first { $0.contains("environment python") && $0.contains("nosuchpkg") }
        #expect(line?.contains("failed: ") == true, "\(listed.output)")
    }

    @Test func aJobWhoseEnvironmentIsStillBuildingWaitsAndThenRuns() async throws {
        let wheels = try await EnvironmentFixture.wheelhouse()
        let requirements = EnvironmentFixture.pin("2.0", wheels.hashes["2.0"] ?? "")
        // The build waits for this lock, as it would for another worker's build of the same environment.
        let directory = NSTemporaryDirectory() + "proctor-server-" + UUID().uuidString
        let locks = directory + "/data/environments/.locks"
        try FileManager.default.createDirectory(atPath: locks, withIntermediateDirectories: true)
        let held = open(locks + "/" + EnvironmentFixture.identity(requirements) + ".build", O_RDWR | O_CREAT | O_CLOEXEC, 0o600)
        #expect(flock(held, LOCK_EX) == 0)
        try TestServer.makeCompetitions(in: directory + "/competitions") { try EnvironmentFixture.competition(in: $0, id: "pyenv", requirements: requirements) }
        let server = try await TestServer(directory: directory, configure: { $0.environments.wheelhouse = wheels.path })
        defer { Task { await server.stop() } }
        let client = try await server.client("ada")
        #expect(try await EnvironmentFixture.status(client, "pyenv")?["state"] as? String == "building")
        let job = try await EnvironmentFixture.submit(client, "pyenv", "python3 -c 'import proctorpkg; print(proctorpkg.VERSION)' > out.txt")
        #expect(job["warning"] == nil, "a node is building the environment: the job is expected to run")
        try await Task.sleep(for: .seconds(2))
        #expect(try await server.store.job(id: job["id"] as? String ?? "")?.state == .queued)
        close(held)
        let done = try await server.waitForEnd(client, job["id"] as? String ?? "", timeout: .seconds(180))
        #expect(done["state"] as? String == "succeeded", "\(done)")
        #expect(EnvironmentFixture.row(done)["solution"] as? String == "2.0")
    }

    @Test func aRemoteNodeReportsWhereEachEnvironmentStandsThereForAdminsToSee() async throws {
        let server = try await TestServer(slots: 0, extraCompetitions: { root in
            try EnvironmentFixture.competition(in: root, id: "pyenv-future", requirements: EnvironmentFixture.pin("1.0", String(repeating: "ab", count: 32)))
            // A Python this node does not have: the build fails at once, with no package index needed.
            let path = root + "/pyenv-future/competition.json"
            var manifest = try JSONDecoder().decode(CompetitionManifest.self, from: Data(contentsOf: URL(fileURLWithPath: path)))
            manifest.environment?.python = "3.99"
            try JSONEncoder().encode(manifest).write(to: URL(fileURLWithPath: path))
        })
        defer { Task { await server.stop() } }
        let worker = try await server.remoteWorker("node-env")
        defer { worker.cancel() }
        let admin = try await server.client("root", role: .admin)
        var reported: [String: Any]?
        for _ in 0..<150 where reported == nil {
            let nodes = try await admin.call(.GET, "/v1/admin/nodes").json?["nodes"] as? [[String: Any]] ?? []
            let node = nodes.first { $0["name"] as? String == "node-env" }
            reported = (node?["environments"] as? [String: [String: Any]])?["pyenv-future"]
            if reported?["state"] as? String != "failed" { reported = nil }
            try await Task.sleep(for: .milliseconds(100))
        }
        #expect((reported?["reason"] as? String)?.contains("Python 3.99 is not installed") == true, "\(String(describing: reported))")
        #expect(try await EnvironmentFixture.status(admin, "pyenv-future")?["state"] as? String == "failed")
        let listed = try await runToEnd(Built.proctor, ["admin", "nodes", "--data-dir", server.directory], environment: ["PATH": "/usr/bin:/bin"])
        #expect(listed.output.contains("node-env\tpyenv-future's environment: failed: Python 3.99"), "\(listed.output)")
    }

    @Test func aRootfsCompetitionRunsBothStagesOnItsOwnSystem() async throws {
        let server = try await TestServer { try EnvironmentFixture.rootfsCompetition(in: $0, id: "own-system") }
        defer { Task { await server.stop() } }
        let client = try await server.client("ada")
        let job = try await EnvironmentFixture.submit(client, "own-system", """
            . /etc/os-release
            if [ -e /usr/bin/python3 ]; then seen=host; else seen=own; fi
            echo "$ID $seen" > out.txt
            """)
        let done = try await server.waitForEnd(client, job["id"] as? String ?? "", timeout: .seconds(60))
        #expect(done["state"] as? String == "succeeded", "\(done)")
        #expect(EnvironmentFixture.row(done)["solution"] as? String == "proctor-rootfs own")
        #expect(EnvironmentFixture.row(done)["grader"] as? String == "proctor-rootfs", "the grade stage runs on the tree too")
    }

    @Test func environmentFetchFillsAWheelhouseThatANodeWithoutAPackageIndexBuildsFrom() async throws {
        // The fixture's wheels stand for the package index here.
        let index = try await EnvironmentFixture.wheelhouse()
        let requirements = EnvironmentFixture.pin("2.0", index.hashes["2.0"] ?? "")
        let directory = NSTemporaryDirectory() + "proctor-server-" + UUID().uuidString
        try TestServer.makeCompetitions(in: directory + "/competitions") { try EnvironmentFixture.competition(in: $0, id: "pyenv", requirements: requirements) }
        let wheelhouse = directory + "/wheelhouse"
        let fetched = try await runToEnd(Built.proctor, ["environment", "fetch", "--competitions", directory + "/competitions", "--wheelhouse", wheelhouse],
                                         environment: ["PATH": "/usr/bin:/bin", "PIP_NO_INDEX": "1", "PIP_FIND_LINKS": index.path],
                                         includingErrors: true)
        #expect(fetched.status == 0, "\(fetched.output)")
        #expect(fetched.output.contains("pyenv v1: wheels for Python \(EnvironmentFixture.python)"))
        #expect(try FileManager.default.contentsOfDirectory(atPath: wheelhouse) == ["proctorpkg-2.0-py3-none-any.whl"])

        let server = try await TestServer(directory: directory, configure: { $0.environments.wheelhouse = wheelhouse })
        defer { Task { await server.stop() } }
        let client = try await server.client("ada")
        let job = try await EnvironmentFixture.submit(client, "pyenv", "python3 -c 'import proctorpkg; print(proctorpkg.VERSION)' > out.txt")
        let done = try await server.waitForEnd(client, job["id"] as? String ?? "", timeout: .seconds(180))
        #expect(done["state"] as? String == "succeeded", "\(done)")
        #expect(EnvironmentFixture.row(done)["solution"] as? String == "2.0")
    }

    @Test func twoWorkersAskingForOneEnvironmentAtOnceBuildItOnce() async throws {
        let wheels = try await EnvironmentFixture.wheelhouse()
        let root = NSTemporaryDirectory() + "proctor-environments-" + UUID().uuidString
        let settings = EnvironmentSettings(wheelhouse: wheels.path)
        let logger = Logger(label: "test", factory: { _ in SwiftLogNoOpLogHandler() })
        let first = EnvironmentCache(root: root, sandbox: try Sandbox(), settings: settings, logger: logger)
        let second = EnvironmentCache(root: root, sandbox: try Sandbox(), settings: settings, logger: logger)
        let recipe = EnvironmentRecipe(python: EnvironmentFixture.python, requirements: EnvironmentFixture.pin("1.0", wheels.hashes["1.0"] ?? ""))
        async let a = first.prepare(recipe)
        async let b = second.prepare(recipe)
        let (one, two) = await (a, b)
        #expect(one == .ready && two == .ready, "\(one) \(two)")
        #expect(await first.buildsRun + second.buildsRun == 1)
        // Nothing half-built is left beside it.
        let entries = try FileManager.default.contentsOfDirectory(atPath: root).filter { !$0.hasPrefix(".locks") && !$0.hasPrefix(".sizes") && !$0.hasPrefix(".tools") }
        #expect(entries == [recipe.identity])
    }

    @Test func aBuildOverItsDiskLimitFailsWithTheReasonAndLeavesNothingBehind() async throws {
        // A package of 64 MiB, into a build allowed 48 MiB.
        let wheels = try await EnvironmentFixture.wheelhouse(padding: 64 << 20)
        let root = NSTemporaryDirectory() + "proctor-environments-" + UUID().uuidString
        let logger = Logger(label: "test", factory: { _ in SwiftLogNoOpLogHandler() })
        let cache = EnvironmentCache(root: root, sandbox: try Sandbox(),
                                     settings: EnvironmentSettings(wheelhouse: wheels.path, buildDisk: 48 << 20), logger: logger)
        let recipe = EnvironmentRecipe(python: EnvironmentFixture.python, requirements: EnvironmentFixture.pin("1.0", wheels.hashes["1.0"] ?? ""))
        let status = await cache.prepare(recipe)
        #expect(status.state == .failed)
        #expect(status.reason?.contains("disk limit") == true, "\(status)")
        #expect(!cache.isReady(recipe))
        let left = try FileManager.default.contentsOfDirectory(atPath: root).filter { $0.hasPrefix(".build-") || $0.count == 64 }
        #expect(left.isEmpty, "\(left)")
        // Remembered: asking again does not build again until the retry time.
        #expect(await cache.prepare(recipe) == status)
    }

    @Test func aKilledDownloadsStagingIsRemovedOnceItIsOld() throws {
        let old = WheelFetcher.stagingParent + "/proctor-fetch-test" + UUID().uuidString.prefix(6)
        let fresh = WheelFetcher.stagingParent + "/proctor-fetch-test" + UUID().uuidString.prefix(6)
        for path in [old, fresh] { try FileManager.default.createDirectory(atPath: path + "/wheels", withIntermediateDirectories: true) }
        defer { try? FileManager.default.removeItem(atPath: fresh) }
        var times = [timeval(tv_sec: time(nil) - 7200, tv_usec: 0), timeval(tv_sec: time(nil) - 7200, tv_usec: 0)]
        #expect(utimes(old, &times) == 0)
        WheelFetcher.removeStaleStaging(olderThan: 3600)
        #expect(!FileManager.default.fileExists(atPath: old), "a download older than any could last was left behind")
        #expect(FileManager.default.fileExists(atPath: fresh), "one that may still be running stays")
    }

    @Test func evictionUnderTheCapNeverRemovesAnEnvironmentInUse() async throws {
        let wheels = try await EnvironmentFixture.wheelhouse()
        let root = NSTemporaryDirectory() + "proctor-environments-" + UUID().uuidString
        let logger = Logger(label: "test", factory: { _ in SwiftLogNoOpLogHandler() })
        // A cap of one byte: every build wants all the others gone.
        let cache = EnvironmentCache(root: root, sandbox: try Sandbox(), settings: EnvironmentSettings(wheelhouse: wheels.path, cacheBytes: 1), logger: logger)
        func recipe(_ version: String, _ note: String = "") -> EnvironmentRecipe {
            EnvironmentRecipe(python: EnvironmentFixture.python, requirements: EnvironmentFixture.pin(version, wheels.hashes[version] ?? "") + note)
        }
        let inUse = recipe("1.0"), idle = recipe("2.0"), newest = recipe("1.0", "# another environment\n")
        #expect(await cache.prepare(inUse) == .ready)
        var lease = cache.acquire(inUse)
        #expect(lease != nil)
        #expect(await cache.prepare(idle) == .ready)
        #expect(cache.isReady(inUse), "a job holds it: it stays")
        #expect(cache.isReady(idle))
        #expect(await cache.prepare(newest) == .ready)
        #expect(cache.isReady(inUse), "a job still holds it: it stays")
        #expect(!cache.isReady(idle), "the least recently used idle environment goes")
        lease = nil  // the job ended
        #expect(await cache.prepare(idle) == .ready)
        #expect(!cache.isReady(inUse), "released, it may go")
        #expect(cache.acquire(inUse) == nil, "an evicted environment cannot be held")
    }

    /// The digits demo: real numpy and scikit-learn from the package index,
    /// fetched and built by the node, used by a solution and its grader.
    @Test(.enabled(if: ProcessInfo.processInfo.environment["PROCTOR_TEST_OFFLINE"] == nil,
                   "PROCTOR_TEST_OFFLINE is set: no package index to build the digits environment from"))
    func theExampleSolutionTrainsWithTheCompetitionsOwnScikitLearnAndScoresAbove90Percent() async throws {
        // The worker's directory is closed to others (0700): nobody, who downloads, works elsewhere.
        let directory = NSTemporaryDirectory() + "proctor-server-" + UUID().uuidString
        try TestServer.makeCompetitions(in: directory + "/competitions") { root in
            try FileManager.default.copyItem(atPath: Built.root + "/examples/competitions/digits", toPath: root + "/digits")
        }
        chmod(directory, 0o700)
        let server = try await TestServer(directory: directory)
        defer { Task { await server.stop() } }
        let client = try await server.client("ada")
        let solution = try Data(contentsOf: URL(fileURLWithPath: Built.root + "/examples/digits/solution.py"))
        let response = try await client.submit(competition: "digits", fileName: "solution.py", contents: solution)
        #expect(response.status == 201, "\(response.text)")
        let done = try await server.waitForEnd(client, response.json?["id"] as? String ?? "", timeout: .seconds(600))
        #expect(done["state"] as? String == "succeeded", "\(done)")
        #expect((done["score"] as? Double ?? 0) > 0.9)
        #expect(EnvironmentFixture.row(done)["numpy"] as? String == "1.26.4", "the grader's numpy is the environment's")
        // The node itself has no scikit-learn: the solution could only use the environment's.
        #expect(try await runToEnd("/usr/bin/python3", ["-c", "import sklearn"], includingErrors: true).status != 0)
        // The download's staging directory is gone.
        let staged = try FileManager.default.contentsOfDirectory(atPath: WheelFetcher.stagingParent).filter { $0.hasPrefix("proctor-fetch-") }
        #expect(staged.isEmpty, "\(staged)")
    }
}
