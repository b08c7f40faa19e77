import Foundation
import ProctorWorker
import Testing

/// Loading competitions: data files are verified against their checksums,
/// unchanged files are not read again (across restarts, through the hash
/// cache), and a reload takes in what changed.
@Suite struct CompetitionCatalogTests {
    /// A competition directory with one data file, and its manifest naming the file's checksum.
    func makeCompetition(in root: String, id: String, data: String) throws {
        let directory = root + "/" + id
        try FileManager.default.createDirectory(atPath: directory + "/public", withIntermediateDirectories: true)
        try data.write(toFile: directory + "/public/train.csv", atomically: true, encoding: .utf8)
        let sum = try #require(CompetitionCatalog.sha256(path: directory + "/public/train.csv"))
        let manifest = """
            {"id": "\(id)", "version": "1", "title": "\(id)", "accepted_files": ["solution.py"], "run": ["python3", "solution.py"],
             "grade": ["python3", "/grader/grade.py"], "output_file": "out.txt", "files": {"public/train.csv": "\(sum)"}}
            """
        try manifest.write(toFile: directory + "/competition.json", atomically: true, encoding: .utf8)
    }

    @Test func unchangedDataIsNotHashedAgainAcrossRestartsAndAReloadSeesChanges() throws {
        let root = NSTemporaryDirectory() + "proctor-catalog-" + UUID().uuidString
        let cache = root + ".hashes.json"
        try makeCompetition(in: root, id: "alpha", data: "a,b\n1,2\n")
        let first = CompetitionCatalog(root: root, hashCache: cache)
        #expect(first.enabledIDs == ["alpha"])
        #expect(first.filesHashed == 1)
        // A restart: the cache remembers the file.
        let restarted = CompetitionCatalog(root: root, hashCache: cache)
        #expect(restarted.enabledIDs == ["alpha"])
        #expect(restarted.filesHashed == 0)

        // A new competition appears and alpha's data is corrupted (same size): a reload takes both in.
        try makeCompetition(in: root, id: "beta", data: "x\n")
        try "a,b\n9,9\n".write(toFile: root + "/alpha/public/train.csv", atomically: true, encoding: .utf8)
        let enabled = restarted.reload()
        #expect(enabled == ["beta"])
        #expect(restarted.disabledReason("alpha")?.contains("does not match its checksum") == true)
        #expect(restarted.filesHashed == 2)
        // Nothing changed since: a second reload reads nothing.
        restarted.reload()
        #expect(restarted.filesHashed == 2)
    }
}
