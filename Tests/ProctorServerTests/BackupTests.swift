import Foundation
import ProctorClient
import ProctorServer
import ProctorStore
import Testing

/// Backups an operator can trust: taken while the service takes submissions,
/// restored into a new data directory that serves every acknowledged job;
/// a damaged database is refused at start with what to do.
@Suite struct BackupTests {
    static let binary = Built.proctor

    func serve(_ directory: String, data: String) async throws -> ServedProcess {
        try await ServedProcess.start(["--data-dir", data, "--competitions", directory + "/competitions", "--slots", "0"])
    }

    @Test func aBackupTakenUnderSubmissionsRestoresEveryAcknowledgedJob() async throws {
        let directory = NSTemporaryDirectory() + "proctor-backup-" + UUID().uuidString
        try TestServer.makeCompetitions(in: directory + "/competitions", extra: { _ in })
        try FileManager.default.createDirectory(atPath: directory + "/data", withIntermediateDirectories: true)
        let issued = try await TokenIssuer(store: try await JobStore(sqlitePath: directory + "/data/proctor.sqlite"))
            .issue(user: "alice", role: .user, label: "", expiresIn: nil)
        let server = try await serve(directory, data: directory + "/data")
        defer { server.terminate() }
        let alice = ProctorClient(server: server.url, token: issued.text)
        func submit() async throws -> String? {
            let submitted = try? await alice.submit(competition: "shell", fileName: "solution.sh", contents: Data("echo 1 > out.txt".utf8))
            return submitted?.status == 201 ? submitted?.json?["id"] as? String : nil
        }
        var acknowledged: [String] = []
        for _ in 0..<200 where acknowledged.count < 10 {
            if let id = try? await submit() { acknowledged.append(id) } else { try await Task.sleep(for: .milliseconds(50)) }
        }
        #expect(acknowledged.count == 10)

        // Submissions keep coming while the backup runs.
        let more = Task { for _ in 0..<20 { _ = try? await submit() } }
        let backup = try await runToEnd(Self.binary, ["admin", "backup", "--data-dir", directory + "/data", "--to", directory + "/backup"])
        #expect(backup.status == 0, "\(backup.output)")
        _ = await more.value
        try await server.stop()

        let restore = try await runToEnd(Self.binary, ["admin", "restore", "--from", directory + "/backup", "--data-dir", directory + "/restored"])
        #expect(restore.status == 0, "\(restore.output)")
        #expect(restore.output.contains("proctor serve --data-dir"))
        let restored = try await serve(directory, data: directory + "/restored")
        defer { restored.terminate() }
        let again = ProctorClient(server: restored.url, token: issued.text)
        var found = 0
        for id in acknowledged {
            for _ in 0..<100 {
                if let state = try? await again.call(.GET, "/v1/jobs/\(id)").json?["state"] as? String {
                    #expect(state == "queued")
                    found += 1
                    break
                }
                try await Task.sleep(for: .milliseconds(50))
            }
            #expect(FileManager.default.fileExists(atPath: directory + "/restored/jobs/\(id)"))
        }
        #expect(found == acknowledged.count)
        // A restore never overwrites a database.
        let twice = try await runToEnd(Self.binary, ["admin", "restore", "--from", directory + "/backup", "--data-dir", directory + "/restored"])
        #expect(twice.status != 0)
    }

    @Test func aDamagedDatabaseIsRefusedAtStartWithWhatToDo() async throws {
        let directory = NSTemporaryDirectory() + "proctor-damaged-" + UUID().uuidString
        try TestServer.makeCompetitions(in: directory + "/competitions", extra: { _ in })
        try FileManager.default.createDirectory(atPath: directory + "/data", withIntermediateDirectories: true)
        let path = directory + "/data/proctor.sqlite"
        // Filled, then closed (which folds the write-ahead log into the file).
        func fill() async throws {
            let store = try await JobStore(sqlitePath: path)
            for i in 0..<300 { _ = try await store.createUser(name: "user-\(i)", at: Date()) }
        }
        try await fill()
        // Overwrite pages in the middle of the file, as a failing disk would.
        let file = try FileHandle(forUpdating: URL(fileURLWithPath: path))
        let size = try file.seekToEnd()
        try file.seek(toOffset: size / 2)
        try file.write(contentsOf: Data(repeating: 0xA5, count: 8192))
        try file.close()

        let (status, said) = try await runToEnd(Self.binary, [
            "serve", "--data-dir", directory + "/data", "--competitions", directory + "/competitions", "--port", "0", "--slots", "0",
        ], includingErrors: true)
        #expect(status != 0)
        #expect(said.contains("is damaged") && said.contains("proctor admin restore"), "\(said)")
    }
}
