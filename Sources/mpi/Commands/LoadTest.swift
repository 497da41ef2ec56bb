import ArgumentParser
import Foundation
import MPILinkage
import MPICore
import MPINormalize
import MPIProtocol
import MPIService
import MPIStore
import NIOCore
import NIOPosix

extension MPI {
    struct LoadTest: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "loadtest",
            abstract: "Send bounded JSON-lines traffic to a running `mpi serve` and report throughput and latency.",
            discussion: """
            The requests are drawn from the store the server serves (read only here): resolve asks for \
            random records' identifiers, match sends random records' name and date of birth, register \
            sends new records (ids LOAD-...) with an existing record's demographics. Traffic is bounded: \
            each connection keeps at most --pipeline requests in flight. Latency is from writing a request \
            to reading its answer, measured on this side.
            """
        )

        enum Operation: String, ExpressibleByArgument, CaseIterable { case resolve, match, register }

        @Option(help: "The server's JSON-lines endpoint, HOST:PORT.") var json = "127.0.0.1:7410"
        @Option(help: "A client token with the permissions the operation needs.") var token: String
        @Option(help: "The store the server serves (read to choose requests): a SQLite file or a postgres:// URL.") var db = StoreOptions.defaultLocation
        @Option(help: "resolve, match or register.") var operation: Operation
        @Option(help: "Seconds to send for.") var seconds = 10.0
        @Option(help: "Connections.") var connections = 4
        @Option(help: "Requests in flight per connection.") var pipeline = 8
        @Option(help: "The source of registered records (the token's client must own it).") var source = "R1K"
        @Option(help: "Random seed for choosing requests.") var seed: UInt64 = 1
        @Flag(help: "Resolve in this process through the live index, one at a time, and report per-lookup latency (no socket).")
        var inProcess = false

        func run() async throws {
            if inProcess { try runInProcess(); return }
            guard let endpoint = ServerConfiguration.Endpoint(json) else { throw ValidationError("--json must be HOST:PORT") }
            let requests = try makeRequests()
            StandardError.write("loadtest: \(requests.count) distinct \(operation.rawValue) requests, \(connections) connections x \(pipeline) in flight, \(seconds) s\n")
            let deadline = ContinuousClock.now + .milliseconds(Int64(seconds * 1000))
            let started = ContinuousClock.now
            let results = try await withThrowingTaskGroup(of: ConnectionResult.self) { group in
                for connection in 0..<connections {
                    group.addTask {
                        try await Self.drive(endpoint: endpoint, token: token, requests: requests, offset: connection * 7919, depth: pipeline,
                                             deadline: deadline, tag: connection)
                    }
                }
                var all: [ConnectionResult] = []
                for try await result in group { all.append(result) }
                return all
            }
            let elapsed = (ContinuousClock.now - started).seconds
            var latencies = results.flatMap(\.latencies)
            latencies.sort()
            let errors = results.reduce(0) { $0 + $1.errors }
            func percentile(_ p: Double) -> Double { latencies.isEmpty ? 0 : latencies[min(latencies.count - 1, Int(Double(latencies.count) * p))] * 1000 }
            print(String(format: "%@: %d requests in %.1f s = %.0f/s; latency p50 %.2f ms, p99 %.2f ms, max %.2f ms; %d errors",
                         operation.rawValue, latencies.count, elapsed, Double(latencies.count) / elapsed, percentile(0.5), percentile(0.99),
                         (latencies.last ?? 0) * 1000, errors))
            if errors > 0, let sample = results.compactMap(\.firstError).first { StandardError.write("first error: \(sample)\n") }
        }

        /// Lookups straight through the live index (what a resolve costs without the socket and JSON).
        private func runInProcess() throws {
            guard operation == .resolve else { throw ValidationError("--in-process measures resolve only") }
            let store = try StoreOptions.openExisting(db)
            var clock = Stopwatch()
            let index = try IdentityIndex(store: store, builder: try ReferenceData.matchRecordBuilder(), today: .today)
            StandardError.write(String(format: "index of %d records loaded in %.1f s\n", index.recordCount, clock.lap()))
            var keys = Array(try store.memberships().keys)
            keys.sort()
            var generator = SplitMix64(seed: seed)
            let sample = (0..<100_000).map { _ in keys[Int(generator.next() % UInt64(keys.count))] }
            var latencies: [Double] = []
            latencies.reserveCapacity(sample.count)
            for key in sample {
                let started = ContinuousClock.now
                let persons = index.resolve(.record(key), actor: "loadtest")
                latencies.append((ContinuousClock.now - started).seconds)
                precondition(!persons.isEmpty, "a stored membership must resolve")
            }
            try index.audit.flush()   // the lookups are audited, in batches, as in the service
            latencies.sort()
            print(String(format: "resolve in process: %d lookups; median %.1f µs, p99 %.1f µs, max %.1f µs (audit entries batched)",
                         latencies.count, latencies[latencies.count / 2] * 1e6, latencies[latencies.count * 99 / 100] * 1e6, latencies.last! * 1e6))
        }

        /// Request lines (without ids) drawn from the store.
        private func makeRequests() throws -> [String] {
            let store = try StoreOptions.openExisting(db)
            var keys = Array(try store.memberships().keys)
            guard !keys.isEmpty else { throw CLIError("the store \(StoreOptions.shown(db)) has no linked records") }
            var generator = SplitMix64(seed: seed)
            keys.sort()
            let sample = (0..<min(20_000, keys.count)).map { _ in keys[Int(generator.next() % UInt64(keys.count))] }
            func encode(_ object: [String: Any]) throws -> String {
                String(decoding: try JSONSerialization.data(withJSONObject: object, options: [.sortedKeys]), as: UTF8.self)
            }
            switch operation {
            case .resolve:
                return try sample.map { try encode(["op": "resolve", "identifier": ["domain": $0.source, "value": $0.recordId]]) }
            case .match, .register:
                let records = try store.normalizedRecords(Array(sample.prefix(5_000)))
                var lines: [String] = []
                for (position, (_, record)) in records.sorted(by: { $0.key < $1.key }).enumerated() {
                    var demographics: [String: Any] = ["given": record.name.given, "family": record.name.family]
                    if let date = record.dateOfBirth?.date, date.precision == .day {
                        demographics["dateOfBirth"] = String(format: "%04d-%02d-%02d", date.year, date.month, date.day)
                    }
                    if operation == .match {
                        lines.append(try encode(["op": "match", "limit": 5, "demographics": demographics]))
                    } else {
                        if let nhs = record.nhsNumber { demographics["nhsNumber"] = nhs.digits }
                        if let postcode = record.postcode { demographics["postcode"] = postcode.description }
                        lines.append(try encode(["op": "register", "source": source, "recordId": "LOAD-\(seed)-\(position)",
                                                 "demographics": demographics]))
                    }
                }
                return lines
            }
        }

        struct ConnectionResult: Sendable {
            var latencies: [Double] = []
            var errors = 0
            var firstError: String?
        }

        private static func drive(endpoint: ServerConfiguration.Endpoint, token: String, requests: [String], offset: Int, depth: Int,
                                  deadline: ContinuousClock.Instant, tag: Int) async throws -> ConnectionResult {
            let channel = try await ClientBootstrap(group: MultiThreadedEventLoopGroup.singleton)
                .channelOption(.socketOption(.tcp_nodelay), value: 1)
                .connect(host: endpoint.host, port: endpoint.port) { channel in
                    channel.eventLoop.makeCompletedFuture {
                        try channel.pipeline.syncOperations.addHandler(ByteToMessageHandler(JSONLineDecoder(maximumLineLength: 1 << 24)))
                        return try NIOAsyncChannel<ByteBuffer, ByteBuffer>(wrappingChannelSynchronously: channel)
                    }
                }
            var result = ConnectionResult()
            try await channel.executeThenClose { inbound, outbound in
                var answers = inbound.makeAsyncIterator()
                try await outbound.write(ByteBuffer(string: #"{"id":0,"op":"authenticate","token":"\#(token)"}"# + "\n"))
                guard let hello = try await answers.next(), String(buffer: hello).contains("\"ok\":true") else {
                    throw CLIError("the server did not accept the token")
                }
                let errorPrefix = Array(#"{"error""#.utf8)
                var sentAt: [ContinuousClock.Instant] = []   // FIFO: answers come back in order
                var head = 0
                var next = 0
                func send() async throws {
                    var line = requests[(offset + next) % requests.count]
                    // Each registration a new record: a resend of the same one would be "unchanged" and write nothing.
                    if line.hasPrefix("{\"demographics\"") && line.contains("\"op\":\"register\"") {
                        line = line.replacingOccurrences(of: "\"LOAD-", with: "\"LOAD-\(tag)-\(next)-")
                    }
                    var buffer = ByteBuffer(string: "{\"id\":\(tag * 10_000_000 + next),")
                    buffer.writeString(String(line.dropFirst()))
                    buffer.writeString("\n")
                    next += 1
                    sentAt.append(.now)
                    try await outbound.write(buffer)
                }
                for _ in 0..<depth { try await send() }
                while head < sentAt.count, let answer = try await answers.next() {
                    result.latencies.append((ContinuousClock.now - sentAt[head]).seconds)
                    head += 1
                    // Answers are written with sorted keys: an error answer, and only an error answer, starts with its "error" key.
                    if answer.readableBytesView.starts(with: errorPrefix) {
                        result.errors += 1
                        if result.firstError == nil { result.firstError = String(String(buffer: answer).prefix(300)) }
                    }
                    if ContinuousClock.now < deadline { try await send() }
                }
            }
            return result
        }
    }
}

extension Duration {
    var seconds: Double { Double(components.seconds) + Double(components.attoseconds) / 1e18 }
}
