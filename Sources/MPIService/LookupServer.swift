public import Logging
public import NIOCore
public import NIOPosix
public import NIOSSL
public import ServiceLifecycle
import Synchronization
import MPIProtocol

/// Where and how the lookup service listens.
public struct ServerConfiguration: Sendable {
    public struct Endpoint: Sendable, Hashable {
        public var host: String
        public var port: Int
        public init(host: String, port: Int) {
            self.host = host
            self.port = port
        }

        /// Parses "HOST:PORT".
        public init?(_ text: String) {
            guard let colon = text.lastIndex(of: ":"), let port = Int(text[text.index(after: colon)...]), (0...65535).contains(port) else { return nil }
            host = String(text[..<colon])
            self.port = port
            if host.isEmpty { return nil }
        }
    }

    public var mllp: Endpoint?
    public var json: Endpoint?
    public var jsonUnixPath: String?
    /// TLS for both TCP listeners; with trust roots set, clients must present a certificate (mutual TLS).
    public var tls: TLSConfiguration?
    /// Largest HL7 message or JSON request line accepted, in bytes.
    public var maximumMessageSize = 1 << 20
    /// A connection that sends nothing for this long is closed.
    public var idleTimeout: TimeAmount = .minutes(5)
    /// Connections per client when the clients file does not say.
    public var maximumConnectionsPerClient = 16
    /// How often lookup audit entries are written to the store.
    public var auditFlushInterval: Duration = .milliseconds(200)

    public init() {}
}

/// The lookup service: HL7 v2 over MLLP and JSON lines over TCP and a Unix socket, on SwiftNIO. A
/// swift-service-lifecycle `Service`: on graceful shutdown (SIGTERM, SIGINT) it stops accepting, lets
/// each connection finish the request in hand, writes the pending audit entries and returns.
public final class LookupServer: Service {
    private let index: IdentityIndex
    private let registry: ClientRegistry
    private let configuration: ServerConfiguration
    private let logger: Logger
    private let limiter: ConnectionLimiter
    private let mllpChannel: NIOAsyncChannel<NIOAsyncChannel<ByteBuffer, ByteBuffer>, Never>?
    private let jsonChannel: NIOAsyncChannel<NIOAsyncChannel<ByteBuffer, ByteBuffer>, Never>?
    private let unixChannel: NIOAsyncChannel<NIOAsyncChannel<ByteBuffer, ByteBuffer>, Never>?
    private let requestCounter = Atomic<Int>(0)
    /// Registrations, updates and merges can wait on the store's write lock (up to a minute while a link
    /// run commits): they run on this thread, not on the cooperative pool whose few threads every
    /// connection's requests share, so lookups never queue behind them.
    private let writer = NIOThreadPool(numberOfThreads: 1)

    /// The bound addresses (a port of 0 in the configuration is resolved here).
    public let mllpAddress: SocketAddress?
    public let jsonAddress: SocketAddress?

    private enum Framing { case mllp, jsonLines }

