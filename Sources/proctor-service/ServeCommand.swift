import ArgumentParser
import ProctorNode
import Foundation
import Logging
import ProctorGPU
import ProctorSandbox
import ProctorServer
import ProctorStore
import ProctorWorker

/// `proctor serve`: the whole service on one machine.
struct ServeCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "serve", abstract: "Run the job service: HTTP API, fair queue and a local worker.")

    @Option(help: "A configuration file: YAML, the options below without the dashes (port: 8080); options given here override it.")
    var config: String?
    @Flag(help: "Check the configuration file and the options, say what is wrong or what would be served, and exit.") var checkConfig = false
    @Option(help: "Directory for job files (and the SQLite database unless --database is given) (default: ./data).") var dataDir: String?
    @Option(help: "postgres://user:password@host/db to share state between replicas (default: $PROCTOR_DATABASE, else SQLite).") var database: String?
    @Option(help: "Seconds one PostgreSQL statement may run, waiting for locks included, before it fails (default: 30).")
    var databaseTimeout: Double?
    @Option(help: "Directory holding one sub-directory per competition (default: ./examples/competitions).") var competitions: String?
    @Option(help: "Address to listen on (default: 127.0.0.1).") var host: String?
    @Option(help: "Port to listen on; 0: any free port (default: 8080).") var port: Int?
    @Option(help: "Jobs the local worker runs at once; 0: no local worker (default: 1).") var slots: Int?
    @Option(help: "First sandbox slot (uids and cgroups) the local worker uses; two workers on one machine need slots apart (default: 0).")
    var firstSlot: Int?
    @Option(help: "Queued jobs per user (default: 20).") var maxQueued: Int?
    @Option(help: "Running jobs per user (default: 2).") var maxRunning: Int?
    @Option(help: "Submissions per user per hour (default: 60).") var maxPerHour: Int?
    @Option(help: "Largest solution upload, e.g. 1M (default: 1M).") var maxUpload: String?
    @Option(help: "Days to keep finished jobs' files and logs (default: 30).") var retentionDays: Double?
    @Option(help: "Days to keep finished jobs' rows, scores and events, at least --retention-days (default: 365).") var historyDays: Double?
    @Option(help: "NVML library for the local worker's GPUs (default: the driver's libnvidia-ml.so.1, if any).") var nvml: String?
    @Option(help: "A reverse proxy's address or network (CIDR), repeatable: its X-Forwarded-For names the client.") var trustedProxy: [String] = []
    @Option(help: "Requests answered at once; more get 503 with Retry-After (default: 1000).") var maxInFlight: Int?
    @Option(help: "Connections open at once; past it new ones wait to be accepted (default: 10000).") var maxConnections: Int?
    @Option(help: "Minutes a queued job waits when no node can run its competition before it fails with the reason (default: 60).")
    var unrunnableAfterMinutes: Double?
    @Option(help: "Serve HTTPS with this certificate chain (PEM; with --tls-key), when no proxy terminates TLS.") var tlsCert: String?
    @Option(help: "The private key (PEM) of --tls-cert.") var tlsKey: String?
    @OptionGroup var environmentOptions: EnvironmentOptions
    @Flag(help: "Try it out: issue a fresh token for a user 'demo' (revoking the previous demo tokens) and print how to submit with it.")
    var demo = false

    /// Sandboxes bind these paths, which must be absolute and clean.
    func run() async throws {
        let logger = Logger(label: "proctor")
        let file = try config.map { try ConfigFile(path: absolutePath($0)) }
        // An option given here wins over the file, the file over the default.
        func pick<T>(_ given: T?, _ key: String, _ fallback: T) -> T { given ?? file?.value(key) ?? fallback }
        let dataDir = absolutePath(pick(self.dataDir, "data-dir", "./data"))
        let competitions = absolutePath(pick(self.competitions, "competitions", "./examples/competitions"))
        let host = pick(self.host, "host", "127.0.0.1"), slots = pick(self.slots, "slots", 1)
        let database = self.database ?? file?.value("database") ?? ProcessInfo.processInfo.environment["PROCTOR_DATABASE"]
        let nvml = pick(self.nvml, "nvml", NVML.defaultPath), maxInFlight = pick(self.maxInFlight, "max-in-flight", 1000)
        let proxyTexts = trustedProxy.isEmpty ? file?.value("trusted-proxy", as: [String].self) ?? [] : trustedProxy
        let proxies = try proxyTexts.map { text in
            guard let network = IPNetwork(text) else {
                throw ValidationError("--trusted-proxy '\(text)' is not an address or network, e.g. 10.0.0.0/8, 192.0.2.7 or fd00::/8")
            }
            return network
        }
        guard maxInFlight > 0 else { throw ValidationError("--max-in-flight must be at least 1") }
        let quotas = Quotas(maxQueued: pick(maxQueued, "max-queued", 20), maxRunning: pick(maxRunning, "max-running", 2),
                            submissionsPerWindow: pick(maxPerHour, "max-per-hour", 60), window: 3600)
        var configuration = try ServerConfiguration(
            host: host, port: pick(port, "port", 8080), dataDirectory: dataDir, competitionsDirectory: competitions, quotas: quotas,
            maxUploadBytes: Int(Quantity.bytes(pick(maxUpload, "max-upload", "1M"), option: "--max-upload")),
            retention: pick(retentionDays, "retention-days", 30) * 86400, historyRetention: pick(historyDays, "history-days", 365) * 86400,
            localSlots: slots)
        configuration.trustedProxies = proxies
        configuration.maxInFlight = maxInFlight
        configuration.maxConnections = pick(maxConnections, "max-connections", 10_000)
        guard configuration.maxConnections > 0 else { throw ValidationError("--max-connections must be at least 1") }
        let unrunnable = pick(unrunnableAfterMinutes, "unrunnable-after-minutes", 60.0)
        guard unrunnable.isFinite, unrunnable >= 1 else { throw ValidationError("--unrunnable-after-minutes must be at least 1") }
        configuration.unrunnableAfter = unrunnable * 60
        configuration.environments = try environmentOptions.settings(wheelhouse: pick(environmentOptions.wheelhouse, "wheelhouse", nil),
                                                                     cache: pick(environmentOptions.environmentCache, "environment-cache", nil))
        switch (tlsCert ?? file?.value("tls-cert"), tlsKey ?? file?.value("tls-key")) {
        case (let cert?, let key?): configuration.tls = TLSFiles(certificateChain: absolutePath(cert), privateKey: absolutePath(key))
        case (nil, nil): break
        default: throw ValidationError("--tls-cert and --tls-key go together: give both, or neither to serve plain HTTP behind a proxy")
        }
        let databaseTimeout = pick(self.databaseTimeout, "database-timeout", 30.0)
        guard databaseTimeout.isFinite, databaseTimeout >= 0.001 else { throw ValidationError("--database-timeout must be a positive number of seconds") }
        let postgresOptions = PostgresOptions(statementTimeout: .milliseconds(Int64(databaseTimeout * 1000)))
        let firstSlot = pick(self.firstSlot, "first-slot", 0)
        guard (0...100_000).contains(firstSlot) else { throw ValidationError("--first-slot must be between 0 and 100000") }
        if checkConfig {
            print(ServeSummary.describe(configuration, database: database, file: file))
            return
        }
        try FileManager.default.createDirectory(atPath: dataDir, withIntermediateDirectories: true)
        let (store, storeService) = try await StoreLocation(database, dataDirectory: dataDir, postgres: postgresOptions)
            .openForService()
        // A damaged database is refused now, with what to do, not found out by a request.
        try await store.checkIntegrity()
        let sandbox = slots > 0 ? try Sandbox() : nil
        let gpus = try NVML(path: nvml).map { try GPUAllocator(nvml: $0) }
        let capacity = await NodeCapacity.of(gpus)
        if capacity.gpus > 0 { logger.info("GPUs found", metadata: ["count": "\(capacity.gpus)"]) }
        let server = ProctorServer(configuration: configuration, store: store, storeService: storeService, sandbox: sandbox, logger: logger,
                                   firstSlot: firstSlot, gpus: gpus, capacity: capacity)
        let demoToken = demo ? try await DemoAccess.issue(store: store) : nil
        try await server.run { port in
            logger.info("proctor is serving", metadata: ["url": "http://\(host):\(port)", "competitions": "\(server.catalog.enabledIDs.sorted())"])
            if let demoToken {
                let text = DemoAccess.instructions(server: "http://\(host):\(port)", token: demoToken, competitions: server.catalog.enabledIDs.sorted())
                FileHandle.standardOutput.write(Data(text.utf8))
            }
        }
    }
}
