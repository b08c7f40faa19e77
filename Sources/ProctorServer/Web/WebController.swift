import Foundation
import Hummingbird
import ProctorCore
import ProctorStore
import ProctorWorker

/// The participants' pages, served by `proctor serve` itself: sign in with a
/// token once, the competitions, one competition (its leaderboard and a
/// submit form), one's own submissions, and one submission with its log
/// following live. Pages work without JavaScript; the script only follows
/// a running job (Server-Sent Events). Forms carry the session's CSRF value.
struct WebController {
    let state: ServiceState
    let pages: WebPage
    let limiter: BadTokenLimiter

    /// How long a session lasts at most (less if its token expires sooner).
    static let sessionLifetime: TimeInterval = 12 * 3600
    /// The sign-in form's own CSRF cookie (double submit: there is no session yet).
    static let signInCookie = "proctor_sign_in"

    func register(public router: RouterGroup<ProctorRequestContext>, signedIn pages: RouterGroup<ProctorRequestContext>) {
        router.get("/static/proctor.css") { _, _ in Self.asset(WebAssets.stylesheet, type: "text/css; charset=utf-8") }
        router.get("/static/proctor.js") { _, _ in Self.asset(WebAssets.script, type: "text/javascript; charset=utf-8") }
        router.get("/") { _, _ in WebPage.redirect("/competitions") }
        router.get("/sign-in", use: signInPage)
        router.post("/sign-in", use: signIn)
        pages.post("/sign-out", use: signOut)
        pages.get("/competitions", use: competitions)
        pages.get("/competitions/{id}", use: competition)
        pages.post("/competitions/{id}/submit", use: submit)
        pages.get("/submissions", use: submissions)
        pages.get("/submissions/{id}", use: submission)
        pages.get("/submissions/{id}/live", use: live)
    }

    static func asset(_ text: String, type: String) -> Response {
        var headers = HTTPFields()
        headers[.contentType] = type
        headers[.cacheControl] = "public, max-age=3600"
        WebPage.secure(&headers)
        return Response(status: .ok, headers: headers, body: .init(byteBuffer: ByteBuffer(string: text)))
    }

    // MARK: Signing in and out

    struct SignInForm: Decodable {
        var token: String?
        var next: String?
        var _csrf: String?
    }

    @Sendable func signInPage(_ request: Request, context: ProctorRequestContext) async throws -> Response {
        signInForm(next: request.uri.queryParameters["next"].map(String.init), message: nil, status: .ok)
    }

    /// The form, with a fresh CSRF value in its cookie and its field.
    func signInForm(next: String?, message: String?, status: HTTPResponse.Status) -> Response {
        let csrf = Self.randomValue()
        var values: [String: Any] = ["csrf": csrf, "next": Self.localPath(next)]
        if let message { values["message"] = message }
        var response = pages.render("sign-in", values, status: status)
        response.setCookie(Cookie(name: Self.signInCookie, value: csrf, maxAge: 3600, path: "/sign-in",
                                  secure: state.configuration.tls != nil, httpOnly: true, sameSite: .strict))
        return response
    }