    /// Binds the listeners; `run()` then serves them.
    public init(index: IdentityIndex, registry: ClientRegistry, configuration: ServerConfiguration, logger: Logger,
                group: any EventLoopGroup = MultiThreadedEventLoopGroup.singleton) async throws {
        self.index = index
        self.registry = registry
        self.configuration = configuration
        self.logger = logger
        limiter = ConnectionLimiter(defaultMaximum: configuration.maximumConnectionsPerClient)
        let sslContext = try configuration.tls.map { try NIOSSLContext(configuration: $0) }
        let size = configuration.maximumMessageSize
        let idle = configuration.idleTimeout

        @Sendable func initializer(_ framing: Framing, tls: NIOSSLContext?) -> @Sendable (any Channel) -> EventLoopFuture<NIOAsyncChannel<ByteBuffer, ByteBuffer>> {
            { channel in
                channel.eventLoop.makeCompletedFuture {
                    let pipeline = channel.pipeline.syncOperations
                    if let tls { try pipeline.addHandler(NIOSSLServerHandler(context: tls)) }
                    try pipeline.addHandler(IdleStateHandler(readTimeout: idle))
                    try pipeline.addHandler(IdleConnectionCloser())
                    switch framing {
                    case .mllp:
                        try pipeline.addHandler(ByteToMessageHandler(MLLPFrameDecoder(maximumMessageSize: size)))
                        try pipeline.addHandler(MessageToByteHandler(MLLPFrameEncoder()))
                    case .jsonLines:
                        try pipeline.addHandler(ByteToMessageHandler(JSONLineDecoder(maximumLineLength: size)))
                    }
                    return try NIOAsyncChannel<ByteBuffer, ByteBuffer>.acceptedConnection(channel)
                }
            }
        }
        func bootstrap() -> ServerBootstrap {
            ServerBootstrap(group: group)
                .serverChannelOption(.backlog, value: 256)
                .serverChannelOption(.socketOption(.so_reuseaddr), value: 1)
                .childChannelOption(.socketOption(.tcp_nodelay), value: 1)
                // A client that half-closes (shutdown(SHUT_WR), as many HL7 senders and `nc -q` do) still
                // reads: the requests it sent are answered, then the connection closes. Without this NIO
                // closes the socket at the client's EOF and the answers in hand are lost.
                .childChannelOption(.allowRemoteHalfClosure, value: true)
        }
        if let endpoint = configuration.mllp {
            mllpChannel = try await bootstrap().bind(host: endpoint.host, port: endpoint.port, childChannelInitializer: initializer(.mllp, tls: sslContext))
        } else {
            mllpChannel = nil
        }
        if let endpoint = configuration.json {
            jsonChannel = try await bootstrap().bind(host: endpoint.host, port: endpoint.port, childChannelInitializer: initializer(.jsonLines, tls: sslContext))
        } else {
            jsonChannel = nil
        }
        if let path = configuration.jsonUnixPath {
            unixChannel = try await ServerBootstrap(group: group)
                .childChannelOption(.allowRemoteHalfClosure, value: true)
                .bind(unixDomainSocketPath: path, cleanupExistingSocketFile: true, childChannelInitializer: initializer(.jsonLines, tls: nil))
        } else {
            unixChannel = nil
        }
        writer.start()
        mllpAddress = mllpChannel?.channel.localAddress
        jsonAddress = jsonChannel?.channel.localAddress
    }

    public func run() async throws {
        logger.info("lookup service ready", metadata: [
            "mllp": "\(mllpAddress.map { "\($0)" } ?? "off")", "json": "\(jsonAddress.map { "\($0)" } ?? "off")",
            "json.unix": "\(configuration.jsonUnixPath ?? "off")", "records": "\(index.recordCount)",
        ])
        try await withThrowingDiscardingTaskGroup { group in
            for (channel, framing) in [(mllpChannel, Framing.mllp), (jsonChannel, .jsonLines), (unixChannel, .jsonLines)] {
                guard let channel else { continue }
                group.addTask { try await self.accept(channel, framing: framing) }
            }
            group.addTask {
                // Lookup audit entries, in batches, until shutdown; the last batch is written below.
                try? await cancelWhenGracefulShutdown {
                    while !Task.isCancelled {
                        try await Task.sleep(for: self.configuration.auditFlushInterval)
                        self.flushAudit()
                    }
                }
            }
        }
        flushAudit()
        try? await writer.shutdownGracefully()
        logger.info("lookup service stopped")
    }

    private func flushAudit() {
        do { try index.audit.flush() } catch { logger.error("audit entries could not be written; they will be retried", metadata: ["error": "\(type(of: error))"]) }
    }

    private func accept(_ server: NIOAsyncChannel<NIOAsyncChannel<ByteBuffer, ByteBuffer>, Never>, framing: Framing) async throws {
        try await server.serveConnections { connection in await self.serve(connection, framing: framing) }
    }

