public import Logging
import Foundation
import MPICore
import MPIStore
public import NIOCore
import NIOHTTP1
public import NIOPosix
public import ServiceLifecycle
import Synchronization

/// The analysts' review page over HTTP (NIOHTTP1): sign-in, the review queue, a pair side by side
/// with its waterfall, and link / unlink / not-sure decisions stored as steward decisions.
///
/// Security: per-user credentials (PBKDF2 hashes, `Stewards`); a session cookie that is HttpOnly and
/// SameSite=Strict (and Secure when `secureCookies` is set behind TLS); a CSRF token on every POST,
/// tied to the session (and to a pre-session cookie for the sign-in form); no demographics in URLs
/// or logs (paths name review item numbers only); pages are never cached and may not be framed.
public final class ReviewServer: Service {
    private let index: IdentityIndex
    private let stewards: Stewards
    private let logger: Logger
    private let channel: NIOAsyncChannel<NIOAsyncChannel<HTTPServerRequestPart, HTTPServerResponsePart>, Never>
    private let sessions = Mutex<[String: Session]>([:])
    private let secureCookies: Bool
    public let address: SocketAddress?

    struct Session {
        let user: String
        let csrf: String
        var expires: Date
    }

    static let sessionLifetime: TimeInterval = 8 * 3600

    public init(index: IdentityIndex, stewards: Stewards, host: String, port: Int, secureCookies: Bool = false, logger: Logger,
                group: any EventLoopGroup = MultiThreadedEventLoopGroup.singleton) async throws {
        self.index = index
        self.stewards = stewards
        self.logger = logger
        self.secureCookies = secureCookies
        channel = try await ServerBootstrap(group: group)
            .serverChannelOption(.backlog, value: 64)
            .serverChannelOption(.socketOption(.so_reuseaddr), value: 1)
            .bind(host: host, port: port) { channel in
                channel.eventLoop.makeCompletedFuture {
                    try channel.pipeline.syncOperations.configureHTTPServerPipeline(withErrorHandling: true)
                    return try NIOAsyncChannel<HTTPServerRequestPart, HTTPServerResponsePart>.acceptedConnection(channel)
                }
            }
        address = channel.channel.localAddress
    }

    public func run() async throws {
        logger.info("review page ready", metadata: ["http": "\(address.map { "\($0)" } ?? "?")"])
        try await channel.serveConnections { connection in await self.serve(connection) }
    }

    // MARK: HTTP plumbing

    struct Request {
        var method: HTTPMethod
        var path: String
        var headers: HTTPHeaders
        var body = ByteBuffer()

        func cookie(_ name: String) -> String? {
            for header in headers[canonicalForm: "cookie"] {
                for part in header.split(separator: ";") {
                    let pair = part.trimmingCharacters(in: .whitespaces).split(separator: "=", maxSplits: 1)
                    if pair.count == 2, pair[0] == name { return String(pair[1]) }
                }
            }
            return nil
        }

        /// An application/x-www-form-urlencoded body.
        var form: [String: String] {
            var fields: [String: String] = [:]
            for pair in String(buffer: body).split(separator: "&") {
                let parts = pair.split(separator: "=", maxSplits: 1).map {
                    String($0).replacingOccurrences(of: "+", with: " ").removingPercentEncoding ?? ""
                }
                if let key = parts.first { fields[key] = parts.count > 1 ? parts[1] : "" }
            }
            return fields
        }
    }

    struct Response {
        var status: HTTPResponseStatus
        var body: String = ""
        var headers: [(String, String)] = []

        static func redirect(_ location: String, cookies: [String] = []) -> Response {
            Response(status: .seeOther, headers: [("Location", location)] + cookies.map { ("Set-Cookie", $0) })
        }
    }

