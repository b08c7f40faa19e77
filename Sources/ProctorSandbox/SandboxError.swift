/// Why a sandbox run could not be started. A run that started always ends in a
/// ``RunReport`` instead, whatever the program did.
public enum SandboxError: Error, Equatable, CustomStringConvertible {
    /// The spec or a command-line value is wrong; the message says what to change.
    case invalidSpec(String)
    /// The machine cannot host the run (no cgroups, helper missing, slot busy…).
    case unavailable(String)

    public var description: String {
        switch self {
        case .invalidSpec(let message), .unavailable(let message): message
        }
    }
}
