internal import Foundation
public import Logging
import MPIProtocol
public import MPIStore
public import NIOCore
public import NIOPosix
public import ServiceLifecycle

/// Sends the outbox of identity changes to one subscriber over MLLP, as a swift-service-lifecycle
/// `Service` of `mpi serve`:
/// - in outbox order, one message at a time, so a person's changes arrive in the order they happened;
/// - at least once: a message is done only when its AA (or CA) acknowledgement arrives. Until then it
///   is sent again, with the same control id, after a backoff that doubles up to `maximumBackoff`
///   while the subscriber is down, unreachable or silent;
/// - an AE or AR (CE, CR) acknowledgement parks the entry with the subscriber's reason (`mpi outbox
///   list`) and delivery goes on; `mpi outbox retry` asks for a parked entry to be sent again, which
///   happens before the next new entry.
///
/// The subscriber's place is kept in the store, so a killed service resumes where it was: at worst an
/// entry acknowledged just before the kill is sent once more (its control id marks it as a duplicate).
/// Of several `mpi serve --replica` on one store, only the one holding the subscriber's claim
/// (`IdentityBackend.claimDelivery`) sends; the others try for it every `claimRetryInterval` and take
/// over, from the place the store keeps, when its holder stops or dies.
/// A link run's entries, written by `mpi link` in its own transaction, are sent when this sees them.
/// Logs say how delivery goes, never an identifier.
public struct NotificationDelivery: Service {
    public struct Configuration: Sendable {
        /// How often the outbox is read when there is nothing to send.
        public var pollInterval: Duration = .milliseconds(200)
        /// How long to wait for an acknowledgement before treating the connection as lost.
        public var acknowledgementTimeout: Duration = .seconds(10)
        public var firstBackoff: Duration = .milliseconds(250)
        public var maximumBackoff: Duration = .seconds(30)
        /// Entries read from the outbox at a time.
        public var batchSize = 256
        /// How often a replica that does not hold the subscriber's claim tries for it, and how often
        /// the holder confirms it still holds it (a lost connection to the server loses the lock).
        public var claimRetryInterval: Duration = .seconds(1)

        public init() {}
    }

    let store: any IdentityBackend
    let subscriber: Subscriber
    let registry: ClientRegistry
    let configuration: Configuration
    let group: any EventLoopGroup
    let logger: Logger

    public init(store: any IdentityBackend, subscriber: Subscriber, registry: ClientRegistry, configuration: Configuration = Configuration(),
                group: any EventLoopGroup = MultiThreadedEventLoopGroup.singleton, logger: Logger) {
        self.store = store
        self.subscriber = subscriber
        self.registry = registry
        self.configuration = configuration
        self.group = group
        self.logger = logger
    }

    /// How an exchange ended.
    enum Outcome: Equatable {
        case accepted
        case refused(String)
    }

    struct ConnectionLost: Error {}

