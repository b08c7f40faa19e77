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
