import Foundation
import Hummingbird
import HummingbirdCore
import HummingbirdTLS
import Logging
import ProctorCore
import ProctorGPU
import ProctorSandbox
import ProctorStore
import ProctorWorker
import ServiceLifecycle

/// The whole service on one machine: the HTTP API, the local worker and the
/// retention sweep, run as one `ServiceGroup` that drains on SIGTERM (with
/// the store's PostgreSQL connection pool, when it has one, as the group's
/// first service: it starts first and stops last).
public struct ProctorServer: Sendable {
    public let configuration: ServerConfiguration
    public let store: JobStore
    public let catalog: CompetitionCatalog
    public let worker: Worker?
    let logger: Logger
    let metrics = HTTPMetrics()
    let limiter = BadTokenLimiter()
    /// Requests being answered, against `maxInFlight`.
    let inFlight = InFlightCounter()
    /// Tokens seen in the last second: a revocation reaches every replica within it.
    let tokens = ExpiringCache<String, TokenLookup>(lifetime: .seconds(1))
    /// Queue shapes for positions and waits, a quarter of a second at most.
    let placements = ExpiringCache<String, QueuePlacement>(lifetime: .milliseconds(250), capacity: 1000)
    /// Each competition's scored submissions, a second old at most (every page view reads them).
    let standings = ExpiringCache<String, [Leaderboard.Submission]>(lifetime: .seconds(1), capacity: 1000)
    /// Browser sessions by cookie hash, a second old at most (a sign-out or revocation here drops them at once).
    let sessions = ExpiringCache<String, SessionLookup>(lifetime: .seconds(1))
    /// The pages' templates, parsed once.
    let pages = WebPage()
    /// Grader health, a second at most.
    let graders = ExpiringCache<String, GraderHealth>(lifetime: .seconds(1), capacity: 1)
    /// Wakes long-polling remote workers when a job is submitted.
    let doorbell = Doorbell()

    /// `sandbox` may be `nil` for an API-only replica (no local worker).
    /// The local worker's GPUs, if this machine has any.
    public let gpus: GPUAllocator?
    /// What the local worker's node offers (GPUs and their compute capability).
    let capacity: NodeCapacity
    /// The store's own service (PostgreSQL's connection pool), run in the group.
    let storeService: (any Service)?

    public init(configuration: ServerConfiguration, store: JobStore, storeService: (any Service)? = nil, sandbox: Sandbox?, logger: Logger,
                firstSlot: Int = 0, gpus: GPUAllocator? = nil, capacity: NodeCapacity = NodeCapacity()) {
        self.storeService = storeService
        self.gpus = gpus
        self.capacity = capacity
        self.configuration = configuration
        self.store = store
        self.logger = logger
        catalog = CompetitionCatalog(root: configuration.competitionsDirectory, hashCache: configuration.dataDirectory + "/competition-hashes.json")
        for competition in catalog.all where !competition.isEnabled {
            logger.error("competition disabled", metadata: ["dir": "\(competition.directory)", "why": "\(competition.disabledReason ?? "")"])
        }
        if let sandbox, configuration.localSlots > 0 {
            worker = Worker(
                broker: StoreBroker(store: store, worker: configuration.localWorkerID, leaseSeconds: configuration.leaseSeconds,
                                    maxRunningPerUser: configuration.quotas.maxRunning, maxAttempts: configuration.maxAttempts),
                catalog: catalog, sandbox: sandbox,
                configuration: WorkerConfiguration(
                    id: configuration.localWorkerID, slots: configuration.localSlots, dataDirectory: configuration.dataDirectory,
                    leaseSeconds: configuration.leaseSeconds, heartbeat: configuration.leaseSeconds / 3, firstSlot: firstSlot,
                    environments: configuration.environments),
                capacity: capacity, gpus: gpus, logger: logger)
        } else {
            worker = nil
        }
    }

    var state: ServiceState {
        ServiceState(store: store, catalog: catalog, worker: worker, doorbell: doorbell, localGPUs: capacity.gpus, configuration: configuration,
                     graders: graders, placements: placements, standings: standings, sessions: sessions)
    }

    /// The router with every route and middleware.
    func makeRouter() -> Router<ProctorRequestContext> {
        // HEAD answers wherever GET does.
        let router = Router(context: ProctorRequestContext.self, options: .autoGenerateHeadEndpoints)
        router.add(middleware: RequestIDMiddleware(metrics: metrics))
        router.add(middleware: AdmissionMiddleware(trustedProxies: configuration.trustedProxies, limit: configuration.maxInFlight, inFlight: inFlight))
        let routes = RouteTable()
        router.add(middleware: UnknownRouteMiddleware(routes: routes))
        OperationsController(state: state, metrics: metrics, gpus: gpus).register(on: router)
        let users = router.group("v1").add(middleware: Authenticator(store: store, tokens: tokens, limiter: limiter, roles: [.user, .admin]))
        JobsController(state: state).register(on: users)
        CompetitionsController(state: state).register(on: users)
        let admin = router.group("v1/admin").add(middleware: Authenticator(store: store, tokens: tokens, limiter: limiter, roles: [.admin]))
        AdminController(state: state, gpus: gpus).register(on: admin)
        let workers = router.group("v1/worker").add(middleware: Authenticator(store: store, tokens: tokens, limiter: limiter, roles: [.worker]))
        WorkerController(state: state, doorbell: doorbell).register(on: workers)
        // The web pages: the same service, signed in with a session cookie.
        let web = router.group().add(middleware: WebProblemMiddleware(pages: pages))
        let signedIn = web.group().add(middleware: WebSessionMiddleware(store: store, sessions: sessions))
        WebController(state: state, pages: pages, limiter: limiter).register(public: web, signedIn: signedIn)
        let adminPages = web.group().add(middleware: WebSessionMiddleware(store: store, sessions: sessions, admin: true))
        WebAdminController(state: state, pages: pages, gpus: gpus).register(on: adminPages)
        routes.load(router.routes)
        return router
    }

