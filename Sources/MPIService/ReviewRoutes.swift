import Foundation
import Hummingbird
import HummingbirdAuth
import HTTPTypes
import Logging
import MPICore
import MPIStore
import NIOCore

/// The review page's headers on every answer: never cached, never framed, no sniffing, no referrer,
/// and a content security policy that allows the page's own inline style and keys script only. Logs
/// each request's method, route (numbers replaced), status and time at debug level.
struct PageHeaders<Context: RequestContext>: RouterMiddleware {
    let logger: Logger

    @concurrent func handle(_ request: Request, context: Context, next: @concurrent (Request, Context) async throws -> Response) async throws -> Response {
        let started = ContinuousClock.now
        var response: Response
        do {
            response = try await next(request, context)
        } catch let error as HTTPError {
            response = ReviewRoutes.page(error.status, error.body ?? "")
        }
        response.headers[.cacheControl] = "no-store"
        response.headers[.xContentTypeOptions] = "nosniff"
        response.headers[HTTPField.Name("Referrer-Policy")!] = "no-referrer"
        response.headers[HTTPField.Name("X-Frame-Options")!] = "DENY"
        response.headers[.contentSecurityPolicy] =
            "default-src 'none'; style-src 'unsafe-inline'; script-src 'unsafe-inline'; img-src data:; form-action 'self'; frame-ancestors 'none'"
        logger.debug("http request", metadata: ["method": "\(request.method.rawValue)", "route": "\(ReviewServer.route(request.uri.path))",
                                                "status": "\(response.status.code)", "micros": "\((ContinuousClock.now - started).microseconds)"])
        return response
    }
}

/// The review page's routes: sign-in and out, the queue, an item, a decision.
struct ReviewRoutes: Sendable {
    let index: IdentityIndex
    let stewards: Stewards
    let secureCookies: Bool
    let logger: Logger

    /// A form body (application/x-www-form-urlencoded), at most 64 KB.
    struct Form: Decodable {
        var csrf: String?
        var name: String?
        var password: String?
        var decision: String?
        var reason: String?
    }

    func add(to router: Router<ReviewRequestContext>) {
        router.get("login") { request, _ in
            let token = ReviewServer.randomToken()
            var response = Self.page(.ok, ReviewPages.login(csrf: token, failed: request.uri.query?.contains("failed") == true))
            response.setCookie(cookie("mpi_login", token, lifetime: 600))
            return response
        }
        router.post("login") { request, context in
            let form = try await form(request, context)
            guard let token = request.cookies["mpi_login"]?.value, ReviewServer.same(form.csrf ?? "", token) else {
                return Self.page(.forbidden, "The sign-in form expired; go back and sign in again.")
            }
            guard let user = stewards.authenticate(name: form.name ?? "", password: form.password ?? "") else {
                logger.notice("sign-in refused")
                return Response.redirect(to: "/login?failed", type: .normal)
            }
            context.sessions.createSession(StewardSession(user: user, csrf: ReviewServer.randomToken()), expiresIn: ReviewServer.sessionLifetime)
            var response = Response.redirect(to: "/", type: .normal)
            response.setCookie(cookie("mpi_login", "", lifetime: 0))
            return response
        }
        router.post("logout") { request, context in
            guard let session = context.sessions.session else { return Response.redirect(to: "/login", type: .normal) }
            guard ReviewServer.same(try await form(request, context).csrf ?? "", session.csrf) else { return Self.page(.forbidden, "bad form token") }
            context.sessions.clearSession()
            return Response.redirect(to: "/login", type: .normal)
        }
        router.get("/") { request, context in
            guard let session = context.sessions.session else { return Response.redirect(to: "/login", type: .normal) }
            let notice = request.uri.query?.contains("decided") == true ? "Decision recorded." : nil
            do {
                return Self.page(.ok, ReviewPages.queue(try index.reviewQueue(limit: 200), user: session.user, csrf: session.csrf, notice: notice))
            } catch {
                return Self.page(.internalServerError, "the review queue could not be read")
            }
        }
        router.get("review/:id") { _, context in
            guard let session = context.sessions.session else { return Response.redirect(to: "/login", type: .normal) }
            guard let id = context.parameters.get("id", as: Int64.self), let item = try? index.reviewItem(id),
                  let explained = index.explain(item.left, item.right) else {
                return Self.page(.notFound, ReviewPages.page("Not found", user: session.user, csrf: session.csrf,
                    body: "<p>That review item is not in the queue (it may have been decided). <a href=\"/\">Back to the queue</a></p>"))
            }
            index.audit.record(actor: session.user, action: "review_view", detail: ["item": String(id)])
            let persons = (index.enterpriseId(of: item.left), index.enterpriseId(of: item.right))
            var groups = [(person: persons.0 ?? "no person", records: index.personRecords(of: item.left))]
            if persons.1 != persons.0 || persons.1 == nil { groups.append((persons.1 ?? "no person", index.personRecords(of: item.right))) }
            return Self.page(.ok, ReviewPages.item(item, explanation: explained.explanation, kinds: explained.kinds, left: explained.left,
                                                   right: explained.right, persons: persons,
                                                   cluster: ReviewPages.cluster(groups, kinds: explained.kinds),
                                                   user: session.user, csrf: session.csrf))
        }
        router.post("review/:id") { request, context in
            guard let session = context.sessions.session else { return Response.redirect(to: "/login", type: .normal) }
            let form = try await form(request, context)
            guard ReviewServer.same(form.csrf ?? "", session.csrf) else { return Self.page(.forbidden, "bad form token") }
            guard let id = context.parameters.get("id", as: Int64.self), let item = try? index.reviewItem(id) else {
                return Self.page(.notFound, "That review item is not in the queue.")
            }
            guard let kind = DecisionKind(rawValue: form.decision ?? "") else { return Self.page(.badRequest, "decide link, unlink or not_sure") }
            let reason = (form.reason ?? "").trimmingCharacters(in: .whitespacesAndNewlines)
            guard !reason.isEmpty else { return Self.page(.badRequest, "a decision needs a reason") }
            do {
                try index.decide(item.left, item.right, kind, reason: reason, steward: session.user)
            } catch {
                return Self.page(.internalServerError, "the decision could not be stored; nothing was changed")
            }
            return Response.redirect(to: "/?decided", type: .normal)
        }
    }

    private func form(_ request: Request, _ context: ReviewRequestContext) async throws -> Form {
        let body = try await request.body.collect(upTo: 64 * 1024)
        return (try? URLEncodedFormDecoder().decode(Form.self, from: String(buffer: body))) ?? Form()
    }

    private func cookie(_ name: String, _ value: String, lifetime: Int) -> Cookie {
        Cookie(name: name, value: value, maxAge: lifetime, path: "/", secure: secureCookies, httpOnly: true, sameSite: .strict)
    }

    static func page(_ status: HTTPResponse.Status, _ html: String) -> Response {
        Response(status: status, headers: [.contentType: "text/html; charset=utf-8"], body: ResponseBody(byteBuffer: ByteBuffer(string: html)))
    }
}
