public import Hummingbird
public import HummingbirdAuth
public import Logging
import Foundation
import MPICore
import MPIStore
public import NIOCore
public import NIOPosix
public import ServiceLifecycle

/// A signed-in steward's session, as hummingbird-auth's session middleware keeps it (in memory, by a
/// random id in the `mpi_session` cookie): who, and the CSRF token of every form they post.
public struct StewardSession: Codable, Sendable {
    let user: String
    let csrf: String
}

/// The review page's request context: Hummingbird's, with the steward's session.
public struct ReviewRequestContext: SessionRequestContext, RequestContext {
    public var coreContext: CoreRequestContextStorage
    public let sessions: SessionContext<StewardSession>

    public init(source: Source) {
        coreContext = .init(source: source)
        sessions = .init()
    }
}

/// The analysts' review page over HTTP, on Hummingbird: sign-in, the review queue, a pair side by side
/// with its waterfall, and link / unlink / not-sure decisions stored as steward decisions. Routing,
/// cookies and the sign-in session come from Hummingbird and hummingbird-auth.
///
/// Security: per-user credentials (PBKDF2 hashes, `Stewards`); a session cookie that is HttpOnly and
/// SameSite=Strict (and Secure when `secureCookies` is set behind TLS); a CSRF token on every POST,
/// tied to the session (and to a pre-session cookie for the sign-in form); no demographics in URLs
/// or logs (paths name review item numbers only); pages are never cached and may not be framed.
public final class ReviewServer: Service {
    /// The Hummingbird application, already listening: started when the server is made, so the port
    /// is bound (and `address` known) before `run()`, as a listener bound in an initialiser would be.
    private let serving: Task<Void, any Error>
    public let address: SocketAddress?

    static let sessionLifetime: Duration = .seconds(8 * 3600)

    /// Starts listening on HOST:PORT (a port of 0: a free one) and returns once it listens; `run()`
    /// then serves until cancelled or shut down gracefully.
    public init(index: IdentityIndex, stewards: Stewards, host: String, port: Int, secureCookies: Bool = false, logger: Logger,
                group: any EventLoopGroup = MultiThreadedEventLoopGroup.singleton) async throws {
        let sessions = MemoryPersistDriver()
        let router = Self.router(index: index, stewards: stewards, secureCookies: secureCookies, sessions: sessions, logger: logger)
        let (listening, bound) = AsyncStream.makeStream(of: SocketAddress?.self)
        let application = Application(router: router, configuration: .init(address: .hostname(host, port: port)), services: [sessions],
                                      onServerRunning: { channel in
                                          bound.yield(channel.localAddress)
                                          bound.finish()
                                      }, eventLoopGroupProvider: .shared(group), logger: logger)
        let serving = Task {
            defer { bound.finish() }   // a failed bind ends the wait below
            try await application.run()
        }
        var addresses = listening.makeAsyncIterator()
        guard let address = await addresses.next() else {
            try await serving.value   // throws the bind's error
            throw ServiceError(.internalError, "the review page could not listen on \(host):\(port)")
        }
        self.serving = serving
        self.address = address
        logger.info("review page ready", metadata: ["http": "\(address.map { "\($0)" } ?? "?")"])
    }

    deinit { serving.cancel() }

    public func run() async throws {
        let serving = serving
        try await withGracefulShutdownHandler {
            try await withTaskCancellationHandler { try await serving.value } onCancel: { serving.cancel() }
        } onGracefulShutdown: {
            serving.cancel()
        }
    }

    /// The page's routes with its middleware (headers, then the session), keeping sessions in
    /// `sessions`; the server serves it, and tests drive it without a socket.
    public static func router(index: IdentityIndex, stewards: Stewards, secureCookies: Bool, sessions: MemoryPersistDriver<ContinuousClock>,
                              logger: Logger) -> Router<ReviewRequestContext> {
        let router = Router(context: ReviewRequestContext.self)
        router.add(middleware: PageHeaders(logger: logger))
        router.add(middleware: SessionMiddleware(storage: sessions, configuration: .init(
            sessionCookieParameters: .init(name: "mpi_session", path: "/", secure: secureCookies, sameSite: .strict),
            defaultSessionExpiration: Self.sessionLifetime)))
        ReviewRoutes(index: index, stewards: stewards, secureCookies: secureCookies, logger: logger).add(to: router)
        return router
    }

    /// The path with numbers replaced, for logs.
    static func route(_ path: String) -> String {
        path.split(separator: "?").first.map { $0.split(separator: "/").map { $0.allSatisfy(\.isNumber) ? ":id" : String($0) }.joined(separator: "/") }
            .map { "/" + $0 } ?? "/"
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