    private func serve(_ connection: NIOAsyncChannel<HTTPServerRequestPart, HTTPServerResponsePart>) async {
        do {
            try await connection.executeThenClose { inbound, outbound in
                var request: Request? = nil
                for try await part in inbound {
                    switch part {
                    case .head(let head):
                        request = Request(method: head.method, path: head.uri, headers: head.headers)
                    case .body(var chunk):
                        guard request != nil else { continue }
                        if request!.body.readableBytes + chunk.readableBytes > 64 * 1024 {
                            request = nil   // too large: answered below
                            try await write(Response(status: .payloadTooLarge, body: "too large"), to: outbound)
                            return
                        }
                        request!.body.writeBuffer(&chunk)
                    case .end:
                        guard let complete = request else { continue }
                        let started = ContinuousClock.now
                        let response = handle(complete)
                        try await write(response, to: outbound)
                        logger.debug("http request", metadata: ["method": "\(complete.method.rawValue)", "route": "\(Self.route(complete.path))",
                                                                "status": "\(response.status.code)",
                                                                "micros": "\((ContinuousClock.now - started).microseconds)"])
                        return   // one request per connection (Connection: close)
                    }
                }
            }
        } catch {
            logger.debug("http connection ended", metadata: ["reason": "\(type(of: error))"])
        }
    }

    /// The path with numbers replaced, for logs.
    static func route(_ path: String) -> String {
        path.split(separator: "?").first.map { $0.split(separator: "/").map { $0.allSatisfy(\.isNumber) ? ":id" : String($0) }.joined(separator: "/") }
            .map { "/" + $0 } ?? "/"
    }

    private func write(_ response: Response, to outbound: NIOAsyncChannelOutboundWriter<HTTPServerResponsePart>) async throws {
        var headers = HTTPHeaders()
        headers.add(name: "Content-Type", value: "text/html; charset=utf-8")
        headers.add(name: "Content-Length", value: String(response.body.utf8.count))
        headers.add(name: "Connection", value: "close")
        headers.add(name: "Cache-Control", value: "no-store")
        headers.add(name: "X-Content-Type-Options", value: "nosniff")
        headers.add(name: "Referrer-Policy", value: "no-referrer")
        headers.add(name: "X-Frame-Options", value: "DENY")
        headers.add(name: "Content-Security-Policy",
                    value: "default-src 'none'; style-src 'unsafe-inline'; script-src 'unsafe-inline'; img-src data:; form-action 'self'; frame-ancestors 'none'")
        for (name, value) in response.headers { headers.add(name: name, value: value) }
        try await outbound.write(.head(HTTPResponseHead(version: .http1_1, status: response.status, headers: headers)))
        try await outbound.write(.body(.byteBuffer(ByteBuffer(string: response.body))))
        try await outbound.write(.end(nil))
    }

    // MARK: routes