    @Sendable func signIn(_ request: Request, context: ProctorRequestContext) async throws -> Response {
        let form = try await Self.form(SignInForm.self, from: request)
        guard let expected = request.cookies[Self.signInCookie]?.value, let given = form._csrf,
            TokenCodec.constantTimeEqual(expected, given)
        else {
            return signInForm(next: form.next, message: "The form expired or came from another site; paste your token again.", status: .forbidden)
        }
        let now = Date()
        if let wait = await limiter.retryAfter(for: context.remoteAddress) {
            throw Problem.tooMany("too many sign-ins with bad tokens from your address; wait before trying again", slug: "too-many-bad-tokens", retryAfter: wait)
        }
        let text = (form.token ?? "").trimmingCharacters(in: .whitespacesAndNewlines)
        let hash = TokenCodec.hash(text)
        guard !text.isEmpty, text.utf8.count <= 256, let (token, user) = try await state.store.useToken(hash: hash, at: now),
            TokenCodec.constantTimeEqual(token.hash, hash), token.isUsable(at: now), !user.disabled
        else {
            await limiter.recordFailure(from: context.remoteAddress)
            return signInForm(next: form.next, message: "That token is unknown, expired or revoked; ask an organizer for a new one.", status: .unauthorized)
        }
        guard token.role != .worker else {
            return signInForm(next: form.next, message: "That is a worker's token, for nodes; sign in with your own.", status: .forbidden)
        }
        let cookie = Self.randomValue()
        let expires = min(now.addingTimeInterval(Self.sessionLifetime), token.expiresAt ?? .distantFuture)
        _ = try await state.store.createSession(hash: TokenCodec.hash(cookie), tokenID: token.id, csrf: Self.randomValue(), at: now, expiresAt: expires)
        context.logger.info("signed in", metadata: ["user": "\(user.name)"])
        var response = WebPage.redirect(Self.localPath(form.next))
        response.setCookie(Cookie(name: WebSessionMiddleware.cookie, value: cookie, maxAge: Int(expires.timeIntervalSince(now)), path: "/",
                                  secure: state.configuration.tls != nil, httpOnly: true, sameSite: .strict))
        response.setCookie(Cookie(name: Self.signInCookie, value: "", maxAge: 0, path: "/sign-in", httpOnly: true, sameSite: .strict))
        return response
    }

    @Sendable func signOut(_ request: Request, context: ProctorRequestContext) async throws -> Response {
        struct Form: Decodable { var _csrf: String? }
        try Self.checkCSRF(try await Self.form(Form.self, from: request)._csrf, context: context)
        if let value = request.cookies[WebSessionMiddleware.cookie]?.value {
            try await state.store.revokeSession(hash: TokenCodec.hash(value), at: Date())
            state.sessionsChanged()
        }
        var response = WebPage.redirect("/sign-in")
        response.setCookie(Cookie(name: WebSessionMiddleware.cookie, value: "", maxAge: 0, path: "/", secure: state.configuration.tls != nil,
                                  httpOnly: true, sameSite: .strict))
        return response
    }

    // MARK: Competitions

    @Sendable func competitions(_ request: Request, context: ProctorRequestContext) async throws -> Response {
        let disabled = try await state.graderHealth().disabledCompetitions()
        let now = Date()
        let rows: [[String: Any]] = state.catalog.all.filter { state.catalog.current($0.id)?.version == $0.version || !$0.isEnabled }.map { c in
            let status = !c.isEnabled || disabled[c.id] != nil ? "closed for now" : c.manifest.hasEnded(at: now) ? "ended" : "open"
            return ["id": c.id, "version": c.version, "title": c.manifest.title, "accepts": c.manifest.acceptedFiles.joined(separator: ", "), "status": status]
        }
        return pages.render("competitions", ["competitions": rows], viewer: context)
    }

    @Sendable func competition(_ request: Request, context: ProctorRequestContext) async throws -> Response {
        let principal = try context.requirePrincipal()
        let competition = try self.competition(context.parameters.get("id") ?? "")
        let manifest = competition.manifest
        let now = Date()
        let board = try await state.leaderboard(competition)
        var values: [String: Any] = [
            "id": competition.id, "title": manifest.title, "description": manifest.description ?? "",
            "accepts": manifest.acceptedFiles.joined(separator: ", "),
            "ranking": (manifest.scoreOrder ?? .higher) == .higher ? "higher scores are better" : "lower scores are better",
            "basis": board.basis == .public ? "Ranked by the public part of the test set until the end; then by the rest." : "Ranked by score; equal scores rank the earlier submission first.",
            "rows": board.rows.map { row -> [String: Any] in
                ["rank": row.rank, "user": row.user, "score": Self.number(row.score), "entries": row.entries,
                 "when": WebPage.time(row.submittedAt), "mine": row.user == principal.user.name]
            },
            "limits": Self.limits(manifest),
            "files": manifest.files.keys.filter { $0.hasPrefix("public/") }.map { String($0.dropFirst(7)) }.sorted(),
        ]
        if let endsAt = manifest.endsAt { values["endsAt"] = endsAt }
        if let perDay = manifest.maxSubmissionsPerDay { values["perDay"] = perDay }
        if let environment = manifest.environment {
            values["environment"] = environment.python.map { "Python \($0) with the packages of \(environment.requirements ?? "its requirements")" }
                ?? "its own system (\(environment.rootfs ?? "rootfs"))"
        }
        if let reason = try await state.disabledReason(competition.id) {
            values["closed"] = "Submissions are closed for now: \(reason)"
        } else if manifest.hasEnded(at: now) {
            values["closed"] = "This competition ended at \(manifest.endsAt ?? "its end"); the leaderboard is final."
        } else {
            values["open"] = true
        }
        return pages.render("competition", values, viewer: context)
    }

