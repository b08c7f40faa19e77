import Crypto
import ProctorCore

import Foundation

/// A Python environment as a node builds it: the interpreter version, the
/// pinned requirements and the node's platform. Its identity, the SHA-256 of
/// all three, names it in the node's cache, so competitions that pin the same
/// software share one build and any change to it is a new environment.
public struct EnvironmentRecipe: Sendable, Hashable {
    /// `major.minor`, such as `3.11`.
    public var python: String
    /// The requirements file's text, every requirement pinned with hashes.
    public var requirements: String
    /// Hex SHA-256 of the interpreter version, the platform and the requirements.
    public var identity: String

    public init(python: String, requirements: String, platform: String = EnvironmentRecipe.platform) {
        self.python = python
        self.requirements = requirements
        var hasher = SHA256()
        hasher.update(data: Data("python \(python)\nplatform \(platform)\n".utf8))
        hasher.update(data: Data(requirements.utf8))
        identity = hasher.finalize().hexString
    }

    /// `linux-x86_64`, `linux-aarch64`: wheels built for one do not run on another.
    public static let platform: String = {
        var names = utsname()
        uname(&names)
        let machine = withUnsafeBytes(of: names.machine) { String(decoding: $0.prefix { $0 != 0 }, as: UTF8.self) }
        return "linux-" + machine
    }()

    /// Where interpreters are looked for, in order; both are visible in the sandbox.
    public static let interpreterDirectories = ["/usr/bin", "/usr/local/bin"]

    /// This machine's interpreter of the recipe's version, if it has one.
    public var interpreter: String? {
        Self.interpreterDirectories.map { "\($0)/python\(python)" }.first { FileManager.default.isExecutableFile(atPath: $0) }
    }

    /// The requirements file may hold at most this many bytes.
    static let maximumRequirementsSize = 1 << 20

    /// Reads the requirements file at `path` and checks that it pins every
    /// requirement with hashes; the error is a sentence for the operator.
    static func load(python: String, requirementsPath path: String) -> Result<EnvironmentRecipe, EnvironmentProblem> {
        guard let data = FileManager.default.contents(atPath: path), data.count <= maximumRequirementsSize,
            let text = String(data: data, encoding: .utf8)
        else { return .failure(EnvironmentProblem("the requirements file \(path) is missing, unreadable or over 1 MiB")) }
        if let problem = problems(inRequirements: text).first { return .failure(EnvironmentProblem(problem)) }
        return .success(EnvironmentRecipe(python: python, requirements: text))
    }

    /// Why `text` is not a fully pinned requirements file (pip's `--require-hashes`
    /// form, as `uv pip compile --generate-hashes` writes it); empty when it is one.
    static func problems(inRequirements text: String) -> [String] {
        var problems: [String] = []
        var logical: [String] = [], current = ""
        for line in text.split(separator: "\n", omittingEmptySubsequences: false) {
            // A comment starts a line or follows a space.
            var part = line.trimmingCharacters(in: .whitespaces)
            if part.hasPrefix("#") { part = "" } else if let comment = part.range(of: " #") { part = String(part[..<comment.lowerBound]) }
            part = part.trimmingCharacters(in: .whitespaces)
            if part.hasSuffix("\\") {
                current += part.dropLast() + " "
                continue
            }
            current += part
            if !current.trimmingCharacters(in: .whitespaces).isEmpty { logical.append(current.trimmingCharacters(in: .whitespaces)) }
            current = ""
        }
        if logical.isEmpty { problems.append("the requirements file lists no package") }
        for requirement in logical {
            let name = requirement.prefix { !$0.isWhitespace }
            if requirement.hasPrefix("-") {
                problems.append("requirements: '\(name)' is not allowed; the node chooses where packages come from, and every line must be a pinned package")
            } else if !name.contains("==") {
                problems.append("requirements: '\(name)' is not pinned; write name==version with its hashes")
            } else if !requirement.contains("--hash=sha256:") {
                problems.append("requirements: '\(name)' has no --hash=sha256:…; generate the file with 'uv pip compile --generate-hashes' or 'pip-compile --generate-hashes'")
            }
        }
        return problems
    }
}

/// Why an environment cannot be had on this node, in words an operator can act on.
public struct EnvironmentProblem: Error, Sendable, Equatable, CustomStringConvertible {
    public var description: String
    public init(_ description: String) { self.description = description }
}
