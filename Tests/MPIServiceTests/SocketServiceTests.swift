import Foundation
import Logging
import MPICore
import MPIProtocol
import MPIService
import MPIStore
import NIOCore
import NIOPosix
import NIOSSL
import ServiceLifecycle
import ServiceLifecycleTestKit
import MPIStoreTestSupport
import Testing

/// The server on real loopback sockets (ephemeral ports), started and stopped inside each test.
@Suite struct SocketServiceTests {
    private func server(_ fixture: ServiceFixture) async throws -> LookupServer {
        var configuration = ServerConfiguration()
        configuration.mllp = .init(host: "127.0.0.1", port: 0)
        configuration.json = .init(host: "127.0.0.1", port: 0)
        configuration.auditFlushInterval = .milliseconds(20)
        return try await LookupServer(index: fixture.index, registry: fixture.registry, configuration: configuration,
                                      logger: Logger(label: "test", factory: { _ in SwiftLogNoOpLogHandler() }))
    }

    /// A client connection; `halfClosing`, one that shuts its writing side when its outbound writer
    /// finishes (`shutdown(SHUT_WR)`), as many HL7 senders and `nc -q` do once their requests are sent.
    private func connect(_ address: SocketAddress?, mllp: Bool, halfClosing: Bool = false) async throws -> NIOAsyncChannel<ByteBuffer, ByteBuffer> {
        let port = try #require(address?.port)
        return try await ClientBootstrap(group: MultiThreadedEventLoopGroup.singleton)
            .channelOption(.allowRemoteHalfClosure, value: halfClosing)
            .connect(host: "127.0.0.1", port: port) { channel in
                channel.eventLoop.makeCompletedFuture {
                    try channel.pipeline.syncOperations.addHandler(mllp ? ByteToMessageHandler(MLLPFrameDecoder()) : ByteToMessageHandler(JSONLineDecoder()))
                    return try NIOAsyncChannel<ByteBuffer, ByteBuffer>(wrappingChannelSynchronously: channel,
                                                                       configuration: .init(isOutboundHalfClosureEnabled: halfClosing))
                }
            }
    }

    private func json(_ object: [String: Any]) throws -> ByteBuffer {
        var buffer = ByteBuffer(bytes: try JSONSerialization.data(withJSONObject: object))
        buffer.writeString("\n")
        return buffer
    }

    /// Every request read is answered, also when the client stops writing right after sending: pipelined
    /// pings, a registration and an HL7 A04 each get their answer before the server closes.
    @Test(arguments: StoreBackend.allCases) func aHalfClosingClientGetsEveryAnswer(_ backend: StoreBackend) async throws {
        let fixture = try await ServiceFixture.make(backend: backend)
        defer { fixture.remove() }
        let server = try await server(fixture)
        try await testGracefulShutdown { trigger in
            try await withThrowingTaskGroup(of: Void.self) { group in
                group.addTask { try await server.run() }

                let client = try await connect(server.jsonAddress, mllp: false, halfClosing: true)
                let answers = try await client.executeThenClose { inbound, outbound in
                    try await outbound.write(try json(["id": 1, "op": "ping"]))
                    try await outbound.write(try json(["id": 2, "op": "ping"]))
                    try await outbound.write(try json(["id": 3, "op": "authenticate", "token": ServiceFixture.ehrToken]))
                    try await outbound.write(try json(["id": 4, "op": "register", "source": "R1K", "recordId": "HALF-1",
                                                       "demographics": ["given": "Hester", "family": "Halfpenny", "dateOfBirth": "1950-05-05"]]))
                    try await outbound.write(try json(["id": 5, "op": "ping"]))
                    outbound.finish()   // shutdown(SHUT_WR)
                    var answers: [String] = []
                    for try await answer in inbound { answers.append(String(buffer: answer)) }
                    return answers
                }
                #expect(answers.count == 5, "\(answers)")
                #expect(answers.last?.contains("\"id\":5") == true)
                #expect(answers.contains { $0.contains("\"id\":4") && $0.contains("\"created\"") })

                let hl7 = try await connect(server.mllpAddress, mllp: true, halfClosing: true)
                let acks = try await hl7.executeThenClose { inbound, outbound in
                    try await outbound.write(MLLP.frame("MSH|^~\\&|EHR|R1K|MPI|NWL|20261207||ADT^A04^ADT_A01|HALF-2|P|2.5\rPID|||HALF-2^^^R1K^MR||HALFPENNY^HORACE||19500505|M\r"))
                    outbound.finish()
                    var acks: [String] = []
                    for try await ack in inbound { acks.append(String(buffer: ack)) }
                    return acks
                }
                #expect(acks.count == 1)
                #expect(try acks.first.map { try HL7Message($0).segment("MSA")?[field: 1] } == "AA")
                trigger.triggerGracefulShutdown()
                try await group.waitForAll()
            }
        }
    }