    /// Puts jobs the local worker was running when the server stopped back in
    /// the queue (counting the attempt), or errors them past the retry bound.
    /// Remote workers' jobs are left to their leases.
    public func recover() async throws {
        guard worker != nil else { return }
        let changed = try await store.requeueExpired(at: Date(), heldBy: configuration.localWorkerID, maxAttempts: configuration.maxAttempts)
        for job in changed {
            logger.warning("recovered job after restart", metadata: ["job": "\(job.id)", "state": "\(job.state.rawValue)"])
        }
    }

    /// Deletes the rows and events of jobs finished before `cutoff` whose
    /// files are gone, now (the retention service does this on its own
    /// schedule, past the history retention); returns how many it deleted.
    @discardableResult
    public func pruneHistory(finishedBefore cutoff: Date) async -> Int {
        await retention.forget(finishedBefore: cutoff)
    }

    /// Deletes the files of jobs finished before `cutoff` now (the retention
    /// service does this on its own schedule); returns how many jobs it pruned.
    @discardableResult
    public func pruneJobFiles(finishedBefore cutoff: Date) async -> Int {
        await retention.prune(finishedBefore: cutoff)
    }

    /// The service that deletes old job files and, later, old job history.
    var retention: RetentionService {
        RetentionService(store: store, dataDirectory: configuration.dataDirectory, retention: configuration.retention,
                         historyRetention: configuration.historyRetention, logger: logger)
    }

    /// Runs until SIGTERM or SIGINT; `onReady` gets the bound port. The
    /// store's service starts first; the API, the worker and the sweeps join
    /// the group once the store takes calls and the local worker's jobs from
    /// before a restart are recovered.
    public func run(onReady: @escaping @Sendable (Int) async -> Void = { _ in }) async throws {
        try FileManager.default.createDirectory(atPath: configuration.dataDirectory + "/jobs", withIntermediateDirectories: true)
        let app = Application(
            router: makeRouter(),
            server: try serverBuilder(),
            configuration: .init(address: .hostname(configuration.host, port: configuration.port), serverName: "proctor",
                                 availableConnectionsDelegate: .maximum(configuration.maxConnections, logger: logger)),
            onServerRunning: { channel in await onReady(channel.localAddress?.port ?? 0) },
            logger: logger)
        var services: [any Service] = [app]
        if let worker { services.append(worker) }
        services.append(LeaseReaper(store: store, interval: max(0.2, configuration.leaseSeconds / 6), maxAttempts: configuration.maxAttempts, logger: logger))
        services.append(retention)
        services.append(UnrunnableSweep(state: state, logger: logger))
        services.append(CatalogReloader(catalog: catalog, logger: logger))
        guard let storeService else {
            try await recover()
            try await group(services).run()
            return
        }
        let group = group([storeService])
        try await withThrowingDiscardingTaskGroup { tasks in
            tasks.addTask { try await group.run() }
            try await store.ready()
            try await recover()
            for service in services { await group.addServiceUnlessShutdown(service) }
        }
    }

    /// HTTP/1.1, over TLS when the configuration names a certificate and key.
    private func serverBuilder() throws -> HTTPServerBuilder {
        guard let tls = configuration.tls else { return .http1() }
        let chain: [NIOSSLCertificate], key: NIOSSLPrivateKey
        do {
            chain = try NIOSSLCertificate.fromPEMFile(tls.certificateChain)
            key = try NIOSSLPrivateKey(file: tls.privateKey, format: .pem)
        } catch {
            throw ServerStartError("cannot read the TLS certificate \(tls.certificateChain) or key \(tls.privateKey) (PEM files): \(error)")
        }
        guard !chain.isEmpty else { throw ServerStartError("\(tls.certificateChain) holds no PEM certificate") }
        return try .tls(.http1(), tlsConfiguration: .makeServerConfiguration(certificateChain: chain.map { .certificate($0) }, privateKey: .privateKey(key)))
    }

    private func group(_ services: [any Service]) -> ServiceGroup {
        ServiceGroup(configuration: .init(
            services: services.map { .init(service: $0) }, gracefulShutdownSignals: [.sigterm, .sigint], logger: logger))
    }
}

/// Why the server cannot start, said plainly.
struct ServerStartError: Error, CustomStringConvertible {
    var description: String
    init(_ description: String) { self.description = description }
}