    public func run() async throws {
        var backoff = configuration.firstBackoff
        var connection: MLLPExchange?
        var place = try store.deliveredThrough(subscriber: subscriber.name)
        var pending: [NotificationMessage] = []   // read, not yet acknowledged (oldest first)
        var batchEnd: Int64 = 0                    // the last entry of the batch `pending` came from
        var retries: [Int64] = []
        var claim: DeliveryClaim?
        var claimConfirmed = ContinuousClock.now
        var waitingLogged = false
        logger.info("notification delivery started", metadata: ["subscriber": "\(subscriber.name)", "profile": "\(subscriber.profile.rawValue)"])
        defer {
            connection?.close()
            claim?.release()
        }

        while !Task.isCancelled && !Task.isShuttingDownGracefully {
            do {
                // Of several replicas, the claim's holder sends; the others wait to take over.
                if let held = claim, ContinuousClock.now - claimConfirmed > configuration.claimRetryInterval {
                    if held.isHeld {
                        claimConfirmed = .now
                    } else {
                        held.release()
                        claim = nil
                        logger.warning("lost the claim to send notifications", metadata: ["subscriber": "\(subscriber.name)"])
                    }
                }
                if claim == nil {
                    guard let taken = try store.claimDelivery(subscriber: subscriber.name) else {
                        if !waitingLogged {
                            logger.info("another replica sends these notifications; waiting to take over", metadata: ["subscriber": "\(subscriber.name)"])
                            waitingLogged = true
                        }
                        try await cancelWhenGracefulShutdown { try await Task.sleep(for: configuration.claimRetryInterval) }
                        continue
                    }
                    // The last holder moved the place on: start from where it stopped.
                    claim = taken
                    claimConfirmed = .now
                    waitingLogged = false
                    place = try store.deliveredThrough(subscriber: subscriber.name)
                    pending = []
                    retries = []
                }
                // Parked entries an operator asked to send again go first.
                if retries.isEmpty {
                    retries = try store.parkedNotifications(subscriber: subscriber.name).filter(\.retryRequested).map(\.sequence)
                }
                if let sequence = retries.first {
                    let change = try store.identityChanges([sequence]).first
                    if let change, let message = NotificationMessage(change, for: subscriber, registry: registry, now: HL7Session.timestamp()) {
                        let exchange = try await connected(&connection)
                        switch try await exchange.send(message, timeout: configuration.acknowledgementTimeout) {
                        case .accepted: try store.unpark(subscriber: subscriber.name, sequence: sequence)
                        case .refused(let reason): try store.park(subscriber: subscriber.name, sequence: sequence, controlId: message.controlId, reason: reason)
                        }
                    } else {
                        try store.unpark(subscriber: subscriber.name, sequence: sequence)   // no longer a message for it
                    }
                    retries.removeFirst()
                    backoff = configuration.firstBackoff
                    continue
                }

                if pending.isEmpty {
                    let changes = try store.identityChanges(after: place, limit: configuration.batchSize)
                    guard let last = changes.last else {
                        try await idle()
                        continue
                    }
                    pending = changes.compactMap { NotificationMessage($0, for: subscriber, registry: registry, now: HL7Session.timestamp()) }
                    batchEnd = last.sequence
                    if pending.isEmpty {
                        // Nothing it wants in these: its place moves on without a connection.
                        place = last.sequence
                        try store.recordDelivery(subscriber: subscriber.name, through: place)
                        continue
                    }
                }

                let message = pending[0]
                let exchange = try await connected(&connection)
                if case .refused(let reason) = try await exchange.send(message, timeout: configuration.acknowledgementTimeout) {
                    try store.park(subscriber: subscriber.name, sequence: message.sequence, controlId: message.controlId, reason: reason)
                    logger.warning("a notification was refused and parked", metadata: [
                        "subscriber": "\(subscriber.name)", "sequence": "\(message.sequence)"])
                }
                pending.removeFirst()
                // Past the last message of a batch, the place moves to the batch's end: entries it does
                // not want are passed over with it.
                place = pending.isEmpty ? batchEnd : message.sequence
                try store.recordDelivery(subscriber: subscriber.name, through: place)
                backoff = configuration.firstBackoff
            } catch is CancellationError {
                return
            } catch {
                // The subscriber is down, unreachable, silent or closed the connection: the message in
                // hand is sent again, with the same control id, after the backoff.
                connection?.close()
                connection = nil
                logger.notice("subscriber unreachable; retrying", metadata: [
                    "subscriber": "\(subscriber.name)", "error": "\(type(of: error))", "retryInMilliseconds": "\(backoff.milliseconds)"])
                let wait = backoff
                do { try await cancelWhenGracefulShutdown { try await Task.sleep(for: wait) } } catch { return }
                backoff = min(backoff * 2, configuration.maximumBackoff)
            }
        }
    }

    private func idle() async throws {
        try await cancelWhenGracefulShutdown { try await Task.sleep(for: configuration.pollInterval) }
    }

    private func connected(_ connection: inout MLLPExchange?) async throws -> MLLPExchange {
        if let connection { return connection }
        guard let endpoint = ServerConfiguration.Endpoint(subscriber.endpoint) else { throw ConnectionLost() }
        let opened = try await MLLPExchange.connect(host: endpoint.host, port: endpoint.port, group: group)
        connection = opened
        return opened
    }
}