    private func serve(_ connection: NIOAsyncChannel<ByteBuffer, ByteBuffer>, framing: Framing) async {
        let peer = connection.channel.remoteAddress.map { "\($0)" } ?? "?"
        var connectionLogger = logger
        connectionLogger[metadataKey: "peer"] = "\(peer)"
        connectionLogger[metadataKey: "protocol"] = "\(framing == .mllp ? "mllp" : "json")"
        do {
            try await connection.executeThenClose { inbound, outbound in
                let hl7 = framing == .mllp ? HL7Session(index: index, registry: registry, limiter: limiter) : nil
                let json = framing == .jsonLines ? JSONLinesSession(index: index, registry: registry, limiter: limiter) : nil
                let logsRequests = connectionLogger.logLevel <= .debug
                do {
                    for try await request in inbound.cancelOnGracefulShutdown() {
                        let requestId = requestCounter.wrappingAdd(1, ordering: .relaxed).newValue
                        let started = ContinuousClock.now
                        var metadata: Logger.Metadata = [:]
                        if let hl7 {
                            let text = String(buffer: request)
                            let (response, handled) = HL7Session.changesIdentity(text)
                                ? try await writer.runIfActive { hl7.handle(text) } : hl7.handle(text)
                            try await outbound.write(ByteBuffer(string: response))
                            if let refusal = handled.refusal {
                                connectionLogger.info("request refused", metadata: [
                                    "message": "\(handled.messageType)", "reason": "\(refusal.reason.rawValue)", "client": "\(refusal.actor)"])
                            }
                            if logsRequests { metadata = ["message": "\(handled.messageType)", "ack": "\(handled.acknowledgement)"] }
                        } else if let json {
                            let (response, handled) = JSONLinesSession.changesIdentity(request)
                                ? try await writer.runIfActive { json.handle(request) } : json.handle(request)
                            try await outbound.write(response)
                            if let refusal = handled.refusal {
                                connectionLogger.info("request refused", metadata: [
                                    "op": "\(handled.operation)", "reason": "\(refusal.reason.rawValue)", "client": "\(refusal.actor)"])
                            }
                            if logsRequests {
                                metadata = ["op": "\(handled.operation)"]
                                if let code = handled.errorCode { metadata["error"] = "\(code)" }
                                if let client = json.clientName { metadata["client"] = "\(client)" }
                            }
                        }
                        if logsRequests {
                            // Request id, kind, outcome and time: never an identifier or a demographic.
                            metadata["request"] = "\(requestId)"
                            metadata["micros"] = "\((ContinuousClock.now - started).microseconds)"
                            connectionLogger.debug("request", metadata: metadata)
                        }
                    }
                } catch let error as MLLPFramingError {
                    connectionLogger.notice("closing connection: bad framing", metadata: ["reason": "\(error)"])
                    try? await outbound.write(ByteBuffer(string: Self.framingRejection(error.description)))
                } catch let error as JSONLineFramingError {
                    connectionLogger.notice("closing connection: bad framing", metadata: ["reason": "\(error)"])
                    try? await outbound.write(ByteBuffer(string: #"{"ok":false,"error":{"code":"too_large","message":"\#(error.description)"}}"# + "\n"))
                }
            }
        } catch {
            connectionLogger.debug("connection ended", metadata: ["reason": "\(type(of: error))"])
        }
    }

    /// An AR acknowledgement for bytes that never became a message.
    private static func framingRejection(_ reason: String) -> String {
        var writer = HL7Writer()
        writer.header(["MPI", "NWL", "", "", HL7Session.timestamp(), "", "ACK", "MPI-framing", "P", "2.5"])
        writer.segment("MSA", ["AR", ""])
        writer.segment("ERR", ["", "", writer.field(["100", HL7ErrorCode.segmentSequenceError.text, "HL70357"]), "E", "", "", "", writer.escape(reason)])
        return writer.text
    }
}

/// Closes a connection when the idle timer fires.
final class IdleConnectionCloser: ChannelInboundHandler, Sendable {
    typealias InboundIn = NIOAny

    func userInboundEventTriggered(context: ChannelHandlerContext, event: Any) {
        if event is IdleStateHandler.IdleStateEvent {
            context.close(promise: nil)
        } else {
            context.fireUserInboundEventTriggered(event)
        }
    }
}

extension Duration {
    var microseconds: Int64 { components.seconds * 1_000_000 + components.attoseconds / 1_000_000_000_000 }
}
