import ArgumentParser
import Foundation
import ProctorWorker

/// `proctor environment fetch`: fills a wheelhouse with every wheel the
/// competitions' environments pin, on a machine with a package index, so
/// that nodes without one build the same environments (`--wheelhouse`).
public struct EnvironmentCommand: AsyncParsableCommand {
    public static let configuration = CommandConfiguration(
        commandName: "environment", abstract: "Prepare competitions' environments for nodes.", subcommands: [Fetch.self])

    public init() {}

    struct Fetch: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "fetch",
            abstract: "Download the wheels of every competition's environment into a wheelhouse, for nodes without a package index.")

        @Option(help: "Directory holding one sub-directory per competition.") var competitions = "./examples/competitions"
        @Option(help: "The wheelhouse to fill (made if missing); give it to the nodes' --wheelhouse.") var wheelhouse: String
        @Option(help: "Seconds each competition's download may take.") var timeout = 1200.0

        func run() async throws {
            let catalog = CompetitionCatalog(root: absolutePath(competitions))
            let target = absolutePath(wheelhouse)
            try FileManager.default.createDirectory(atPath: target, withIntermediateDirectories: true)
            let scratch = NSTemporaryDirectory() + "proctor-fetch-" + UUID().uuidString
            try FileManager.default.createDirectory(atPath: scratch, withIntermediateDirectories: true)
            defer { try? FileManager.default.removeItem(atPath: scratch) }
            let fetcher = WheelFetcher(tools: scratch + "/tools", timeout: timeout, asNobody: false)
            var fetched = 0
            for competition in catalog.all {
                guard let recipe = competition.recipe else {
                    if competition.manifest.environment?.python != nil, let why = competition.disabledReason {
                        throw ValidationError("\(competition.id): \(why)")
                    }
                    continue
                }
                guard let python = recipe.interpreter else {
                    throw ValidationError("\(competition.id) needs Python \(recipe.python), which is not installed here; run this on a machine like the nodes")
                }
                let requirements = scratch + "/\(competition.id)-\(competition.version).txt"
                try recipe.requirements.write(toFile: requirements, atomically: true, encoding: .utf8)
                do {
                    try await fetcher.fetch(requirements: requirements, into: target, python: python, log: scratch + "/fetch.log")
                } catch {
                    throw ValidationError("\(competition.id) version \(competition.version): \(error)")
                }
                print("\(competition.id) v\(competition.version): wheels for Python \(recipe.python) in \(target)")
                fetched += 1
            }
            if fetched == 0 { print("no competition in \(absolutePath(competitions)) brings a Python environment") }
        }
    }
}
