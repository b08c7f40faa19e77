import Foundation
import ProctorClient
import ProctorServer
import Testing

/// Tokens and who may see what: another user's job is a 404, never a 403.
@Suite struct AccessTests {
    @Test func anotherUsersJobIsNotFound() async throws {
        let server = try await TestServer(slots: 0)
        defer { Task { await server.stop() } }
        let alice = try await server.client("alice"), bob = try await server.client("bob"), admin = try await server.client("root", role: .admin)
        let id = try #require(try await server.submitShell(alice, "echo 1 > out.txt")["id"] as? String)
        for path in ["/v1/jobs/\(id)", "/v1/jobs/\(id)/logs", "/v1/jobs/\(id)/events"] {
            let response = try await bob.send(.GET, path)
            #expect(response.status == 404, "\(path)")
            #expect(response.json?["type"] as? String == "/problems/not-found")
        }
        #expect(try await bob.send(.POST, "/v1/jobs/\(id)/cancel").status == 404)
        let bobsList = try await bob.call(.GET, "/v1/jobs").json?["jobs"] as? [Any]
        #expect(bobsList?.isEmpty == true)
        // A made-up id looks exactly the same.
        let unknown = try await bob.send(.GET, "/v1/jobs/\(UUID().uuidString.lowercased())")
        #expect(unknown.status == 404)
        // The admin sees and may cancel every job.
        #expect(try await admin.send(.GET, "/v1/jobs/\(id)").status == 200)
        let all = try await admin.call(.GET, "/v1/jobs?all=true").json?["jobs"] as? [[String: Any]]
        #expect(all?.first?["user"] as? String == "alice")
        #expect(try await admin.send(.POST, "/v1/jobs/\(id)/cancel").json?["state"] as? String == "cancelled")
    }

    @Test func missingExpiredRevokedAndUnknownTokensAreRefused() async throws {
        let server = try await TestServer(slots: 0)
        defer { Task { await server.stop() } }
        let anonymous = ProctorClient(server: server.url, token: nil)
        let none = try await anonymous.send(.GET, "/v1/jobs")
        #expect(none.status == 401)
        #expect(none.header("Content-Type") == "application/problem+json")
        #expect(none.json?["type"] as? String == "/problems/unauthorized")
        // Long enough to be used once on a loaded machine, then waited out.
        let expiring = try await server.client("alice", expiresIn: 4)
        let made = ContinuousClock.now
        #expect(try await expiring.send(.GET, "/v1/jobs").status == 200)
        try await Task.sleep(until: made + .milliseconds(4300))
        #expect(try await expiring.send(.GET, "/v1/jobs").status == 401)
        let revoked = try await server.client("bob")
        let tokens = try await server.store.tokens(userID: nil)
        let bobsToken = try #require(tokens.last)
        #expect(try await server.store.revokeToken(id: bobsToken.id, at: Date()))
        #expect(try await revoked.send(.GET, "/v1/jobs").status == 401)
        let made_up = ProctorClient(server: server.url, token: "pct_" + String(repeating: "A", count: 43))
        #expect(try await made_up.send(.GET, "/v1/jobs").status == 401)
    }

    @Test func aRevokedTokenStopsWorkingOnEveryReplicaWithinTwoSeconds() async throws {
        let a = try await TestServer(slots: 0)
        defer { Task { await a.stop() } }
        let b = try await TestServer(slots: 0, store: a.store)
        defer { Task { await b.stop() } }
        let onA = try await a.client("bob")
        let onB = ProctorClient(server: b.url, token: onA.token)
        // Both replicas have just seen (and may remember) the token.
        #expect(try await onA.send(.GET, "/v1/jobs").status == 200)
        #expect(try await onB.send(.GET, "/v1/jobs").status == 200)
        let admin = try await a.client("root", role: .admin)
        let bobs = try #require(try await a.store.tokens(userID: nil).first { $0.label == "test" && $0.role == .user })
        #expect(try await admin.send(.POST, "/v1/admin/tokens/\(bobs.id)/revoke").status == 200)
        let revokedAt = ContinuousClock.now
        var refused: [Duration] = []
        for client in [onA, onB] {
            while try await client.send(.GET, "/v1/jobs").status == 200 {
                #expect(ContinuousClock.now - revokedAt < .seconds(2))
                if ContinuousClock.now - revokedAt > .seconds(3) { break }
                try await Task.sleep(for: .milliseconds(50))
            }
            refused.append(ContinuousClock.now - revokedAt)
        }
        #expect(refused.allSatisfy { $0 < .seconds(2) })
    }

    @Test func tokensAreStoredOnlyAsHashes() async throws {
        let server = try await TestServer(slots: 0)
        defer { Task { await server.stop() } }
        let alice = try await server.client("alice")
        let text = try #require(alice.token)
        #expect(text.hasPrefix("pct_") && text.count == 47)
        var database = try Data(contentsOf: URL(fileURLWithPath: server.directory + "/proctor.sqlite"))
        database += (try? Data(contentsOf: URL(fileURLWithPath: server.directory + "/proctor.sqlite-wal"))) ?? Data()
        #expect(database.range(of: Data(text.utf8)) == nil)
        #expect(database.range(of: Data(TokenCodec.hash(text).utf8)) != nil)
    }

