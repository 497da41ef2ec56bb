import Foundation
import Logging
import MPICore
import MPIProtocol
import MPIService
import MPIStore
import MPIStoreTestSupport
import Testing

/// A subscriber we did not write: Scripts/hl7-subscriber.py, python-hl7's MLLP server with hl7apy
/// checking each message's structure against HL7 v2.5 (its environment: Scripts/clients-env.sh, which
/// Scripts/test.sh runs). It answers AA, AR for a message hl7apy finds malformed, AE for the control
/// ids it is told to refuse. It can be stopped and started again on the same port.
final class PythonSubscriber: @unchecked Sendable {
    struct Received: Decodable {
        let controlId: String
        let type: String
        let structure: String
        let valid: Bool
        let problem: String?
        let text: String
        var message: HL7Message? { try? HL7Message(text) }
    }

    static let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
    private let output = FileManager.default.temporaryDirectory.appendingPathComponent("subscriber-\(UUID().uuidString).jsonl")
    private let refusing: [String]
    private var process: Process?
    private(set) var port = 0

    init(refusing: [String] = []) throws {
        self.refusing = refusing
        try start()
    }

    deinit {
        stop()
        try? FileManager.default.removeItem(at: output)
    }

    func start() throws {
        let python = Self.root.appendingPathComponent(".build-clients/bin/python")
        guard FileManager.default.isExecutableFile(atPath: python.path) else {
            throw FixtureError("no \(python.path): run Scripts/clients-env.sh (Scripts/test.sh does)")
        }
        let process = Process()
        process.executableURL = python
        process.arguments = [Self.root.appendingPathComponent("Scripts/hl7-subscriber.py").path, "--out", output.path, "--port", String(port)]
            + (refusing.isEmpty ? [] : ["--refuse"] + refusing)
        let pipe = Pipe()
        process.standardOutput = pipe
        // Its own stdin, which it watches: it exits when the tests' process goes, so it never holds
        // `swift test`'s output open. Its stderr is not the tests'.
        process.standardInput = Pipe()
        process.standardError = FileHandle.nullDevice
        try process.run()
        // Its first line, "listening PORT", may arrive in pieces.
        var output = Data()
        while !output.contains(UInt8(ascii: "\n")) {
            let piece = pipe.fileHandleForReading.availableData
            if piece.isEmpty { break }   // it exited
            output.append(piece)
        }
        let line = String(decoding: output, as: UTF8.self)
        guard line.hasPrefix("listening "), let bound = Int(line.dropFirst(10).trimmingCharacters(in: .whitespacesAndNewlines)) else {
            process.terminate()
            throw FixtureError("the subscriber did not start: \(line)")
        }
        port = bound
        self.process = process
    }

    /// Stops it as a subscriber taken down would: its listener and connections go. SIGKILL, and a wait
    /// by polling: `waitUntilExit` spins a core on Linux off the main thread.
    func stop() {
        guard let process else { return }
        kill(process.processIdentifier, SIGKILL)
        while process.isRunning { usleep(10_000) }
        self.process = nil
    }

    var received: [Received] {
        guard let data = try? Data(contentsOf: output) else { return [] }
        return data.split(separator: UInt8(ascii: "\n")).compactMap { try? JSONDecoder().decode(Received.self, from: $0) }
    }

    var controlIds: [String] { received.map(\.controlId) }
}

@Suite(.serialized) struct NotificationTests {
    private func registry(port: Int, profile: Subscriber.Profile, events: [IdentityChange.Event]? = nil) -> ClientRegistry {
        var registry = ServiceFixture.clients
        registry.subscribers = [Subscriber(name: "ehr", endpoint: "127.0.0.1:\(port)", profile: profile, events: events,
                                           receivingApplication: "EHR", receivingFacility: "R1K", domains: ["R1K", "RAS", "MPI"])]
        return registry
    }

    private func delivery(_ store: any IdentityBackend, _ registry: ClientRegistry) -> NotificationDelivery {
        var configuration = NotificationDelivery.Configuration()
        configuration.pollInterval = .milliseconds(20)
        configuration.firstBackoff = .milliseconds(50)
        configuration.maximumBackoff = .seconds(1)
        configuration.acknowledgementTimeout = .seconds(2)
        configuration.claimRetryInterval = .milliseconds(100)
        return NotificationDelivery(store: store, subscriber: registry.subscribers![0], registry: registry,
                                    configuration: configuration, logger: Logger(label: "test"))
    }

    private func newRecord(_ id: String, family: String) -> StoredRecord {
        let key = RecordKey(source: "RAS", recordId: id)
        return StoredRecord(key: key, raw: ["id": id, "family": family],
                            normalized: NormalizedRecord(key: key, name: PersonName(given: "ALEX", family: family)))
    }

