import AsyncHTTPClient
import Foundation
import ProctorClient
import ProctorCore
import Testing

/// The web pages: in a real browser (headless Chromium driven by selenium),
/// and over plain HTTP for what a browser would hide: escaping of everything
/// users control, CSRF, cookies.
@Suite struct WebPageTests {
    static let python = Built.root + "/.build/browser/bin/python"
    static let browserReady = FileManager.default.isExecutableFile(atPath: "/usr/bin/chromedriver")
        && FileManager.default.isExecutableFile(atPath: "/usr/bin/chromium") && FileManager.default.isExecutableFile(atPath: python)
    /// Where the browser test leaves its screenshots (the README shows two).
    static let screenshots = Built.root + "/.build/screenshots"

    @Test(.enabled(if: browserReady || ProcessInfo.processInfo.environment["CI"] != nil,
                   "chromium, chromium-driver and .build/browser (selenium) are not installed: bash scripts/install-dependencies.sh test"))
    func aParticipantAndAnOrganizerUseThePagesInARealBrowser() async throws {
        let server = try await TestServer(slots: 2)
        defer { Task { await server.stop() } }
        let alice = try await server.client("alice"), bob = try await server.client("bob"), root = try await server.client("root", role: .admin)
        // bob is on the board first, with a solution that says setosa for every flower.
        let constant = "print('all setosa')\nrows = open('/data/test.csv').read().split()[1:]\nopen('submission.csv', 'w').write('id,species\\n' + ''.join(r.split(',')[0] + ',setosa\\n' for r in rows))\n"
        let bobs = try await bob.submit(competition: "iris", fileName: "solution.py", contents: Data(constant.utf8)).json ?? [:]
        let graded = try await server.waitForEnd(bob, bobs["id"] as? String ?? "")
        try #require(graded["state"] as? String == "succeeded", "\(graded)")
        let work = server.directory + "/browser"
        try FileManager.default.createDirectory(atPath: work, withIntermediateDirectories: true)
        let run = try await runToEnd(Self.python, [Built.root + "/Tests/ProctorServerTests/Fixtures/web/browser.py", server.url, alice.token ?? "",
                                                   root.token ?? "", Built.root + "/examples/iris/solution.py", work, Self.screenshots],
                                     environment: ["PATH": "/usr/bin:/bin", "HOME": work], includingErrors: true)
        #expect(run.status == 0, "\(run.output)")
        #expect(run.output.hasSuffix("ok\n"), "\(run.output)")
        for page in ["sign-in", "competition", "submission", "admin-nodes", "admin-users"] {
            #expect(FileManager.default.fileExists(atPath: Self.screenshots + "/\(page).png"), "no screenshot of \(page)")
        }
    }

    /// A browser session over plain HTTP: the sign-in form's cookie and CSRF value, then the session cookie.
    struct Browser {
        let server: TestServer
        var cookies: [String: String] = [:]
        var csrf = ""

        init(_ server: TestServer) { self.server = server }

        /// A client that shows redirects instead of following them, as the tests look at them.
        static let http = HTTPClient(eventLoopGroupProvider: .singleton,
                                     configuration: .init(redirectConfiguration: .disallow, timeout: .init(connect: .seconds(30), read: .seconds(60))))
        var client: ProctorClient { ProctorClient(server: server.url, token: nil, http: Self.http) }
        var cookieHeader: [(String, String)] { cookies.isEmpty ? [] : [("Cookie", cookies.map { "\($0.key)=\($0.value)" }.joined(separator: "; "))] }

        mutating func keep(_ response: APIResponse) {
            for (name, value) in response.headers where name.lowercased() == "set-cookie" {
                let pair = value.split(separator: ";").first.map(String.init) ?? ""
                let parts = pair.split(separator: "=", maxSplits: 1).map(String.init)
                if parts.count == 2 { cookies[parts[0]] = parts[1] }
            }
            if let value = response.text.firstMatch(of: /name="_csrf" value="([^"]*)"/)?.1 { csrf = String(value) }
        }

        mutating func get(_ path: String) async throws -> APIResponse {
            let response = try await client.send(.GET, path, headers: cookieHeader)
            keep(response)
            return response
        }

        mutating func post(_ path: String, _ form: [String: String]) async throws -> APIResponse {
            let body = form.map { "\($0.key)=\($0.value.addingPercentEncoding(withAllowedCharacters: .alphanumerics) ?? "")" }.joined(separator: "&")
            let response = try await client.send(.POST, path, body: Data(body.utf8), contentType: "application/x-www-form-urlencoded", headers: cookieHeader)
            keep(response)
            return response
        }

        /// The submit form of a competition's page, with a file named `fileName`.
        mutating func submit(_ competition: String, fileName: String, contents: String) async throws -> APIResponse {
            var form = MultipartBody()
            form.add(name: "_csrf", value: csrf)
            form.add(name: "competition", value: competition)
            form.add(name: "file", fileName: fileName, data: Data(contents.utf8))
            let response = try await client.send(.POST, "/competitions/\(competition)/submit", body: form.data, contentType: form.contentType,
                                                 headers: cookieHeader)
            keep(response)
            return response
        }