    @Test func rolesLimitWhatATokenDoes() async throws {
        let server = try await TestServer(slots: 0)
        defer { Task { await server.stop() } }
        let worker = try await server.client("node-1", role: .worker), alice = try await server.client("alice")
        #expect(try await worker.send(.GET, "/v1/jobs").status == 403)
        #expect(try await alice.send(.GET, "/v1/admin/tokens").status == 403)
        let admin = try await server.client("root", role: .admin)
        let created = try await admin.call(.POST, "/v1/admin/tokens", body: Data(#"{"user": "carol"}"#.utf8), contentType: "application/json")
        #expect(created.status == 201)
        let carol = ProctorClient(server: server.url, token: try #require(created.json?["token"] as? String))
        #expect(try await carol.send(.GET, "/v1/jobs").status == 200)
        let listed = try await admin.call(.GET, "/v1/admin/tokens").text
        #expect(!listed.contains(carol.token ?? "-"))
    }

    @Test func repeatedBadTokensAreSlowedDown() async throws {
        let server = try await TestServer(slots: 0)
        defer { Task { await server.stop() } }
        let guesser = ProctorClient(server: server.url, token: "pct_guess")
        var statuses: [Int] = []
        for _ in 0..<25 { statuses.append(try await guesser.send(.GET, "/v1/jobs").status) }
        #expect(statuses.prefix(20).allSatisfy { $0 == 401 })
        let refused = try await guesser.send(.GET, "/v1/jobs")
        #expect(refused.status == 429)
        #expect(Int(refused.header("Retry-After") ?? "") ?? 0 > 0)
        // Someone else behind the same address (a proxy, a NAT), admins
        // included, is not slowed down by the guesser.
        let alice = try await server.client("alice"), admin = try await server.client("root", role: .admin)
        #expect(try await alice.send(.GET, "/v1/jobs").status == 200)
        #expect(try await admin.send(.GET, "/v1/admin/users").status == 200)
        #expect(try await guesser.send(.GET, "/v1/jobs").status == 429)
    }

    @Test func everyJobNamesTheTokenThatSubmittedIt() async throws {
        let server = try await TestServer(slots: 0)
        defer { Task { await server.stop() } }
        let laptop = try await server.client("alice"), notebook = try await server.client("alice")
        let admin = try await server.client("root", role: .admin)
        let first = try #require(try await server.submitShell(laptop, "echo 1 > out.txt")["id"] as? String)
        for _ in 0..<2 { _ = try await server.submitShell(notebook, "echo 1 > out.txt") }
        let tokens = try await admin.call(.GET, "/v1/admin/tokens").json?["tokens"] as? [[String: Any]] ?? []
        let alices = tokens.filter { $0["user"] as? String == "alice" }.sorted { ($0["id"] as? Int ?? 0) < ($1["id"] as? Int ?? 0) }
        #expect(alices.map { $0["jobs_last_day"] as? Int } == [1, 2])
        #expect(alices.allSatisfy { $0["last_used_at"] != nil })
        // An admin sees the token behind a job; its owner sees the job without it.
        let seen = try await admin.call(.GET, "/v1/jobs/\(first)").json
        #expect(seen?["token"] as? Int == alices.first?["id"] as? Int)
        #expect(seen?["user"] as? String == "alice")
        #expect(try await laptop.call(.GET, "/v1/jobs/\(first)").json?["token"] == nil)
    }

    @Test func adminAnswersAreTypedAndItsInputsBounded() async throws {
        let server = try await TestServer(slots: 0)
        defer { Task { await server.stop() } }
        let admin = try await server.client("root", role: .admin), alice = try await server.client("alice")
        let users = try await admin.call(.GET, "/v1/admin/users").json?["users"] as? [[String: Any]] ?? []
        #expect(users.contains { $0["name"] as? String == "alice" && ($0["disabled"] as? Bool) == false })
        // An admin cannot lock themselves (and so possibly everyone) out.
        let selfDisable = try await admin.send(.POST, "/v1/admin/users/root/disable")
        #expect(selfDisable.status == 409)
        #expect(try await admin.send(.GET, "/v1/admin/users").status == 200)
        #expect(try await admin.call(.POST, "/v1/admin/users/alice/disable").json?["disabled"] as? Bool == true)
        // A token cannot outlive what clients can parse.
        let forever = Data(#"{"user": "bob", "expires_in_seconds": 1e13}"#.utf8)
        let refused = try await admin.send(.POST, "/v1/admin/tokens", body: forever, contentType: "application/json")
        #expect(refused.status == 400)
        #expect((refused.json?["detail"] as? String ?? "").contains("10 years"))
        // A flag that is neither true nor false is an error, not false.
        #expect(try await admin.send(.GET, "/v1/jobs?all=x").status == 400)
        #expect(try await alice.send(.GET, "/v1/jobs?all=true").status == 401)  // alice is disabled now
    }
}
