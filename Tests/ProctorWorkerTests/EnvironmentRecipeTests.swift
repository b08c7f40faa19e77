import Foundation
import ProctorWorker
import Testing

/// What a competition's `environment` may say: every requirement pinned with
/// a hash, no option that reaches past the node's choice of package source,
/// a Python version, paths inside the competition. Anything else disables
/// the competition with a sentence the operator can act on.
@Suite struct EnvironmentRecipeTests {
    /// A competition whose `environment` is `environment` (JSON), with `requirements` written beside it.
    func load(environment: String, requirements: String? = nil) throws -> Competition? {
        let root = NSTemporaryDirectory() + "proctor-recipe-" + UUID().uuidString
        let directory = root + "/pyenv"
        try FileManager.default.createDirectory(atPath: directory + "/environment", withIntermediateDirectories: true)
        if let requirements { try requirements.write(toFile: directory + "/environment/requirements.txt", atomically: true, encoding: .utf8) }
        let manifest = """
            {"id": "pyenv", "version": "1", "title": "pyenv", "accepted_files": ["solution.py"], "run": ["python3", "solution.py"],
             "grade": ["python3", "/grader/grade.py"], "output_file": "out.txt", "files": {}, "environment": \(environment)}
            """
        try manifest.write(toFile: directory + "/competition.json", atomically: true, encoding: .utf8)
        return CompetitionCatalog(root: root).all.first
    }

    static let hash = String(repeating: "ab", count: 32)
    static let environment = #"{"python": "3.11", "requirements": "environment/requirements.txt"}"#

    @Test func aFullyPinnedFileGivesARecipeWhoseIdentityFollowsItsText() throws {
        let text = "# made by uv\nnumpy==1.26.4 \\\n    --hash=sha256:\(Self.hash) \\\n    --hash=sha256:\(Self.hash)\nsix==1.17.0 --hash=sha256:\(Self.hash)  # inline\n"
        let competition = try #require(try load(environment: Self.environment, requirements: text))
        #expect(competition.isEnabled, "\(competition.disabledReason ?? "")")
        let recipe = try #require(competition.recipe)
        #expect(recipe.python == "3.11")
        #expect(recipe.identity.count == 64)
        #expect(recipe.identity == EnvironmentRecipe(python: "3.11", requirements: text).identity)
        #expect(recipe.identity != EnvironmentRecipe(python: "3.12", requirements: text).identity, "another interpreter is another environment")
        #expect(recipe.identity != EnvironmentRecipe(python: "3.11", requirements: text + "\n").identity)
        #expect(recipe.identity != EnvironmentRecipe(python: "3.11", requirements: text, platform: "linux-aarch64").identity)
    }

    @Test(arguments: [
        ("numpy>=1.26 --hash=sha256:\(hash)\n", "not pinned"),
        ("numpy==1.26.4\n", "--hash=sha256"),
        ("--index-url https://evil.example/simple\nnumpy==1.26.4 --hash=sha256:\(hash)\n", "--index-url"),
        ("-r other.txt\n", "-r"),
        ("-e git+https://example.com/x.git\n", "-e"),
        ("# nothing but a comment\n", "lists no package"),
    ])
    func anUnpinnedOrOptionBearingFileDisablesTheCompetitionSayingWhy(requirements: String, expected: String) throws {
        let competition = try #require(try load(environment: Self.environment, requirements: requirements))
        #expect(!competition.isEnabled)
        #expect(competition.recipe == nil)
        #expect(competition.disabledReason?.contains(expected) == true, "\(competition.disabledReason ?? "")")
    }

    @Test(arguments: [
        (#"{"python": "3.11"}"#, "either"),
        (#"{"python": "3.11", "requirements": "r.txt", "rootfs": "rootfs"}"#, "either"),
        (#"{"python": "three", "requirements": "environment/requirements.txt"}"#, "major.minor"),
        (#"{"python": "3.11", "requirements": "../outside.txt"}"#, "relative path"),
        (#"{"python": "3.11", "requirements": "/etc/passwd"}"#, "relative path"),
        (#"{"python": "3.11", "requirements": "environment/missing.txt"}"#, "missing"),
        (#"{"rootfs": "rootfs"}"#, "no usr/"),
    ])
    func aBadDeclarationDisablesTheCompetitionSayingWhy(environment: String, expected: String) throws {
        let competition = try #require(try load(environment: environment))
        #expect(!competition.isEnabled)
        #expect(competition.disabledReason?.contains(expected) == true, "\(competition.disabledReason ?? "")")
    }
}