extension Duration {
    var milliseconds: Int64 { components.seconds * 1000 + components.attoseconds / 1_000_000_000_000_000 }
}

/// One MLLP connection to a subscriber: a message out, its acknowledgement back.
final class MLLPExchange: Sendable {
    private let channel: any Channel
    private let acknowledgements: AcknowledgementReader

    private init(channel: any Channel, acknowledgements: AcknowledgementReader) {
        self.channel = channel
        self.acknowledgements = acknowledgements
    }

    static func connect(host: String, port: Int, group: any EventLoopGroup) async throws -> MLLPExchange {
        let reader = AcknowledgementReader()
        let channel = try await ClientBootstrap(group: group)
            .channelOption(.socketOption(.tcp_nodelay), value: 1)
            .connectTimeout(.seconds(5))
            .channelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    let pipeline = channel.pipeline.syncOperations
                    try pipeline.addHandler(ByteToMessageHandler(MLLPFrameDecoder(maximumMessageSize: 1 << 20)))
                    try pipeline.addHandler(MessageToByteHandler(MLLPFrameEncoder()))
                    try pipeline.addHandler(reader)
                }
            }
            .connect(host: host, port: port).get()
        return MLLPExchange(channel: channel, acknowledgements: reader)
    }

    /// Sends the message and waits for its acknowledgement. Throws when the connection fails, closes or
    /// stays silent for `timeout` (the connection is then closed).
    func send(_ message: NotificationMessage, timeout: Duration) async throws -> NotificationDelivery.Outcome {
        let promise = channel.eventLoop.makePromise(of: ByteBuffer.self)
        let channel = channel, reader = acknowledgements
        channel.eventLoop.execute {
            reader.expect(promise)
            channel.writeAndFlush(ByteBuffer(string: message.text), promise: nil)
        }
        let deadline = channel.eventLoop.scheduleTask(in: .nanoseconds(Int64(timeout.milliseconds) * 1_000_000)) {
            reader.fail(NotificationDelivery.ConnectionLost())
            channel.close(promise: nil)
        }
        defer { deadline.cancel() }
        let response = try await promise.futureResult.get()
        return Self.outcome(of: String(buffer: response), controlId: message.controlId)
    }

    /// AA or CA accepts; AE, AR, CE or CR refuses, with the subscriber's reason (MSA-3, or ERR-8).
    static func outcome(of text: String, controlId: String) -> NotificationDelivery.Outcome {
        guard let response = try? HL7Message(text), let msa = response.segment("MSA") else {
            return .refused("the answer is not an HL7 acknowledgement")
        }
        let code = response.text(msa[field: 1])
        let acknowledged = response.text(msa[field: 2])
        guard acknowledged == controlId else {
            return .refused("acknowledgement for control id \(acknowledged), expected \(controlId)")
        }
        if code == "AA" || code == "CA" { return .accepted }
        let error = response.segment("ERR").map { response.text($0[field: 8]) } ?? ""
        let text = response.text(msa[field: 3])
        return .refused("\(code)\(text.isEmpty ? "" : ": \(text)")\(error.isEmpty ? "" : " (\(error))")")
    }

    func close() { channel.close(promise: nil) }
}

/// Hands each acknowledgement to the exchange waiting for it; fails the wait when the connection goes.
/// Used only on its channel's event loop.
private final class AcknowledgementReader: ChannelInboundHandler, @unchecked Sendable {
    typealias InboundIn = ByteBuffer
    private var waiting: EventLoopPromise<ByteBuffer>?

    func expect(_ promise: EventLoopPromise<ByteBuffer>) { waiting = promise }

    func fail(_ error: any Error) {
        waiting?.fail(error)
        waiting = nil
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        let frame = unwrapInboundIn(data)
        waiting?.succeed(frame)
        waiting = nil
    }

    func channelInactive(context: ChannelHandlerContext) {
        fail(NotificationDelivery.ConnectionLost())
        context.fireChannelInactive()
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        fail(error)
        context.close(promise: nil)
    }
}