    @Test(arguments: StoreBackend.allCases) func answersJSONLinesAndMLLPOverLoopback(_ backend: StoreBackend) async throws {
        let fixture = try await ServiceFixture.make(backend: backend)
        defer { fixture.remove() }
        let server = try await server(fixture)
        try await testGracefulShutdown { trigger in
            try await withThrowingTaskGroup(of: Void.self) { group in
                group.addTask { try await server.run() }

                let client = try await connect(server.jsonAddress, mllp: false)
                try await client.executeThenClose { inbound, outbound in
                    try await outbound.write(try json(["id": 1, "op": "ping"]))
                    try await outbound.write(try json(["id": 2, "op": "authenticate", "token": ServiceFixture.ehrToken]))
                    var answers = inbound.makeAsyncIterator()
                    let pong = try #require(try await answers.next())
                    #expect(String(buffer: pong).contains("\"ready\""))
                    let authenticated = try #require(try await answers.next())
                    #expect(String(buffer: authenticated).contains("r1k-ehr"))
                }

                let hl7 = try await connect(server.mllpAddress, mllp: true)
                try await hl7.executeThenClose { inbound, outbound in
                    var frame = MLLP.frame("MSH|^~\\&|EHR|R1K|MPI|NWL|20261128||ADT^A04^ADT_A01|SOCK-1|P|2.5\rPID|||SOCK-1^^^R1K^MR||LOOPBACK^LOUIS||19990909|M\r")
                    // Split mid-frame: the server must wait for the rest.
                    let head = frame.readSlice(length: 20)!
                    try await outbound.write(head)
                    try await Task.sleep(for: .milliseconds(50))
                    try await outbound.write(frame)
                    var answers = inbound.makeAsyncIterator()
                    let ack = try HL7Message(String(buffer: try #require(try await answers.next())))
                    #expect(ack.segment("MSA")?[field: 1] == "AA")
                    #expect(ack.segment("MSA")?[field: 2] == "SOCK-1")
                    // Bytes that are not MLLP get an AR and the connection is closed.
                    try await outbound.write(ByteBuffer(string: "GET / HTTP/1.1\r\n\r\n"))
                    let rejection = try HL7Message(String(buffer: try #require(try await answers.next())))
                    #expect(rejection.segment("MSA")?[field: 1] == "AR")
                    #expect(try await answers.next() == nil)
                }
                trigger.triggerGracefulShutdown()
                try await group.waitForAll()
            }
        }
        #expect(fixture.index.resolve(.record(RecordKey(source: "R1K", recordId: "SOCK-1")), actor: "test").count == 1)
    }

    /// SIGTERM's path: stop accepting, finish the request in hand, answer it, close. Every request that
    /// was answered is in the store; none that was not answered is.
    @Test(arguments: StoreBackend.allCases) func gracefulShutdownFinishesWhatItStartedAndNothingElse(_ backend: StoreBackend) async throws {
        let fixture = try await ServiceFixture.make(backend: backend)
        defer { fixture.remove() }
        let server = try await server(fixture)
        let sent = 200
        var answered = 0
        try await testGracefulShutdown { trigger in
            try await withThrowingTaskGroup(of: Void.self) { group in
                group.addTask { try await server.run() }
                let client = try await connect(server.jsonAddress, mllp: false)
                try await client.executeThenClose { inbound, outbound in
                    var burst = try json(["id": 0, "op": "authenticate", "token": ServiceFixture.ehrToken])
                    for number in 1...sent {
                        burst.writeImmutableBuffer(try json(["id": number, "op": "register", "source": "R1K", "recordId": "BURST-\(number)",
                                                             "demographics": ["given": "Test", "family": "Burst\(number)", "dateOfBirth": "1970-01-01"]]))
                    }
                    try await outbound.write(burst)
                    var answers = inbound.makeAsyncIterator()
                    _ = try await answers.next()   // authenticated
                    while let line = try await answers.next() {
                        let object = try JSONSerialization.jsonObject(with: Data(String(buffer: line).utf8)) as? [String: Any]
                        #expect(object?["ok"] as? Bool == true)
                        answered += 1
                        if answered == 1 { trigger.triggerGracefulShutdown() }
                    }
                }
                try await group.waitForAll()
            }
        }
        #expect(answered >= 1)
        #expect(answered < sent)   // shutdown came while requests were still queued
        let stored = try fixture.store.memberships().keys.filter { $0.recordId.hasPrefix("BURST-") }
        #expect(stored.count == answered)
        if let sqlite = fixture.store as? IdentityStore { #expect(try sqlite.integrityCheck() == "ok") }
        // The listener is closed.
        await #expect(throws: (any Error).self) { _ = try await connect(server.jsonAddress, mllp: false) }
    }

    /// Connections accepted while shutdown begins are closed, not dropped: dropping one unclosed
    /// crashed the test process ("Deinited NIOAsyncWriter without calling finish()").
    @Test(arguments: StoreBackend.allCases) func shutdownDuringAFloodOfConnectionsClosesEveryOne(_ backend: StoreBackend) async throws {
        let fixture = try await ServiceFixture.make(backend: backend)
        defer { fixture.remove() }
        let server = try await server(fixture)
        try await testGracefulShutdown { trigger in
            try await withThrowingTaskGroup(of: Void.self) { group in
                group.addTask { try await server.run() }
                // Plain channels: a client-side NIOAsyncChannel whose connect is refused (the listener
                // has closed) would itself be dropped unclosed.
                let port = try #require(server.jsonAddress?.port)
                let clients = await withTaskGroup(of: (any Channel)?.self) { connecting in
                    for _ in 0..<256 {
                        connecting.addTask {
                            try? await ClientBootstrap(group: MultiThreadedEventLoopGroup.singleton).connect(host: "127.0.0.1", port: port).get()
                        }
                    }
                    var clients: [any Channel] = []
                    for await client in connecting {
                        if let client { clients.append(client) }
                        if clients.count == 16 { trigger.triggerGracefulShutdown() }
                    }
                    return clients
                }
                var stopped: (any Error)?
                do { try await group.waitForAll() } catch { stopped = error }
                for client in clients { try? await client.close() }
                if let stopped { throw stopped }
            }
        }
        if let sqlite = fixture.store as? IdentityStore { #expect(try sqlite.integrityCheck() == "ok") }
    }

    /// Mutual TLS: a client with a certificate from the configured CA is served; one without is not.
    @Test(.enabled(if: FileManager.default.isExecutableFile(atPath: "/usr/bin/openssl")))
    func mutualTLSServesOnlyClientsWithACertificate() async throws {
        let fixture = try await ServiceFixture.make()
        defer { fixture.remove() }
        let pki = fixture.directory.appendingPathComponent("pki").path
        try FileManager.default.createDirectory(atPath: pki, withIntermediateDirectories: true)
        func openssl(_ arguments: String) throws {
            let process = Process()
            process.executableURL = URL(fileURLWithPath: "/usr/bin/openssl")
            process.arguments = arguments.split(separator: " ").map(String.init)
            process.currentDirectoryURL = URL(fileURLWithPath: pki)
            process.standardError = FileHandle.nullDevice
            process.standardOutput = FileHandle.nullDevice
            try process.run()
            process.waitUntilExit()
            #expect(process.terminationStatus == 0, "openssl \(arguments)")
        }
        try openssl("req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -keyout ca.key -out ca.pem -days 1 -subj /CN=test-ca")
        for name in ["server", "client"] {
            try openssl("req -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -keyout \(name).key -out \(name).csr -subj /CN=\(name)")
            try openssl("x509 -req -in \(name).csr -CA ca.pem -CAkey ca.key -CAcreateserial -out \(name).pem -days 1")
        }
        var tls = TLSConfiguration.makeServerConfiguration(
            certificateChain: try NIOSSLCertificate.fromPEMFile(pki + "/server.pem").map { .certificate($0) },
            privateKey: .privateKey(try NIOSSLPrivateKey(file: pki + "/server.key", format: .pem)))
        tls.trustRoots = .file(pki + "/ca.pem")
        tls.certificateVerification = .noHostnameVerification
        var configuration = ServerConfiguration()
        configuration.json = .init(host: "127.0.0.1", port: 0)
        configuration.tls = tls
        let server = try await LookupServer(index: fixture.index, registry: fixture.registry, configuration: configuration,
                                            logger: Logger(label: "test", factory: { _ in SwiftLogNoOpLogHandler() }))
        let port = try #require(server.jsonAddress?.port)

        func ping(withCertificate: Bool) async throws -> String? {
            var client = TLSConfiguration.makeClientConfiguration()
            client.trustRoots = .file(pki + "/ca.pem")
            client.certificateVerification = .noHostnameVerification
            if withCertificate {
                client.certificateChain = try NIOSSLCertificate.fromPEMFile(pki + "/client.pem").map { .certificate($0) }
                client.privateKey = .privateKey(try NIOSSLPrivateKey(file: pki + "/client.key", format: .pem))
            }
            let context = try NIOSSLContext(configuration: client)
            let channel = try await ClientBootstrap(group: MultiThreadedEventLoopGroup.singleton).connect(host: "127.0.0.1", port: port) { channel in
                channel.eventLoop.makeCompletedFuture {
                    try channel.pipeline.syncOperations.addHandler(try NIOSSLClientHandler(context: context, serverHostname: nil))
                    try channel.pipeline.syncOperations.addHandler(ByteToMessageHandler(JSONLineDecoder()))
                    return try NIOAsyncChannel<ByteBuffer, ByteBuffer>(wrappingChannelSynchronously: channel)
                }
            }
            return try await channel.executeThenClose { inbound, outbound in
                try await outbound.write(ByteBuffer(string: "{\"id\":1,\"op\":\"ping\"}\n"))
                var answers = inbound.makeAsyncIterator()
                return try await answers.next().map { String(buffer: $0) }
            }
        }

        try await testGracefulShutdown { trigger in
            try await withThrowingTaskGroup(of: Void.self) { group in
                group.addTask { try await server.run() }
                let served = try await ping(withCertificate: true)
                #expect(served?.contains("\"ready\"") == true)
                let refused = try? await ping(withCertificate: false)
                #expect(refused == nil)   // refused: an error or no answer
                trigger.triggerGracefulShutdown()
                try await group.waitForAll()
            }
        }
    }
}
