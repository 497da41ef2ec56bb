internal import Foundation

/// Where a PostgreSQL identity store is: a `postgres://user:password@host:port/dbname?sslmode=...`
/// URL, as libpq and every PostgreSQL tool write it. The password never leaves this value except to
/// the server: `description` is the URL without it, for messages, logs and `mpi status`.
public struct PostgresLocation: Sendable, Hashable, CustomStringConvertible {
    public enum TLSMode: String, Sendable, Hashable {
        /// No TLS (loopback, a trusted network, a Unix socket).
        case disable
        /// TLS when the server offers it, plain otherwise (libpq's default).
        case prefer
        /// TLS or no connection; the server's certificate is checked against the system's roots.
        case require
        /// As `require`, the name checked too (libpq's `verify-full`).
        case verifyFull = "verify-full"
    }

    public let user: String
    let password: String?
    public let host: String
    public let port: Int
    public let database: String
    public let tls: TLSMode
    /// The most connections one process opens (`?pool=N`; 8 by default).
    public let poolSize: Int

    /// Whether `text` names a PostgreSQL store rather than a SQLite file.
    public static func isURL(_ text: String) -> Bool {
        text.hasPrefix("postgres://") || text.hasPrefix("postgresql://")
    }

    public init(url text: String) throws(LocationError) {
        guard Self.isURL(text), let components = URLComponents(string: text) else {
            throw LocationError("not a postgres:// URL")
        }
        guard let host = components.host, !host.isEmpty else { throw LocationError("the URL names no host") }
        let database = components.path.hasPrefix("/") ? String(components.path.dropFirst()) : components.path
        guard !database.isEmpty else { throw LocationError("the URL names no database (postgres://user@host:port/DBNAME)") }
        var tls = TLSMode.prefer
        var poolSize = 8
        for item in components.queryItems ?? [] {
            switch item.name {
            case "sslmode":
                switch item.value ?? "" {
                case "disable", "allow": tls = .disable
                case "prefer": tls = .prefer
                case "require", "verify-ca": tls = .require
                case "verify-full": tls = .verifyFull
                default: throw LocationError("sslmode must be disable, prefer, require, verify-ca or verify-full")
                }
            case "pool":
                guard let size = Int(item.value ?? ""), (1...256).contains(size) else { throw LocationError("pool must be 1 to 256 connections") }
                poolSize = size
            default:
                throw LocationError("unknown URL parameter \(item.name) (known: sslmode, pool)")
            }
        }
        self.user = components.user.flatMap { $0.removingPercentEncoding } ?? (ProcessInfo.processInfo.environment["USER"] ?? "postgres")
        self.password = components.password.flatMap { $0.removingPercentEncoding }
        self.host = host
        self.port = components.port ?? 5432
        self.database = database.removingPercentEncoding ?? database
        self.tls = tls
        self.poolSize = poolSize
    }

    /// The URL without its password.
    public var description: String {
        "postgres://\(user)@\(host):\(port)/\(database)" + (tls == .prefer ? "" : "?sslmode=\(tls.rawValue)")
    }

    public struct LocationError: Error, CustomStringConvertible, Sendable {
        public let description: String
        init(_ reason: String) { description = "bad PostgreSQL URL: \(reason)" }
    }
}
