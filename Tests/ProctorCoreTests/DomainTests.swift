import Foundation
import ProctorCore
import Testing

/// The pure domain: states, identifiers, results files, queue estimates and manifests.
@Suite struct DomainTests {
    @Test func terminalStatesHaveNoWayOut() {
        for state in JobState.allCases where state.isTerminal {
            #expect(state.successors.isEmpty)
        }
        #expect(JobState.queued.canMove(to: .leased))
        #expect(!JobState.queued.canMove(to: .succeeded))
        #expect(JobState.running.canMove(to: .queued))  // an infrastructure retry
        #expect(!JobState.succeeded.canMove(to: .running))
    }

    @Test(arguments: ["../x", "a/b", ".hidden", "", "a\u{0}b", "a\nb", String(repeating: "x", count: 200), "..", "c\\d"])
    func unsafeFileNamesAreRefused(name: String) {
        #expect(!Identifier.isSafeFileName(name))
    }

    @Test func identifiersAreStrict() {
        #expect(Identifier.isSafeFileName("solution.py"))
        #expect(Identifier.isCompetitionID("iris-2"))
        for bad in ["Iris", "-iris", "iris 2", "../etc", "x' OR 1=1", "", String(repeating: "a", count: 64)] {
            #expect(!Identifier.isCompetitionID(bad), "\(bad)")
        }
        #expect(Identifier.isJobID("0e3a3d72-e4e9-4877-914c-2b4302911118"))
        #expect(!Identifier.isJobID("0E3A3D72-E4E9-4877-914C-2B4302911118"))
        #expect(!Identifier.isJobID("../../etc/passwd"))
    }

    @Test func resultsFilesAreValidatedWithReasons() {
        func parse(_ text: String) -> Result<(score: Double, lines: [JSONValue]), JobError> { ResultsFile.parse(Array(text.utf8)) }
        guard case .success(let ok) = parse("{\"score\": 0.5}\r\n{\"class\": \"a\"}\n") else { Issue.record("valid file refused"); return }
        #expect(ok.score == 0.5 && ok.lines.count == 2)
        for (text, reason) in [("", "empty"), ("not json", "not a JSON object"), ("[1]", "not a JSON object"),
                               ("{\"x\": 1}", "no line"), ("{\"score\": \"high\"}", "finite"), ("{\"score\": 1e999}", "line 1")] {
            guard case .failure(let error) = parse(text) else { Issue.record("\(text) accepted"); continue }
            #expect(error.type == .invalidResults && error.fault == .grader)
            #expect(error.message.contains(reason), "\(text): \(error.message)")
        }
        #expect((try? parse(String(repeating: "{\"score\": 1}\n", count: 1001)).get()) == nil)
    }

    @Test func queuePositionsFollowRoundRobin() {
        // Alice has 3 queued, Bob 1: Bob's job waits behind one of Alice's.
        #expect(QueueEstimate.position(rank: 0, otherUsersQueued: [3]) == 1)
        #expect(QueueEstimate.position(rank: 2, otherUsersQueued: [1]) == 3)
        #expect(QueueEstimate.position(rank: 0, otherUsersQueued: []) == 0)
        #expect(QueueEstimate.wait(position: 3, slots: 2, averageSeconds: 10) == 20)
    }

    @Test func manifestProblemsAreSpelledOut() {
        var manifest = CompetitionManifest(id: "Bad Id", version: "1", title: "t", acceptedFiles: ["../s.py"], run: [], grade: ["g"],
                                           outputFile: "out/x", files: ["../escape": "abc"])
        let problems = manifest.problems().joined(separator: " | ")
        for needle in ["id 'Bad Id'", "accepted_files", "run must", "output_file", "relative path", "64 lower-case hex"] {
            #expect(problems.contains(needle), "\(needle) missing in \(problems)")
        }
        manifest = CompetitionManifest(id: "ok", version: "1", title: "t", acceptedFiles: ["s.py"], run: ["r"], grade: ["g"], outputFile: "o", files: [:])
        #expect(manifest.problems().isEmpty)
    }

    @Test func jobErrorsSayWhoseFaultTheyAre() {
        #expect(JobError(.missingOutput, "x").fault == .solution)
        #expect(JobError(.graderFailed, "x").fault == .grader)
        #expect(JobError(.infrastructure, "x").fault == .infrastructure)
        #expect(Array("ab".utf8).hexString == "6162")
    }
}
