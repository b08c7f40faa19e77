import ArgumentParser
import ProctorNode
import Foundation
import Logging
import ProctorGPU
import ProctorSandbox
import ProctorServer
import ProctorStore

/// `proctor serve`: the whole service on one machine.
struct ServeCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "serve", abstract: "Run the job service: HTTP API, fair queue and a local worker.")

    @Option(help: "Directory for job files (and the SQLite database unless --database is given).") var dataDir = "./data"
    @Option(help: "postgres://user:password@host/db to share state between replicas (default: $PROCTOR_DATABASE, else SQLite).") var database: String?
    @Option(help: "Directory holding one sub-directory per competition.") var competitions = "./examples/competitions"
    @Option(help: "Address to listen on.") var host = "127.0.0.1"
    @Option(help: "Port to listen on (0: any free port).") var port = 8080
    @Option(help: "Jobs the local worker runs at once (0: no local worker).") var slots = 1
    @Option(help: "Queued jobs per user.") var maxQueued = 20
    @Option(help: "Running jobs per user.") var maxRunning = 2
    @Option(help: "Submissions per user per hour.") var maxPerHour = 60
    @Option(help: "Largest solution upload, e.g. 1M.") var maxUpload = "1M"
    @Option(help: "Days to keep finished jobs' files and logs.") var retentionDays = 30.0
    @Option(help: "Days to keep finished jobs' rows, scores and events (at least --retention-days).") var historyDays = 365.0
    @Option(help: "NVML library for the local worker's GPUs (default: the driver's libnvidia-ml.so.1, if any).") var nvml = NVML.defaultPath
    @Option(help: "A reverse proxy's address or network (CIDR), repeatable: its X-Forwarded-For names the client.") var trustedProxy: [String] = []
    @Option(help: "Requests answered at once; more get 503 with Retry-After.") var maxInFlight = 1000
    @Option(help: "Serve HTTPS with this certificate chain (PEM; with --tls-key), when no proxy terminates TLS.") var tlsCert: String?
    @Option(help: "The private key (PEM) of --tls-cert.") var tlsKey: String?
    @Flag(help: "Try it out: issue a fresh token for a user 'demo' (revoking the previous demo tokens) and print how to submit with it.")
    var demo = false

    /// Sandboxes bind these paths, which must be absolute and clean.
    func run() async throws {
        let logger = Logger(label: "proctor")
        let dataDir = absolutePath(self.dataDir), competitions = absolutePath(self.competitions)
        let proxies = try trustedProxy.map { text in
            guard let network = IPNetwork(text) else {
                throw ValidationError("--trusted-proxy '\(text)' is not an address or network, e.g. 10.0.0.0/8, 192.0.2.7 or fd00::/8")
            }
            return network
        }
        guard maxInFlight > 0 else { throw ValidationError("--max-in-flight must be at least 1") }
        var configuration = try ServerConfiguration(
            host: host, port: port, dataDirectory: dataDir, competitionsDirectory: competitions,
            quotas: Quotas(maxQueued: maxQueued, maxRunning: maxRunning, submissionsPerWindow: maxPerHour, window: 3600),
            maxUploadBytes: Int(Quantity.bytes(maxUpload, option: "--max-upload")),
            retention: retentionDays * 86400, historyRetention: historyDays * 86400, localSlots: slots)
        configuration.trustedProxies = proxies
        configuration.maxInFlight = maxInFlight
        switch (tlsCert, tlsKey) {
        case (let cert?, let key?): configuration.tls = TLSFiles(certificateChain: absolutePath(cert), privateKey: absolutePath(key))
        case (nil, nil): break
        default: throw ValidationError("--tls-cert and --tls-key go together: give both, or neither to serve plain HTTP behind a proxy")
        }
        try FileManager.default.createDirectory(atPath: dataDir, withIntermediateDirectories: true)
        let (store, storeService) = try await StoreLocation(database ?? ProcessInfo.processInfo.environment["PROCTOR_DATABASE"], dataDirectory: dataDir)
            .openForService()
        // A damaged database is refused now, with what to do, not found out by a request.
        try await store.checkIntegrity()
        let sandbox = slots > 0 ? try Sandbox() : nil
        let gpus = try NVML(path: nvml).map(GPUAllocator.init)
        let gpuCount = await gpus?.healthyCount ?? 0
        if gpuCount > 0 { logger.info("GPUs found", metadata: ["count": "\(gpuCount)"]) }
        let server = ProctorServer(configuration: configuration, store: store, storeService: storeService, sandbox: sandbox, logger: logger, gpus: gpus, gpuCount: gpuCount)
        let host = self.host
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
