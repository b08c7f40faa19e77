/// A host path made visible inside the sandbox: read-only unless asked otherwise.
public struct BindMount: Codable, Sendable, Equatable {
    /// Absolute path on the host; must exist.
    public var source: String
    /// Absolute path inside the sandbox.
    public var destination: String
    /// Whether the program may write through the mount.
    public var writable: Bool

    public init(source: String, destination: String, writable: Bool = false) {
        self.source = source
        self.destination = destination
        self.writable = writable
    }

    /// Parses the command-line form `SRC:DST` or `SRC:DST:rw` (or `:ro`).
    public init(parsing text: String) throws {
        let parts = text.split(separator: ":", omittingEmptySubsequences: false).map(String.init)
        guard parts.count == 2 || (parts.count == 3 && (parts[2] == "rw" || parts[2] == "ro")) else {
            throw SandboxError.invalidSpec("--bind takes SRC:DST or SRC:DST:rw; '\(text)' is not of that form")
        }
        self.init(source: parts[0], destination: parts[1], writable: parts.count == 3 && parts[2] == "rw")
    }
}
