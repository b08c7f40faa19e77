import Foundation
import ProctorClient
import ProctorServer
import Testing

/// Behind a reverse proxy and under a crowd: client addresses come from
/// `X-Forwarded-For` only through trusted proxies, and past the in-flight
/// limit requests get 503 with `Retry-After` while health stays visible.
@Suite struct AdmissionTests {
    func guess(_ client: ProctorClient, from address: String) async throws -> Int {
        try await client.send(.GET, "/v1/jobs", headers: [("X-Forwarded-For", address)]).status
    }

    @Test func behindATrustedProxyBadTokensAreCountedPerForwardedClient() async throws {
        let server = try await TestServer(slots: 0, configure: { $0.trustedProxies = [IPNetwork("127.0.0.0/8")!] })
        defer { Task { await server.stop() } }
        let guesser = ProctorClient(server: server.url, token: "pct_guess")
        for _ in 0..<21 { _ = try await guess(guesser, from: "203.0.113.5") }
        #expect(try await guess(guesser, from: "203.0.113.5") == 429)
        // Another client behind the same proxy is its own address.
        #expect(try await guess(guesser, from: "203.0.113.6") == 401)
        // What a client writes itself lies left of what the proxy appends.
        #expect(try await guess(guesser, from: "203.0.113.6, 203.0.113.5") == 429)
    }

    @Test func withoutATrustedProxyForwardedForIsIgnored() async throws {
        let server = try await TestServer(slots: 0)
        defer { Task { await server.stop() } }
        let guesser = ProctorClient(server: server.url, token: "pct_guess")
        for i in 0..<21 { _ = try await guess(guesser, from: "203.0.113.\(i)") }
        #expect(try await guess(guesser, from: "198.51.100.1") == 429)
    }

    @Test func pastTheInFlightLimitRequestsAreRefusedWith503AndHealthStaysVisible() async throws {
        let server = try await TestServer(slots: 0, configure: { $0.maxInFlight = 2 })
        defer { Task { await server.stop() } }
        let node = try await server.client("node-1", role: .worker)
        let alice = try await server.client("alice")
        // Two workers waiting for a job (long polls of 2 s) fill the service.
        let lease = Data(#"{"slots": 1, "competitions": ["shell"], "wait_seconds": 2}"#.utf8)
        let waiting = (0..<2).map { _ in Task { try await node.send(.POST, "/v1/worker/lease", body: lease, contentType: "application/json").status } }
        try await Task.sleep(for: .milliseconds(500))
        let refused = try await alice.send(.GET, "/v1/jobs")
        #expect(refused.status == 503)
        #expect(refused.json?["type"] as? String == "/problems/overloaded")
        #expect(Int(refused.header("Retry-After") ?? "") ?? 0 >= 1)
        #expect(try await alice.send(.GET, "/healthz").status == 200)
        #expect(try await alice.send(.GET, "/metrics").status == 200)
        for task in waiting { #expect(try await task.value == 204) }
        #expect(try await alice.send(.GET, "/v1/jobs").status == 200)
    }

    @Test func aCrowdIsAnsweredOr503NeverDropped() async throws {
        let server = try await TestServer(slots: 0, configure: { $0.maxInFlight = 3 })
        defer { Task { await server.stop() } }
        // 40 requests at once on a busy machine: a client that waits for a connection.
        let alice = try await server.client("alice", patient: true), node = try await server.client("node-1", role: .worker, patient: true)
        _ = try await server.submitShell(alice, "echo 1 > out.txt")
        // Workers waiting for other jobs (2 s long polls) hold every place a crowd could take.
        let lease = Data(#"{"slots": 1, "competitions": ["none-here"], "wait_seconds": 2}"#.utf8)
        let waiting = (0..<3).map { _ in Task { try await node.send(.POST, "/v1/worker/lease", body: lease, contentType: "application/json").status } }
        try await Task.sleep(for: .milliseconds(300))
        let statuses = try await withThrowingTaskGroup(of: Int.self) { group in
            for _ in 0..<40 { group.addTask { try await alice.send(.GET, "/v1/jobs").status } }
            return try await group.reduce(into: [Int]()) { $0.append($1) }
        }
        #expect(statuses.count == 40)
        #expect(statuses.allSatisfy { $0 == 200 || $0 == 503 }, "\(Set(statuses))")
        #expect(statuses.contains(503))
        #expect(try await alice.send(.GET, "/healthz").status == 200)
        for task in waiting { _ = try await task.value }
        #expect(try await alice.send(.GET, "/v1/jobs").status == 200)
    }

    @Test func pastTheConnectionLimitNewConnectionsWaitUntilOneCloses() async throws {
        let server = try await TestServer(slots: 0, configure: { $0.maxConnections = 2 })
        defer { Task { await server.stop() } }
        let first = try RawConnection(port: server.port), second = try RawConnection(port: server.port)
        #expect(try first.get("/healthz", timeout: 5).hasPrefix("HTTP/1.1 200"))
        #expect(try second.get("/healthz", timeout: 5).hasPrefix("HTTP/1.1 200"))
        // Both stay open (keep-alive): a third waits, unanswered.
        let third = try RawConnection(port: server.port)
        #expect(try third.get("/healthz", timeout: 1).isEmpty)
        first.close()
        #expect(try third.read(timeout: 5).hasPrefix("HTTP/1.1 200"))
        second.close()
        third.close()
    }

    @Test func networksParseAndContainTheirAddresses() {
        #expect(IPNetwork("10.0.0.0/8")?.contains("10.200.3.4") == true)
        #expect(IPNetwork("10.0.0.0/8")?.contains("11.0.0.1") == false)
        #expect(IPNetwork("192.0.2.7")?.contains("192.0.2.7") == true)
        #expect(IPNetwork("192.0.2.7")?.contains("192.0.2.8") == false)
        #expect(IPNetwork("fd00::/8")?.contains("fd12::1") == true)
        #expect(IPNetwork("fd00::/8")?.contains("10.0.0.1") == false)
        #expect(IPNetwork("10.0.0.0/33") == nil)
        #expect(IPNetwork("example.org") == nil)
    }
}

/// A plain TCP connection to 127.0.0.1, to hold connections open by hand.
final class RawConnection {
    private let descriptor: Int32

    init(port: Int) throws {
        descriptor = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = in_port_t(UInt16(port).bigEndian)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        let connected = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(descriptor, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
        guard connected == 0 else { throw POSIXError(.ECONNREFUSED) }
    }

    /// Sends a GET and returns what arrives within `timeout` seconds (empty: nothing).
    func get(_ path: String, timeout: Double) throws -> String {
        let request = "GET \(path) HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n"
        _ = request.withCString { send(descriptor, $0, strlen($0), 0) }
        return try read(timeout: timeout)
    }

    /// What arrives within `timeout` seconds.
    func read(timeout: Double) throws -> String {
        var poller = pollfd(fd: descriptor, events: Int16(POLLIN), revents: 0)
        guard poll(&poller, 1, Int32(timeout * 1000)) == 1 else { return "" }
        var buffer = [UInt8](repeating: 0, count: 4096)
        let count = recv(descriptor, &buffer, buffer.count, 0)
        return count > 0 ? String(decoding: buffer.prefix(count), as: UTF8.self) : ""
    }

    func close() { Glibc.close(descriptor) }
}
