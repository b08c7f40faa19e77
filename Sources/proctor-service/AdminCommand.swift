import ArgumentParser
import Foundation
import ProctorCore
import ProctorServer
import ProctorStore

/// `proctor admin …`: operator commands that work on the data directory directly.
struct AdminCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "admin", abstract: "Manage users, tokens and nodes; back up and restore.",
        subcommands: [TokenCommand.self, NodesCommand.self, BackupCommand.self, RestoreCommand.self])

    /// `proctor admin nodes [drain|resume NAME]`: the worker nodes, straight from the store.
    struct NodesCommand: AsyncParsableCommand {
        static let configuration = CommandConfiguration(commandName: "nodes", abstract: "List worker nodes; drain or resume one.")
        @Option(help: "Data directory of the server.") var dataDir = "./data"
        @Option(help: "The server's database URL, if not SQLite (default: $PROCTOR_DATABASE).") var database: String?
        @Argument(help: "drain or resume (omit to list).") var action: String?
        @Argument(help: "The node's name.") var name: String?

        func run() async throws {
            let store = try await StoreLocation(database ?? ProcessInfo.processInfo.environment["PROCTOR_DATABASE"], dataDirectory: dataDir).open()
            switch (action, name) {
            case (nil, _):
                for node in try await store.nodes() {
                    let labels = node.labels.sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value)" }.joined(separator: " ")
                    print("\(node.name)\t\(node.status(at: Date(), timeout: 60))\t\(node.slots) slots\t\(node.infrastructureFailures) infra failures\tlast seen \(node.lastSeen)\t\(labels)")
                    for (competition, status) in node.environments.sorted(by: { $0.key < $1.key }) {
                        print("\(node.name)\t\(competition)'s environment: \(status)")
                    }
                }
                for streak in try await store.graderStreaks() where streak.failures > 0 {
                    print("\(streak.node)\t\(streak.competitionID)'s grader failed \(streak.failures) times in a row: \(streak.reason)")
                }
            case ("drain", let name?), ("resume", let name?):
                guard let node = try await store.setNodeState(name: name, action == "drain" ? .draining : .active) else {
                    throw ValidationError("no node '\(name)' has contacted the service")
                }
                print("\(node.name) is \(node.state.rawValue)")
            default:
                throw ValidationError("use 'proctor admin nodes', 'proctor admin nodes drain NAME' or 'proctor admin nodes resume NAME'")
            }
        }
    }

    struct TokenCommand: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "token", abstract: "Create, list and revoke tokens.", subcommands: [Create.self, List.self, Revoke.self])
    }

    struct Create: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Create a token (printed once; only its hash is kept).")
        @Option(help: "Data directory of the server.") var dataDir = "./data"
        @Option(help: "The server's database URL, if not SQLite (default: $PROCTOR_DATABASE).") var database: String?
        @Option(help: "User name (created if new).") var user: String
        @Option(help: "user, admin or worker.") var role = "user"
        @Option(help: "Days until it expires (default: never).") var expiresInDays: Double?
        @Option(help: "A note to recognise it by.") var label = ""

        func run() async throws {
            guard let role = Role(rawValue: role) else { throw ValidationError("--role must be user, admin or worker") }
            guard User.isValidName(user) else { throw ValidationError("--user must match [a-z0-9][a-z0-9._-]{0,63}") }
            if let days = expiresInDays, !(days.isFinite && days > 0) { throw ValidationError("--expires-in-days must be positive") }
            let store = try await StoreLocation(database ?? ProcessInfo.processInfo.environment["PROCTOR_DATABASE"], dataDirectory: dataDir).open()
            let issued = try await TokenIssuer(store: store).issue(user: user, role: role, label: label, expiresIn: expiresInDays.map { $0 * 86400 })
            print(issued.text)
        }
    }

    struct List: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "List tokens (never their text).")
        @Option(help: "Data directory of the server.") var dataDir = "./data"
        @Option(help: "The server's database URL, if not SQLite (default: $PROCTOR_DATABASE).") var database: String?

        func run() async throws {
            let store = try await StoreLocation(database ?? ProcessInfo.processInfo.environment["PROCTOR_DATABASE"], dataDirectory: dataDir).open()
            for token in try await store.tokens(userID: nil) {
                let user = try await store.user(id: token.userID)?.name ?? "?"
                let state = token.revokedAt != nil ? "revoked" : token.isUsable(at: Date()) ? "active" : "expired"
                print("\(token.id)\t\(user)\t\(token.role.rawValue)\t\(state)\t\(token.label)")
            }
        }
    }

    struct Revoke: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Revoke a token by id.")
        @Option(help: "Data directory of the server.") var dataDir = "./data"
        @Option(help: "The server's database URL, if not SQLite (default: $PROCTOR_DATABASE).") var database: String?
        @Argument(help: "The token id (see 'proctor admin token list').") var id: Int64

        func run() async throws {
            let store = try await StoreLocation(database ?? ProcessInfo.processInfo.environment["PROCTOR_DATABASE"], dataDirectory: dataDir).open()
            guard try await store.revokeToken(id: id, at: Date()) else { throw ValidationError("no active token \(id)") }
            print("revoked token \(id)")
        }
    }
}