    /// Waits until `condition` holds, for at most `seconds`.
    private func eventually(_ seconds: Double, _ condition: () -> Bool) async throws -> Bool {
        let deadline = Date().addingTimeInterval(seconds)
        while Date() < deadline {
            if condition() { return true }
            try await Task.sleep(for: .milliseconds(50))
        }
        return condition()
    }

    /// The must-show: 500 changes, the subscriber stopped for 30 seconds in the middle of them.
    /// All 500 arrive after it comes back, each person's in the order they happened; a message sent
    /// again keeps its control id, so the subscriber can tell the duplicate.
    @Test(arguments: StoreBackend.allCases) func fiveHundredChangesSurviveTheSubscriberBeingDownForThirtySeconds(_ backend: StoreBackend) async throws {
        let fixture = try await ServiceFixture.make(persons: 60, backend: backend)
        defer { fixture.remove() }
        let subscriber = try PythonSubscriber()
        let registry = registry(port: subscriber.port, profile: .iti10)
        let running = Task { try await delivery(fixture.store, registry).run() }
        defer { running.cancel() }
        try await Task.sleep(for: .milliseconds(200))   // the subscriber's place: the newest entry, before the changes
        let first = try fixture.store.latestChangeSequence() + 1

        // 250 new persons, each then updated by a second record: 500 entries, two per person.
        var persons: [EnterpriseID] = []
        for number in 0..<250 {
            if number == 100 { subscriber.stop() }
            let person = try fixture.store.register(newRecord("N\(number)", family: "OUTBOX\(number)"), person: nil, review: [],
                                                    modelVersion: nil, actor: "pas", action: "register").enterpriseId
            persons.append(person)
        }
        for (number, person) in persons.enumerated() {
            _ = try fixture.store.register(newRecord("M\(number)", family: "OUTBOX\(number)"), person: person, review: [],
                                           modelVersion: nil, actor: "pas", action: "register")
        }
        let last = try fixture.store.latestChangeSequence()
        #expect(last - first + 1 == 500)
        let receivedWhileDown = subscriber.received.count
        #expect(receivedWhileDown < 150)
        try await Task.sleep(for: .seconds(30))
        try subscriber.start()

        let expected = Set((first...last).map(NotificationMessage.controlId(sequence:)))
        #expect(try await eventually(60) { expected.isSubset(of: Set(subscriber.controlIds)) })
        let received = subscriber.received
        let problems = received.compactMap(\.problem)
        #expect(problems.isEmpty, "\(problems.prefix(3))")   // hl7apy, against v2.5
        let messages = received.compactMap(\.message)
        #expect(messages.count == received.count)
        #expect(Set(messages.map(\.controlId)) == expected)   // nothing else, nothing lost
        // In order per person: the first arrival of each message, grouped by its enterprise id.
        var seen = Set<String>(), lastSequence: [String: Int64] = [:]
        for message in messages where seen.insert(message.controlId).inserted {
            let sequence = Int64(message.controlId.dropFirst(4)) ?? 0
            let person = message.repetitions(message.segment("PID")?[field: 3] ?? "").first { $0.contains("^^^MPI") } ?? ""
            #expect(sequence > lastSequence[person] ?? 0, "person \(person): \(sequence) after \(lastSequence[person] ?? 0)")
            lastSequence[person] = sequence
            #expect(message.messageType.code == "ADT" && message.messageType.event == "A31")
        }
        #expect(lastSequence.count == 250)
        // A duplicate, when there is one, is the same message: same control id, same content.
        let byControl = Dictionary(grouping: messages, by: \.controlId)
        for (_, copies) in byControl where copies.count > 1 { #expect(Set(copies.map(\.segments)).count == 1) }
        #expect(try fixture.store.deliveredThrough(subscriber: "ehr") == last)
    }

    /// `mpi serve` killed with SIGKILL in the middle of delivering: restarted, it resumes from the
    /// outbox and the subscriber has every change, in order per person (at worst one sent twice, with
    /// the same control id).
    @Test(arguments: StoreBackend.allCases) func aKilledServiceResumesDeliveryFromTheOutbox(_ backend: StoreBackend) async throws {
        let executable = try MPIExecutable.url()
        let fixture = try await ServiceFixture.make(persons: 60, backend: backend)
        defer { fixture.remove() }
        let subscriber = try PythonSubscriber()
        let clients = fixture.directory.appendingPathComponent("clients.json")
        try JSONEncoder().encode(registry(port: subscriber.port, profile: .iti10)).write(to: clients)
        let first = try fixture.store.deliveredThrough(subscriber: "ehr") + 1

        func serve() throws -> Process {
            let process = Process()
            process.executableURL = executable
            process.arguments = ["serve", "--db", fixture.db, "--clients", clients.path, "--json", "127.0.0.1:0", "--log-level", "error"]
            process.standardOutput = FileHandle.nullDevice
            process.standardError = FileHandle.nullDevice
            try process.run()
            return process
        }
        var service = try serve()
        for number in 0..<300 {
            _ = try fixture.store.register(newRecord("K\(number)", family: "KILL\(number % 100)"), person: nil, review: [],
                                           modelVersion: nil, actor: "pas", action: "register")
        }
        let last = try fixture.store.latestChangeSequence()
        #expect(try await eventually(60) { subscriber.received.count >= 40 })
        kill(service.processIdentifier, SIGKILL)
        while service.isRunning { usleep(10_000) }
        let beforeRestart = Set(subscriber.controlIds).count
        #expect(beforeRestart < 300, "the kill came after everything was delivered: it tested nothing")
        service = try serve()
        defer { kill(service.processIdentifier, SIGKILL) }

        let expected = Set((first...last).map(NotificationMessage.controlId(sequence:)))
        #expect(try await eventually(90) { expected.isSubset(of: Set(subscriber.controlIds)) })
        let received = subscriber.received
        #expect(Set(received.map(\.controlId)) == expected)
        let problems = received.compactMap(\.problem)
        #expect(problems.isEmpty, "\(problems.prefix(3))")
        var seen = Set<String>(), lastSequence: [String: Int64] = [:]
        for message in received.compactMap(\.message) where seen.insert(message.controlId).inserted {
            let sequence = Int64(message.controlId.dropFirst(4)) ?? 0
            let person = message.repetitions(message.segment("PID")?[field: 3] ?? "").first { $0.contains("^^^MPI") } ?? ""
            #expect(sequence > lastSequence[person] ?? 0)
            lastSequence[person] = sequence
        }
    }

    /// Two replicas' deliveries to one subscriber, on two handles of one store: the one that claimed
    /// it first sends, the other waits, and each change arrives once. When the sender stops, the other
    /// takes over from the place the store keeps.
    @Test(arguments: StoreBackend.allCases) func ofTwoReplicasOneSendsAndTheOtherTakesOverWhenItStops(_ backend: StoreBackend) async throws {
        let fixture = try await ServiceFixture.make(persons: 40, backend: backend)
        defer { fixture.remove() }
        let subscriber = try PythonSubscriber()
        let registry = registry(port: subscriber.port, profile: .iti10)
        let other = try fixture.temporary.reopen()
        _ = try fixture.store.deliveredThrough(subscriber: "ehr")   // its place: the newest entry, before the changes
        let first = try fixture.store.latestChangeSequence() + 1
        func registerPersons(_ numbers: Range<Int>) throws {
            for number in numbers {
                _ = try fixture.store.register(newRecord("T\(number)", family: "TWO\(number)"), person: nil, review: [], modelVersion: nil,
                                               actor: "pas", action: "register")
            }
        }

        let sender = Task { try await delivery(fixture.store, registry).run() }
        defer { sender.cancel() }
        try registerPersons(0..<1)
        #expect(try await eventually(10) { subscriber.controlIds.count == 1 })   // the first holds the claim
        let waiting = Task { try await delivery(other, registry).run() }
        defer { waiting.cancel() }
        try await Task.sleep(for: .milliseconds(300))
        try registerPersons(1..<50)
        let sentByTheFirst = Set((first..<first + 50).map(NotificationMessage.controlId(sequence:)))
        #expect(try await eventually(20) { Set(subscriber.controlIds) == sentByTheFirst })
        try await Task.sleep(for: .milliseconds(500))
        #expect(subscriber.controlIds.count == 50, "each change once while one replica sends")
        #expect(try fixture.store.claimDelivery(subscriber: "ehr") == nil)

        sender.cancel()
        try await Task.sleep(for: .milliseconds(300))
        try registerPersons(50..<75)
        let all = Set((first..<first + 75).map(NotificationMessage.controlId(sequence:)))
        #expect(try await eventually(20) { Set(subscriber.controlIds) == all })
        #expect(subscriber.controlIds.count <= 76, "at most the entry in hand at the hand-over twice")
        #expect(try fixture.store.deliveredThrough(subscriber: "ehr") == first + 74)
    }

    /// AE parks the entry with the subscriber's reason and delivery goes on; a retry sends it again
    /// (accepted this time) and takes it off the parked list.
    @Test(arguments: StoreBackend.allCases) func aRefusedNotificationIsParkedThenSentAgainOnRetry(_ backend: StoreBackend) async throws {
        let fixture = try await ServiceFixture.make(persons: 40, backend: backend)
        defer { fixture.remove() }
        let next = try fixture.store.latestChangeSequence() + 1
        let refused = NotificationMessage.controlId(sequence: next)
        let subscriber = try PythonSubscriber(refusing: [refused])
        let registry = registry(port: subscriber.port, profile: .iti10)
        _ = try fixture.store.deliveredThrough(subscriber: "ehr")
        let running = Task { try await delivery(fixture.store, registry).run() }
        defer { running.cancel() }
        for number in 0..<3 {
            _ = try fixture.store.register(newRecord("P\(number)", family: "PARK\(number)"), person: nil, review: [], modelVersion: nil,
                                           actor: "pas", action: "register")
        }
        #expect(try await eventually(10) { subscriber.controlIds.count >= 3 })
        #expect(try await eventually(5) { (try? fixture.store.parkedNotifications(subscriber: "ehr").map(\.sequence)) == [next] })
        let parked = try #require(try fixture.store.parkedNotifications(subscriber: "ehr").first)
        #expect(parked.reason == "AE: patient not known here" && parked.controlId == refused)
        #expect(try fixture.store.deliveredThrough(subscriber: "ehr") == next + 2)

        // The subscriber still refuses it: parked again, with the same control id.
        try fixture.store.retryParked(subscriber: "ehr", sequence: next, actor: "operator")
        #expect(try await eventually(10) { subscriber.controlIds.filter { $0 == refused }.count == 2 })
        #expect(try await eventually(5) { (try? fixture.store.parkedNotifications(subscriber: "ehr").first?.retryRequested) == false })
    }

    /// The ADT profile: a merge is an A40 whose MRG names the retired enterprise id; a steward's link
    /// and unlink are an A24 and an A37 with the two records. A person created is not its event.
    @Test(arguments: StoreBackend.allCases) func theADTProfileSendsA40A24AndA37(_ backend: StoreBackend) async throws {
        let fixture = try await ServiceFixture.make(persons: 40, backend: backend)
        defer { fixture.remove() }
        let subscriber = try PythonSubscriber()
        let registry = registry(port: subscriber.port, profile: .adt)
        _ = try fixture.store.deliveredThrough(subscriber: "ehr")
        let running = Task { try await delivery(fixture.store, registry).run() }
        defer { running.cancel() }

        let one = try fixture.store.register(newRecord("A1", family: "ADTONE"), person: nil, review: [], modelVersion: nil, actor: "pas", action: "register")
        let two = try fixture.store.register(newRecord("A2", family: "ADTTWO"), person: nil, review: [], modelVersion: nil, actor: "pas", action: "register")
        let a1 = RecordKey(source: "RAS", recordId: "A1"), a2 = RecordKey(source: "RAS", recordId: "A2")
        try fixture.store.decide(a1, a2, .link, reason: "same patient, checked", steward: "steward")
        try fixture.store.decide(a1, a2, .unlink, reason: "twins after all", steward: "steward")
        _ = try fixture.store.mergeRecords(survivor: a1, retired: a2, actor: "pas")
        #expect(try await eventually(10) { subscriber.received.count >= 3 })
        let problems = subscriber.received.compactMap(\.problem)
        #expect(problems.isEmpty, "\(problems)")   // hl7apy, against v2.5
        let messages = subscriber.received.compactMap(\.message)
        #expect(messages.map(\.messageType.event) == ["A24", "A37", "A40"])
        /// Each identifier of a PID-3 or MRG-1 field as (value, namespace), unescaped.
        func identifiers(_ message: HL7Message, _ field: String) -> [(String, String)] {
            message.repetitions(field).map { (message.component($0, 1), message.subcomponent($0, 4, 1)) }
        }
        let link = messages[0]
        #expect(link.messageType.structure == "ADT_A24")
        let patients = link.segments.filter { $0.id == "PID" }.map { identifiers(link, $0[field: 3]) }
        #expect(patients.count == 2)
        #expect(patients.allSatisfy { ids in ids.contains { $0.1 == "RAS" } && ids.contains { $0.1 == "MPI" } })
        #expect(patients.map { ids in ids.first { $0.1 == "MPI" }?.0 } == [one.enterpriseId.description, two.enterpriseId.description])
        let merge = messages[2]
        #expect(merge.messageType.structure == "ADT_A39")
        #expect(identifiers(merge, merge.segment("MRG")?[field: 1] ?? "").map(\.0) == [two.enterpriseId.description])
        #expect(identifiers(merge, merge.segment("PID")?[field: 3] ?? "").contains { $0 == (one.enterpriseId.description, "MPI") })
        #expect(merge.segment("MSH")?[field: 5] == "EHR")
    }
}
