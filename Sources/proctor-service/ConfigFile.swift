import Foundation
import ProctorSandbox
import ProctorServer
import Yams

/// `proctor serve --config FILE`: the options of `proctor serve` in a YAML
/// mapping, named as on the command line without the dashes (`port: 8080`,
/// `trusted-proxy: [10.0.0.0/8]`). Every key and value is checked when the
/// file is read; each mistake is named with its line, all at once.
struct ConfigFile {
    /// What a key holds, and what values it accepts.
    enum Kind {
        case text
        case integer(ClosedRange<Int>)
        case number(minimum: Double)
        case size
        case networks
    }

    static let keys: [String: Kind] = [
        "data-dir": .text, "database": .text, "competitions": .text, "host": .text, "port": .integer(0...65535),
        "slots": .integer(0...256), "first-slot": .integer(0...100_000), "max-queued": .integer(1...1_000_000), "max-running": .integer(1...10_000),
        "max-per-hour": .integer(1...1_000_000), "max-upload": .size, "retention-days": .number(minimum: 0),
        "history-days": .number(minimum: 0), "nvml": .text, "trusted-proxy": .networks,
        "max-in-flight": .integer(1...1_000_000), "max-connections": .integer(1...1_000_000), "unrunnable-after-minutes": .number(minimum: 1), "database-timeout": .number(minimum: 0.001), "tls-cert": .text, "tls-key": .text,
        "wheelhouse": .text, "environment-cache": .size,
    ]

    let path: String
    private var values: [String: Any] = [:]

    /// Reads and checks `path`.
    init(path: String) throws {
        self.path = path
        guard let text = try? String(contentsOfFile: path, encoding: .utf8) else {
            throw ConfigFileError(path: path, problems: ["cannot be read; give the path of a YAML file"])
        }
        let root: Node?
        do {
            root = try Yams.compose(yaml: text)
        } catch {
            throw ConfigFileError(path: path, problems: ["is not YAML: \(error)"])
        }
        guard let root else { return }
        guard let mapping = root.mapping else {
            throw ConfigFileError(path: path, problems: ["line \(Self.line(root)): must be a mapping of options, e.g. 'port: 8080'"])
        }
        var problems: [String] = []
        for (keyNode, valueNode) in mapping {
            let key = keyNode.string ?? "\(keyNode)"
            let at = "line \(Self.line(keyNode))"
            guard let kind = Self.keys[key] else {
                problems.append("\(at): unknown option '\(key)'; the options are \(Self.keys.keys.sorted().joined(separator: ", "))")
                continue
            }
            if let problem = check(key, kind, valueNode) { problems.append("\(at): \(problem)") }
        }
        guard problems.isEmpty else { throw ConfigFileError(path: path, problems: problems) }
    }

    /// Checks one value and keeps it; returns what is wrong with it, if anything.
    private mutating func check(_ key: String, _ kind: Kind, _ node: Node) -> String? {
        let scalar = node.scalar?.string
        switch kind {
        case .text:
            guard let scalar, !scalar.isEmpty else { return "'\(key)' must be a text" }
            values[key] = scalar
        case .integer(let range):
            guard let scalar, let value = Int(scalar), range.contains(value) else {
                return "'\(key)' must be a whole number from \(range.lowerBound) to \(range.upperBound), not '\(scalar ?? "a list")'"
            }
            values[key] = value
        case .number(let minimum):
            guard let scalar, let value = Double(scalar), value.isFinite, value >= minimum else {
                return "'\(key)' must be a number of at least \(minimum), not '\(scalar ?? "a list")'"
            }
            values[key] = value
        case .size:
            guard let scalar, (try? Quantity.bytes(scalar, option: key)) != nil else {
                return "'\(key)' must be a size such as 512K, 1M or 2G, not '\(scalar ?? "a list")'"
            }
            values[key] = scalar
        case .networks:
            let items = node.sequence.map { $0.compactMap(\.string) } ?? scalar.map { [$0] } ?? []
            guard !items.isEmpty else { return "'\(key)' must be an address or network, or a list of them" }
            if let bad = items.first(where: { IPNetwork($0) == nil }) {
                return "'\(key)': '\(bad)' is not an address or network, e.g. 10.0.0.0/8, 192.0.2.7 or fd00::/8"
            }
            values[key] = items
        }
        return nil
    }

    /// The file's value for `key`, if it sets one.
    func value<T>(_ key: String, as type: T.Type = T.self) -> T? {
        values[key] as? T
    }

    /// All keys the file sets.
    var keysSet: [String] { values.keys.sorted() }

    private static func line(_ node: Node) -> Int { (node.mark?.line ?? 0) }
}

/// What is wrong with a configuration file, each problem with its line.
struct ConfigFileError: Error, CustomStringConvertible {
    var path: String
    var problems: [String]
    var description: String {
        "the configuration file \(path) is not valid:\n" + problems.map { "  \($0)" }.joined(separator: "\n")
    }
}
