import Foundation
import ProctorNode
import ProctorServer
import ProctorStore

/// What `proctor serve --demo` gives a newcomer: a token for a user `demo`,
/// printed once on standard output (never logged), and the lines to paste.
enum DemoAccess {
    static let user = "demo"
    static let label = "proctor serve --demo"

    /// Revokes the earlier demo tokens and issues a fresh one, valid for a week.
    static func issue(store: JobStore) async throws -> String {
        let now = Date()
        if let existing = try await store.user(named: user) {
            for token in try await store.tokens(userID: existing.id) where token.label == label && token.revokedAt == nil {
                _ = try await store.revokeToken(id: token.id, at: now)
            }
        }
        return try await TokenIssuer(store: store).issue(user: user, role: .user, label: label, expiresIn: 7 * 86400).text
    }

    /// The lines to paste into another shell to submit the example solution.
    static func instructions(server: String, token: String, competitions: [String]) -> String {
        // The small `proctor` beside this binary (this process's own name is always "proctor").
        let beside = URL(fileURLWithPath: "/proc/self/exe").resolvingSymlinksInPath().deletingLastPathComponent().appendingPathComponent("proctor").path
        let binary = FileManager.default.isExecutableFile(atPath: beside) ? beside : "proctor"
        let example = competitions.contains("iris") ? "iris" : competitions.first ?? "iris"
        let sample = "examples/\(example)/solution.py"
        let file = FileManager.default.fileExists(atPath: sample) ? sample : "YOUR_SOLUTION_FILE"
        return """

            Proctor is serving at \(server) with the competitions: \(competitions.joined(separator: ", ")).
            A token for the user 'demo' (valid 7 days; the next --demo start revokes it). In another shell:

              export PROCTOR_SERVER=\(server) PROCTOR_TOKEN=\(token)
              \(binary) competitions
              \(binary) submit --competition \(example) --wait \(file)

            Or open \(server)/ in a browser and sign in with that token.
            Stop the server with Ctrl-C.

            """
    }
}