        mutating func signIn(_ token: String) async throws -> APIResponse {
            _ = try await get("/sign-in")
            return try await post("/sign-in", ["token": token, "_csrf": csrf, "next": "/competitions"])
        }
    }

    static let hostile = "<script>alert(\"x\")</script><img src=x onerror=alert('y')>&amp;"

    @Test func everythingUsersControlIsEscapedOnThePages() async throws {
        let server = try await TestServer(extraCompetitions: { root in
            try CompetitionRulesTests.competition(in: root, id: "hostile") { manifest in
                manifest.title = "Title " + Self.hostile
                manifest.description = "About " + Self.hostile
            }
        })
        defer { Task { await server.stop() } }
        let admin = try await server.client("root", role: .admin)
        let job = try await EnvironmentFixture.submit(admin, "hostile", "echo 'log \(Self.hostile)'; echo 0.5 > out.txt")
        _ = try await server.waitForEnd(admin, job["id"] as? String ?? "")
        _ = try await admin.call(.POST, "/v1/admin/tokens", body: Data(#"{"user": "mallory", "label": "label <b>\"bold\"</b>"}"#.utf8),
                                 contentType: "application/json")
        var browser = Browser(server)
        #expect(try await browser.signIn(admin.token ?? "").status == 303)
        for path in ["/competitions", "/competitions/hostile", "/submissions", "/submissions/\(job["id"] as? String ?? "")", "/admin/users", "/admin/queue"] {
            let page = try await browser.get(path)
            #expect(page.status == 200, "\(path): \(page.status)")
            #expect(!page.text.contains("<script>alert"), "\(path) shows a script tag unescaped")
            #expect(!page.text.contains("<img src=x"), "\(path) shows an img tag unescaped")
            #expect(!page.text.contains("<b>\""), "\(path) shows a label unescaped")
        }
        let competition = try await browser.get("/competitions/hostile").text
        #expect(competition.contains("Title &lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;&lt;img src=x onerror=alert(&#39;y&#39;)&gt;&amp;amp;"))
        let submission = try await browser.get("/submissions/\(job["id"] as? String ?? "")").text
        #expect(submission.contains("log &lt;script&gt;"))
        #expect(try await browser.get("/admin/users").text.contains("label &lt;b&gt;&quot;bold&quot;&lt;/b&gt;"))
    }

    @Test func formsNeedTheSessionsCSRFValueAndCookiesAreHttpOnlyAndStrict() async throws {
        let server = try await TestServer()
        defer { Task { await server.stop() } }
        let alice = try await server.client("alice")
        var browser = Browser(server)
        let signedIn = try await browser.signIn(alice.token ?? "")
        #expect(signedIn.status == 303)
        let cookie = signedIn.headers.first { $0.0.lowercased() == "set-cookie" && $0.1.hasPrefix("proctor_session=") }?.1 ?? ""
        #expect(cookie.contains("HttpOnly") && cookie.contains("SameSite=Strict") && cookie.contains("Path=/"), "\(cookie)")
        // The token is nowhere in what the browser keeps or sees.
        #expect(!cookie.contains(alice.token ?? "-"))
        #expect(!(try await browser.get("/competitions").text.contains(alice.token ?? "-")))

        // A form without the session's value (another site's) is refused and changes nothing.
        let forged = try await browser.post("/sign-out", ["_csrf": "forged"])
        #expect(forged.status == 403)
        #expect(forged.text.contains("another site"))
        #expect(try await browser.get("/submissions").status == 200, "still signed in")
        let signIn = try await Browser(server).client.send(.POST, "/sign-in", body: Data("token=\(alice.token ?? "")".utf8),
                                                           contentType: "application/x-www-form-urlencoded")
        #expect(signIn.status == 403, "a sign-in without its form's cookie is refused")

        // Signing out ends the session on the server, not only in the browser.
        let session = browser.cookies["proctor_session"] ?? ""
        #expect(try await browser.post("/sign-out", ["_csrf": browser.csrf]).status == 303)
        let replayed = try await ProctorClient(server: server.url, token: nil, http: Browser.http).send(.GET, "/submissions", headers: [("Cookie", "proctor_session=\(session)")])
        #expect(replayed.status == 303)
        #expect(replayed.header("Location")?.hasPrefix("/sign-in") == true)
    }

    @Test func aRevokedTokensSessionsEndAndBadInputGetsAPageThatSaysWhy() async throws {
        let server = try await TestServer(extraCompetitions: { root in
            try CompetitionRulesTests.competition(in: root, id: "over") { $0.endsAt = "2020-01-01T00:00:00Z" }
        })
        defer { Task { await server.stop() } }
        let admin = try await server.client("root", role: .admin)
        let issued = try await admin.call(.POST, "/v1/admin/tokens", body: Data(#"{"user": "dave"}"#.utf8), contentType: "application/json").json ?? [:]
        var browser = Browser(server)
        #expect(try await browser.signIn(issued["token"] as? String ?? "").status == 303)
        let missing = try await browser.get("/competitions/nope")
        #expect(missing.status == 404 && missing.text.contains("no competition &#39;nope&#39;"))
        #expect(try await browser.get("/competitions/over").text.contains("ended at 2020-01-01T00:00:00Z"))
        // The submit form's refusals are pages that say what was wrong.
        _ = try await browser.get("/competitions/shell")
        let misnamed = try await browser.submit("shell", fileName: "solution.py", contents: "echo 1 > out.txt")
        #expect(misnamed.status == 400 && misnamed.text.contains("accepts solution.sh, not &#39;solution.py&#39;"), "\(misnamed.text)")
        let empty = try await browser.submit("shell", fileName: "solution.sh", contents: "")
        #expect(empty.status == 400 && empty.text.contains("the file is empty"))
        let accepted = try await browser.submit("shell", fileName: "solution.sh", contents: "echo 1 > out.txt")
        #expect(accepted.status == 303 && accepted.header("Location")?.hasPrefix("/submissions/") == true)
        let admins = try await browser.get("/admin/users")
        #expect(admins.status == 403 && admins.text.contains("for admins"))
        _ = try await admin.call(.POST, "/v1/admin/tokens/\(issued["id"] as? Int ?? 0)/revoke")
        try await Task.sleep(for: .milliseconds(1200))
        #expect(try await browser.get("/submissions").status == 303, "the revoked token's session ends")
    }
}