    private func handle(_ request: Request) -> Response {
        let path = String(request.path.split(separator: "?").first ?? "/")
        let session = request.cookie("mpi_session").flatMap { id in
            sessions.withLock { sessions -> Session? in
                guard let found = sessions[id] else { return nil }
                guard found.expires > Date() else { sessions[id] = nil; return nil }
                return found
            }
        }
        switch (request.method, path) {
        case (.GET, "/login"):
            let token = Self.randomToken()
            return Response(status: .ok, body: ReviewPages.login(csrf: token, failed: request.path.contains("failed")),
                            headers: [("Set-Cookie", cookie("mpi_login", token, lifetime: 600))])
        case (.POST, "/login"):
            let form = request.form
            guard let token = request.cookie("mpi_login"), Self.same(form["csrf"] ?? "", token) else {
                return Response(status: .forbidden, body: "The sign-in form expired; go back and sign in again.")
            }
            guard let user = stewards.authenticate(name: form["name"] ?? "", password: form["password"] ?? "") else {
                logger.notice("sign-in refused")
                return .redirect("/login?failed")
            }
            let id = Self.randomToken()
            sessions.withLock { sessions in
                sessions = sessions.filter { $0.value.expires > Date() }
                sessions[id] = Session(user: user, csrf: Self.randomToken(), expires: Date().addingTimeInterval(Self.sessionLifetime))
            }
            return .redirect("/", cookies: [cookie("mpi_session", id, lifetime: Int(Self.sessionLifetime)), cookie("mpi_login", "", lifetime: 0)])
        case (_, _) where session == nil:
            return .redirect("/login")
        case (.POST, "/logout"):
            guard Self.same(request.form["csrf"] ?? "", session!.csrf) else { return Response(status: .forbidden, body: "bad form token") }
            sessions.withLock { sessions in sessions = sessions.filter { $0.value.user != session!.user || $0.value.csrf != session!.csrf } }
            return .redirect("/login", cookies: [cookie("mpi_session", "", lifetime: 0)])
        case (.GET, "/"):
            do {
                let notice = request.path.contains("decided") ? "Decision recorded." : nil
                return Response(status: .ok, body: ReviewPages.queue(try index.reviewQueue(limit: 200), user: session!.user, csrf: session!.csrf, notice: notice))
            } catch {
                return Response(status: .internalServerError, body: "the review queue could not be read")
            }
        case (.GET, _) where path.hasPrefix("/review/"):
            guard let id = Int64(path.dropFirst("/review/".count)), let item = try? index.reviewItem(id),
                  let explained = index.explain(item.left, item.right) else {
                return Response(status: .notFound, body: ReviewPages.page("Not found", user: session!.user, csrf: session!.csrf,
                                                                          body: "<p>That review item is not in the queue (it may have been decided). <a href=\"/\">Back to the queue</a></p>"))
            }
            index.audit.record(actor: session!.user, action: "review_view", detail: ["item": String(id)])
            let persons = (index.enterpriseId(of: item.left), index.enterpriseId(of: item.right))
            var groups = [(person: persons.0 ?? "no person", records: index.personRecords(of: item.left))]
            if persons.1 != persons.0 || persons.1 == nil { groups.append((persons.1 ?? "no person", index.personRecords(of: item.right))) }
            return Response(status: .ok, body: ReviewPages.item(item, explanation: explained.explanation, kinds: explained.kinds, left: explained.left,
                                                                right: explained.right, persons: persons,
                                                                cluster: ReviewPages.cluster(groups, kinds: explained.kinds),
                                                                user: session!.user, csrf: session!.csrf))
        case (.POST, _) where path.hasPrefix("/review/"):
            let form = request.form
            guard Self.same(form["csrf"] ?? "", session!.csrf) else { return Response(status: .forbidden, body: "bad form token") }
            guard let id = Int64(path.dropFirst("/review/".count)), let item = try? index.reviewItem(id) else {
                return Response(status: .notFound, body: "That review item is not in the queue.")
            }
            guard let kind = DecisionKind(rawValue: form["decision"] ?? "") else {
                return Response(status: .badRequest, body: "decide link, unlink or not_sure")
            }
            let reason = (form["reason"] ?? "").trimmingCharacters(in: .whitespacesAndNewlines)
            guard !reason.isEmpty else { return Response(status: .badRequest, body: "a decision needs a reason") }
            do {
                try index.decide(item.left, item.right, kind, reason: reason, steward: session!.user)
            } catch {
                return Response(status: .internalServerError, body: "the decision could not be stored; nothing was changed")
            }
            return .redirect("/?decided")
        default:
            return Response(status: .notFound, body: "not found")
        }
    }

    private func cookie(_ name: String, _ value: String, lifetime: Int) -> String {
        "\(name)=\(value); Path=/; HttpOnly; SameSite=Strict; Max-Age=\(lifetime)" + (secureCookies ? "; Secure" : "")
    }

    static func randomToken() -> String {
        var generator = SystemRandomNumberGenerator()
        return (0..<4).map { _ in String(generator.next(), radix: 16) }.joined(separator: "-")
    }

    /// Constant-time comparison of two tokens.
    static func same(_ a: String, _ b: String) -> Bool {
        let x = Array(a.utf8), y = Array(b.utf8)
        guard x.count == y.count, !x.isEmpty else { return false }
        var difference: UInt8 = 0
        for (p, q) in zip(x, y) { difference |= p ^ q }
        return difference == 0
    }
}
