import ArgumentParser
import Foundation
import Hummingbird
import MPILinkage
import Logging
import MPICore
import MPINormalize
import MPIService
import MPIStore
import NIOCore
import NIOSSL
import ServiceLifecycle
import UnixSignals

extension MPI {
    struct Serve: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Answer lookups and registrations in real time: HL7 v2 over MLLP and JSON lines.",
            discussion: """
            Loads every active record of the store into memory with the store's latest model and link \
            settings, then listens. Registrations are linked exactly as `mpi link` links and are durable \
            in the store before they are acknowledged. SIGTERM or SIGINT stops accepting, finishes the \
            requests in hand and closes the store. Protocols and the clients file: docs/protocol.md.
            """
        )

        @Option(help: "The identity store, after `mpi import` and `mpi link`: a SQLite file or a postgres:// URL (default: $MPI_DATABASE_URL, else mpi.sqlite).") var db = StoreOptions.defaultLocation
        @Option(help: "Listen for HL7 v2 over MLLP on HOST:PORT.") var mllp: String?
        @Option(help: "Listen for JSON lines on HOST:PORT.") var json: String?
        @Option(help: "Listen for JSON lines on a Unix socket at PATH.") var jsonUnix: String?
        @Option(help: "The clients file: identifier domains, clients, tokens, permissions (JSON). Needed with --mllp, --json, --json-unix.") var clients: String?
        @Option(help: "Serve the review page over HTTP on HOST:PORT.") var http: String?
        @Option(help: "Serve FHIR R4 (PIXm, PDQm, $match, Patient read) under /fhir over HTTP on HOST:PORT. Needs --clients.") var fhir: String?
        @Option(help: "The FHIR base URL clients see (behind a proxy); default http://HOST:PORT/fhir.") var fhirBase: String?
        @Option(help: "The review page's users file: steward names and password hashes (see `mpi password-hash`).") var users: String?
        @Flag(help: "Mark the review page's cookies Secure (when it is reached through a TLS proxy).") var secureCookies = false
        @Flag(help: "Other `mpi serve` replicas write to this store too (one PostgreSQL database): apply their registrations, merges and decisions from the outbox every 200 ms, and decide each registration after theirs, under the database's lock.")
        var replica = false
        @Option(help: "TLS certificate chain (PEM) for the TCP listeners.") var tlsCert: String?
        @Option(help: "TLS private key (PEM).") var tlsKey: String?
        @Option(help: "CA certificates (PEM): clients must present a certificate they sign (mutual TLS).") var tlsCa: String?
        @Option(help: "Use this job's blocking rules and thresholds instead of those stored with the model.") var job: String?
        @Option(help: "Largest HL7 message or JSON request line, in bytes.") var maxMessageBytes = 1 << 20
        @Option(help: "Close a connection idle for this many seconds.") var idleTimeout = 300
        @Option(help: "Log level: trace, debug, info, notice, warning, error.") var logLevel = "info"

        func validate() throws {
            guard mllp != nil || json != nil || jsonUnix != nil || http != nil || fhir != nil else {
                throw ValidationError("give at least one of --mllp, --json, --json-unix, --http, --fhir")
            }
            if mllp != nil || json != nil || jsonUnix != nil || fhir != nil, clients == nil {
                throw ValidationError("--mllp, --json, --json-unix and --fhir need --clients")
            }
            if let fhir, ServerConfiguration.Endpoint(fhir) == nil { throw ValidationError("--fhir must be HOST:PORT, e.g. 127.0.0.1:8090") }
            if http != nil, users == nil { throw ValidationError("--http needs --users") }
            if let http, ServerConfiguration.Endpoint(http) == nil { throw ValidationError("--http must be HOST:PORT, e.g. 127.0.0.1:8080") }
            if (tlsCert == nil) != (tlsKey == nil) { throw ValidationError("--tls-cert and --tls-key go together") }
            if tlsCa != nil, tlsCert == nil { throw ValidationError("--tls-ca needs --tls-cert and --tls-key") }
            for (name, value) in [("--mllp", mllp), ("--json", json)] {
                if let value, ServerConfiguration.Endpoint(value) == nil { throw ValidationError("\(name) must be HOST:PORT, e.g. 127.0.0.1:2575") }
            }
            guard Logger.Level(rawValue: logLevel) != nil else { throw ValidationError("unknown --log-level \(logLevel)") }
        }

        func run() async throws {
            let level = Logger.Level(rawValue: logLevel) ?? .info
            LoggingSystem.bootstrap { label in
                var handler = StreamLogHandler.standardError(label: label)
                handler.logLevel = level
                return handler
            }
            let logger = Logger(label: "mpi.serve")
            var registry = ClientRegistry(domains: [], clients: [])
            if let clients {
                do { registry = try ClientRegistry.load(path: clients) } catch { throw CLIError("\(error)") }
            }
            let stewards: Stewards?
            do { stewards = try users.map(Stewards.load) } catch { throw CLIError("\(error)") }
            let store = try StoreOptions.openExisting(db, durableCommits: true)
            let settings = try job.map { path -> LinkSettings in
                let linkageJob = try JobFile.load(path)
                return LinkSettings(rules: linkageJob.blocking.rules, maximumBlockSize: linkageJob.blocking.maximumBlockSize,
                                    thresholds: linkageJob.thresholds)
            }
            var clock = Stopwatch()
            let index: IdentityIndex
            do {
                index = try IdentityIndex(store: store, builder: try ReferenceData.matchRecordBuilder(), settings: settings,
                                          today: .today, followsOtherWriters: replica)
            } catch let error as ServiceError {
                throw CLIError(error.message)
            }
            logger.info("index loaded", metadata: ["records": "\(index.recordCount)", "seconds": "\(String(format: "%.1f", clock.lap()))"])

            var configuration = ServerConfiguration()
            configuration.mllp = mllp.flatMap(ServerConfiguration.Endpoint.init)
            configuration.json = json.flatMap(ServerConfiguration.Endpoint.init)
            configuration.jsonUnixPath = jsonUnix
            configuration.maximumMessageSize = maxMessageBytes
            configuration.idleTimeout = .seconds(Int64(idleTimeout))
            if let tlsCert, let tlsKey {
                var tls = TLSConfiguration.makeServerConfiguration(
                    certificateChain: try NIOSSLCertificate.fromPEMFile(tlsCert).map { .certificate($0) },
                    privateKey: .privateKey(try NIOSSLPrivateKey(file: tlsKey, format: .pem)))
                if let tlsCa {
                    tls.trustRoots = .file(tlsCa)
                    tls.certificateVerification = .noHostnameVerification
                }
                configuration.tls = tls
            }
            var services: [ServiceGroupConfiguration.ServiceConfiguration] = []
            if mllp != nil || json != nil || jsonUnix != nil {
                let server = try await LookupServer(index: index, registry: registry, configuration: configuration, logger: logger)
                if let address = server.mllpAddress { StandardError.write("mllp listening on \(address)\n") }
                if let address = server.jsonAddress { StandardError.write("json listening on \(address)\n") }
                if let jsonUnix { StandardError.write("json listening on unix:\(jsonUnix)\n") }
                services.append(.init(service: server))
            }
            if let http, let endpoint = ServerConfiguration.Endpoint(http), let stewards {
                let review = try await ReviewServer(index: index, stewards: stewards, host: endpoint.host, port: endpoint.port,
                                                   secureCookies: secureCookies, logger: logger)
                if let address = review.address { StandardError.write("review page on http://\(endpoint.host):\(address.port ?? endpoint.port)/\n") }
                services.append(.init(service: review))
            }
            if let fhir, let endpoint = ServerConfiguration.Endpoint(fhir) {
                let router = Router(context: FHIRRequestContext.self)
                FHIRAPI(index: index, registry: registry, base: fhirBase ?? "http://\(fhir)/fhir").addRoutes(to: router)
                let application = Application(router: router, configuration: .init(address: .hostname(endpoint.host, port: endpoint.port)),
                                              onServerRunning: { channel in
                                                  StandardError.write("fhir on http://\(endpoint.host):\(channel.localAddress?.port ?? endpoint.port)/fhir\n")
                                              }, logger: logger)
                services.append(.init(service: application))
            }
            if !services.isEmpty { services.append(.init(service: StoreWatcher(index: index, logger: logger))) }
            if !services.isEmpty && replica { services.append(.init(service: ChangeFollower(index: index, logger: logger))) }
            // Each subscriber of the clients file is sent the outbox of identity changes (docs/protocol.md).
            for subscriber in registry.subscribers ?? [] where !services.isEmpty {
                services.append(.init(service: NotificationDelivery(store: store, subscriber: subscriber, registry: registry, logger: logger)))
                StandardError.write("notifying \(subscriber.name) at \(subscriber.endpoint) (\(subscriber.profile.rawValue))\n")
            }
            let group = ServiceGroup(configuration: .init(services: services, gracefulShutdownSignals: [.sigterm, .sigint], logger: logger))
            try await group.run()
            _ = try? index.audit.flush()
        }
    }

    struct PasswordHash: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "password-hash",
            abstract: "Hash a review-page password for the users file (reads the password from standard input)."
        )

        func run() async throws {
            guard let password = readLine(strippingNewline: true), !password.isEmpty else { throw CLIError("give the password on standard input") }
            print(try Stewards.hash(password: password))
        }
    }
}
