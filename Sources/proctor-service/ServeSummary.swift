import Foundation
import ProctorServer

/// What `proctor serve --check-config` says of a valid configuration: what
/// would be served, and where each setting came from.
enum ServeSummary {
    static func describe(_ configuration: ServerConfiguration, database: String?, file: ConfigFile?) -> String {
        var lines = ["the configuration is valid" + (file.map { " (\($0.path) sets \($0.keysSet.joined(separator: ", ")))" } ?? "") + ":"]
        lines.append("  listen on \(configuration.tls == nil ? "http" : "https")://\(configuration.host):\(configuration.port)")
        lines.append("  data in \(configuration.dataDirectory), database: \(database.map { _ in "PostgreSQL" } ?? "SQLite in the data directory")")
        lines.append("  competitions from \(configuration.competitionsDirectory); local worker slots: \(configuration.localSlots)")
        let quotas = configuration.quotas
        lines.append("  per user: \(quotas.maxQueued) queued, \(quotas.maxRunning) running, \(quotas.submissionsPerWindow) submissions an hour")
        lines.append("  at most \(configuration.maxInFlight) requests at once; trusted proxies: "
                     + (configuration.trustedProxies.isEmpty ? "none" : configuration.trustedProxies.map(\.description).joined(separator: ", ")))
        return lines.joined(separator: "\n")
    }
}