    @Sendable func submit(_ request: Request, context: ProctorRequestContext) async throws -> Response {
        let principal = try context.requirePrincipal()
        let submission = try await SubmissionParser(state: state).parse(request, context: context)
        try Self.checkCSRF(submission.csrf, context: context)
        guard submission.competition.id == context.parameters.get("id") else {
            throw Problem.badRequest("the form names another competition than the page; reload the page and submit again")
        }
        let (resource, _) = try await Admission(state: state).accept(submission, from: principal, context: context)
        return WebPage.redirect("/submissions/\(resource.id)")
    }

    /// The current version of competition `id`, or a page saying there is none.
    func competition(_ id: String) throws -> Competition {
        guard Identifier.isCompetitionID(id), let competition = state.catalog.current(id) ?? state.catalog.all.first(where: { $0.id == id }) else {
            throw Problem(.notFound, slug: "unknown-competition", title: "No such competition", detail: "there is no competition '\(id.prefix(64))'")
        }
        return competition
    }

    /// Each declared limit of both stages, in a person's units.
    static func limits(_ manifest: CompetitionManifest) -> [[String: String]] {
        func seconds(_ v: Double?) -> String { v.map { WebPage.duration($0) } ?? "default" }
        func bytes(_ v: UInt64?) -> String { v.map { "\($0 >> 20) MiB" } ?? "default" }
        let run = manifest.limits, grade = manifest.gradeLimits
        return [
            ["name": "CPU time", "solution": seconds(run?.cpuTime), "grade": seconds(grade?.cpuTime)],
            ["name": "Wall time", "solution": seconds(run?.wallTime), "grade": seconds(grade?.wallTime)],
            ["name": "Memory", "solution": bytes(run?.memory), "grade": bytes(grade?.memory)],
            ["name": "Disk", "solution": bytes(run?.disk), "grade": bytes(grade?.disk)],
            ["name": "Processes", "solution": run?.processes.map(String.init) ?? "default", "grade": grade?.processes.map(String.init) ?? "default"],
            ["name": "GPUs", "solution": String(manifest.gpus ?? 0), "grade": "0"],
        ]
    }

    // MARK: Forms

    /// An URL-encoded form's fields, at most 64 KiB of them.
    static func form<T: Decodable>(_ type: T.Type, from request: Request) async throws -> T {
        let body = try await request.body.collect(upTo: 64 << 10)
        do {
            return try URLEncodedFormDecoder().decode(type, from: String(buffer: body))
        } catch {
            throw Problem.badRequest("the form could not be read; reload the page and try again")
        }
    }

    /// Refuses a form without the session's CSRF value (made on another site, or from an old page).
    static func checkCSRF(_ given: String?, context: ProctorRequestContext) throws {
        guard let expected = context.session?.csrf, let given, TokenCodec.constantTimeEqual(expected, given) else {
            throw Problem.forbidden("the form expired or came from another site; reload the page and try again")
        }
    }

    /// 256 random bits, base64url: session cookies and CSRF values.
    static func randomValue() -> String {
        var generator = SystemRandomNumberGenerator()
        let bytes = (0..<32).map { _ in UInt8.random(in: 0...255, using: &generator) }
        return Data(bytes).base64EncodedString().replacingOccurrences(of: "+", with: "-").replacingOccurrences(of: "/", with: "_")
            .replacingOccurrences(of: "=", with: "")
    }

    /// Where to go after signing in: a path of this site only, never another site.
    static func localPath(_ next: String?) -> String {
        guard let next, next.hasPrefix("/"), !next.hasPrefix("//"), !next.contains("\\"), next.utf8.count <= 512,
            !next.unicodeScalars.contains(where: { $0.value < 0x20 }), next != "/sign-in"
        else { return "/competitions" }
        return next
    }
}
