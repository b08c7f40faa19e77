/// The software a competition brings, as `competition.json` declares it under
/// `environment`: a Python version with fully pinned requirements (a virtual
/// environment each node builds once), or a system tree of its own.
public struct EnvironmentDeclaration: Codable, Sendable, Equatable {
    /// The interpreter's `major.minor` version, such as `"3.11"`.
    public var python: String?
    /// The requirements file, relative to the competition's directory, every
    /// line pinned with `--hash=sha256:…` (pip's `--require-hashes` form).
    public var requirements: String?
    /// A directory, relative to the competition's directory, holding another
    /// system (`usr/`, `lib/`, `etc/`…): a distribution tree or an unpacked OCI image.
    public var rootfs: String?

    public init(python: String? = nil, requirements: String? = nil, rootfs: String? = nil) {
        self.python = python
        self.requirements = requirements
        self.rootfs = rootfs
    }

    /// Problems with the declaration, each a sentence an operator can act on.
    public func problems() -> [String] {
        var problems: [String] = []
        switch (python, requirements, rootfs) {
        case (.some, .some, nil), (nil, nil, .some): break
        default:
            problems.append("environment takes either {\"python\": \"3.11\", \"requirements\": \"environment/requirements.txt\"} or {\"rootfs\": \"rootfs\"}")
        }
        if let python, !Self.isPythonVersion(python) {
            problems.append("environment.python '\(python)' must be a version such as 3.11 (major.minor)")
        }
        for (key, path) in [("requirements", requirements), ("rootfs", rootfs)] {
            guard let path else { continue }
            if !Self.isRelativePath(path) {
                problems.append("environment.\(key) '\(path)' must be a relative path inside the competition directory")
            }
        }
        return problems
    }

    /// `3.11`: a major version of one digit and a minor of one or two.
    static func isPythonVersion(_ text: String) -> Bool {
        let parts = text.split(separator: ".", omittingEmptySubsequences: false)
        guard parts.count == 2, parts[0].count == 1, (1...2).contains(parts[1].count) else { return false }
        return parts.allSatisfy { $0.allSatisfy(\.isASCII) && $0.allSatisfy(\.isNumber) }
    }

    /// A path with no leading `/`, no empty, `.` or `..` part and no control character.
    static func isRelativePath(_ path: String) -> Bool {
        let trimmed = path.hasSuffix("/") ? String(path.dropLast()) : path
        guard !trimmed.isEmpty, !trimmed.hasPrefix("/"), trimmed.utf8.count <= 255 else { return false }
        guard !trimmed.unicodeScalars.contains(where: { $0.value < 0x20 || $0.value == 0x7f }) else { return false }
        return trimmed.split(separator: "/", omittingEmptySubsequences: false).allSatisfy { !$0.isEmpty && $0 != "." && $0 != ".." }
    }
}
