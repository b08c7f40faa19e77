import Foundation
import HTTPTypes
import Hummingbird
import Mustache
import ProctorCore

/// Renders the pages: Mustache templates (``WebTemplates``), HTML answers
/// with the headers a page needs against framing, sniffing and scripts from
/// elsewhere.
struct WebPage: Sendable {
    let library: MustacheLibrary

    init() {
        var library = MustacheLibrary()
        for (name, text) in WebTemplates.all {
            // The templates are the program's own: one that does not parse is a bug caught by every test.
            do { try library.register(text, named: name) } catch { preconditionFailure("template \(name) does not parse: \(error)") }
        }
        self.library = library
    }

    /// The page `template` with `values`, for the signed-in `viewer` (if any).
    func render(_ template: String, _ values: [String: Any], viewer: ProctorRequestContext? = nil,
                status: HTTPResponse.Status = .ok) -> Response {
        var values = values
        if let context = viewer, let principal = context.principal {
            values["viewer"] = ["name": principal.user.name, "admin": principal.isAdmin, "csrf": context.session?.csrf ?? ""] as [String: Any]
            values["csrf"] = context.session?.csrf ?? ""
        }
        let html = library.render(values, withTemplate: template) ?? "<!doctype html><title>Proctor</title><p>This page could not be shown.</p>"
        return Self.html(html, status: status)
    }

    /// An HTML answer with the pages' security headers.
    static func html(_ text: String, status: HTTPResponse.Status = .ok) -> Response {
        var headers = HTTPFields()
        headers[.contentType] = "text/html; charset=utf-8"
        headers[.cacheControl] = "no-store"
        secure(&headers)
        return Response(status: status, headers: headers, body: .init(byteBuffer: ByteBuffer(string: text)))
    }

    /// Scripts and styles from this server only, no framing, no sniffing, no referrer to elsewhere.
    static func secure(_ headers: inout HTTPFields) {
        headers[HTTPField.Name("Content-Security-Policy")!] =
            "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; frame-ancestors 'none'; form-action 'self'; base-uri 'none'"
        headers[HTTPField.Name("X-Frame-Options")!] = "DENY"
        headers[HTTPField.Name("X-Content-Type-Options")!] = "nosniff"
        headers[HTTPField.Name("Referrer-Policy")!] = "same-origin"
    }

    /// A 303 to `location` (after a form, or to the sign-in page).
    static func redirect(_ location: String) -> Response {
        var headers = HTTPFields()
        headers[.location] = location
        secure(&headers)
        return Response(status: .seeOther, headers: headers)
    }

    /// A time as pages show it: UTC, to the second.
    static func time(_ date: Date?) -> String {
        guard let date else { return "" }
        return date.formatted(.iso8601.year().month().day().time(includingFractionalSeconds: false).timeSeparator(.colon)) .replacingOccurrences(of: "T", with: " ") + " UTC"
    }

    /// Seconds as a person reads them: 42 s, 3 min, 2 h 5 min.
    static func duration(_ seconds: Double) -> String {
        let s = Int(seconds.rounded())
        if s < 120 { return "\(s) s" }
        if s < 7200 { return "\(s / 60) min" }
        return "\(s / 3600) h \(s % 3600 / 60) min"
    }
}

/// Turns every error of a page into a page that says what was wrong (never
/// a stack trace, a JSON body or a blank page): a problem's title and
/// detail, when to try again, and a way back.
struct WebProblemMiddleware: RouterMiddleware {
    typealias Context = ProctorRequestContext
    let pages: WebPage

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        do {
            return try await next(request, context)
        } catch let problem as Problem {
            return page(problem, request: request, context: context)
        } catch let error as HTTPError where error.status == .notFound {
            return page(Problem(.notFound, slug: "no-such-page", title: "No such page", detail: "there is no page at \(request.uri.path.prefix(200))"),
                        request: request, context: context)
        } catch {
            context.logger.error("a page failed", metadata: ["error": "\(error)"])
            return page(Problem(.internalServerError, slug: "internal", title: "Something went wrong",
                                detail: "the page could not be made; the error is in the server's log under request \(context.requestID)"),
                        request: request, context: context)
        }
    }

    private func page(_ problem: Problem, request: Request, context: Context) -> Response {
        var values: [String: Any] = ["title": problem.title, "detail": problem.detail, "back": backLink(request)]
        if let retry = problem.retryAfter { values["retry"] = WebPage.duration(Double(retry)) }
        var response = pages.render("problem", values, viewer: context, status: problem.status)
        if let retry = problem.retryAfter { response.headers[.retryAfter] = String(retry) }
        return response
    }

    /// Where "Back" goes: the competition of a failed submission, else the list.
    private func backLink(_ request: Request) -> String {
        let parts = request.uri.path.split(separator: "/")
        if parts.count >= 2, parts[0] == "competitions", Identifier.isCompetitionID(String(parts[1])) { return "/competitions/\(parts[1])" }
        return "/competitions"
    }
}
