import Foundation
import MPICore
import MPIService
import MPIStore
import MPIStoreTestSupport
import Testing

/// The issue's concurrency test, on real processes: two `mpi serve --replica` on one store and eight
/// clients (four at each, each with a connection for RAS and one for RQM) register the same 2,000 patients, each patient's RAS record at one replica
/// and its RQM record at the other, both replicas working through the patients in the same random
/// order, so the two records of a patient usually arrive within milliseconds of each other. One
/// replica is killed with SIGKILL part way through and started again; its clients reconnect and send
/// again what was not acknowledged.
///
/// Then: every registration was acknowledged and is in the store; each patient is one person holding
/// exactly its two records, or its two records sit in the review queue (never two persons made
/// silently, never two patients in one); each acknowledged enterprise id leads to its record's person;
/// and both replicas answer every identifier as the store does.
///
/// `Scripts/replica-concurrency.sh` runs it 20 times in a row (docs/store.md).
@Suite(.serialized) struct ReplicaConcurrencyTests {
    static let patientCount = 2_000
    static let clientsPerReplica = 4
    static let tokens = ["RAS": "ras-token-for-tests", "RQM": "rqm-token-for-tests"]

    struct Registration: Sendable {
        let patient: Int
        let source: String
        var key: RecordKey { RecordKey(source: source, recordId: "CONC-\(patient)") }
    }

    @Test(arguments: StoreBackend.allCases)
    func twoServedReplicasRegisteringTheSamePatientsMakeOnePersonEach(_ backend: StoreBackend) async throws {
        let seed = UInt64(Date().timeIntervalSince1970 * 1000)
        let fixture = try await ServiceFixture.make(persons: 100, backend: backend)
        defer { fixture.remove() }
        let clients = fixture.directory.appendingPathComponent("replica-clients.json")
        try JSONEncoder().encode(Self.registry).write(to: clients)
        let patients = Self.patients(Self.patientCount, seed: seed)

        // Which replica gets which of a patient's two records, and the order both work through them.
        var random = SplitMix64(seed: seed)
        let order = Array(patients.indices).shuffled(using: &random)
        var queues: [[Registration]] = [[], []]
        for patient in order {
            let rasAtFirst = Bool.random(using: &random)
            queues[rasAtFirst ? 0 : 1].append(Registration(patient: patient, source: "RAS"))
            queues[rasAtFirst ? 1 : 0].append(Registration(patient: patient, source: "RQM"))
        }

        let replicas = ServedReplicas([try ServedReplica(db: fixture.db, clients: clients), try ServedReplica(db: fixture.db, clients: clients)])
        let run = ConcurrentRun(ports: replicas.all.map(\.port))
        var threads: [Thread] = []
        let finished = DispatchGroup()
        for replica in 0..<2 {
            for client in 0..<Self.clientsPerReplica {
                let mine = queues[replica].enumerated().filter { $0.offset % Self.clientsPerReplica == client }.map(\.element)
                finished.enter()
                let thread = Thread {
                    Self.register(mine, at: replica, patients: patients, run: run)
                    finished.leave()
                }
                thread.start()
                threads.append(thread)
            }
        }

        // Kill the second replica once it has acknowledged 40% of its share, then start it again. On a
        // thread of its own, as the clients are: a task could wait seconds for one of the cooperative
        // pool's two threads while other tests run, and kill too late.
        let killAt = queues[1].count * 2 / 5
        let killed = DispatchGroup()
        killed.enter()
        let killer = Thread {
            defer { killed.leave() }
            while run.acknowledgedCount(at: 1) < killAt, run.failures.isEmpty { usleep(2_000) }
            replicas.all[1].kill()
            run.noteKill(acknowledged: run.acknowledgedCount(at: 1))
            sleep(1)
            do {
                let restarted = try ServedReplica(db: fixture.db, clients: clients)
                replicas.replace(1, with: restarted)
                run.moveReplica(1, to: restarted.port)
            } catch {
                run.fail("the killed replica did not start again: \(error)")
            }
        }
        killer.start()
        await withCheckedContinuation { continuation in finished.notify(queue: .global()) { continuation.resume() } }
        await withCheckedContinuation { continuation in killed.notify(queue: .global()) { continuation.resume() } }
        let acknowledgedBeforeKill = run.acknowledgedAtKill

        let context = "seed \(seed), \(backend)"
        #expect(run.failures.isEmpty, "\(context): \(run.failures.prefix(5))")
        #expect(acknowledgedBeforeKill < queues[1].count, "\(context): the kill came after the replica's last registration: it tested nothing")
        #expect(run.reconnections > 0, "\(context): no client noticed the kill")
        let acknowledged = run.acknowledged
        #expect(acknowledged.count == 2 * patients.count, "\(context)")
        guard run.failures.isEmpty else { return }

        // The store's word. Every acknowledged record is there, in a person of its own patient.
        let memberships = try fixture.store.memberships()
        let membersByPerson = Dictionary(grouping: memberships.keys, by: { memberships[$0]! })
        let review = try fixture.store.reviewQueue(limit: 100_000)
        let reviewed = Set(review.map { Set([$0.left, $0.right]) })
        var splitForReview = 0
        for patient in patients.indices {
            let ras = RecordKey(source: "RAS", recordId: "CONC-\(patient)"), rqm = RecordKey(source: "RQM", recordId: "CONC-\(patient)")
            guard let rasPerson = memberships[ras], let rqmPerson = memberships[rqm] else {
                Issue.record("\(context): patient \(patient): an acknowledged record is not in the store")
                continue
            }
            if rasPerson == rqmPerson {
                #expect(Set(membersByPerson[rasPerson] ?? []) == [ras, rqm], "\(context): patient \(patient) shares a person with another")
            } else {
                splitForReview += 1
                #expect(reviewed.contains([ras, rqm]), "\(context): patient \(patient) is two persons and no review item says so")
                #expect(membersByPerson[rasPerson] == [ras] && membersByPerson[rqmPerson] == [rqm],
                        "\(context): patient \(patient)'s records joined someone else")
            }
        }
        #expect(splitForReview == 0, "\(context): \(splitForReview) patients left for review: the two records are identical")
        for (key, enterpriseId) in acknowledged {
            let answered = try #require(EnterpriseID(enterpriseId))
            #expect(try fixture.store.person(answered, actor: "test")?.enterpriseId == memberships[key]?.description,
                    "\(context): \(key)'s acknowledged id \(enterpriseId) does not lead to its person")
        }

        // Both replicas answer every identifier as the store does, once they have followed.
        let expected: [RecordKey: String] = Dictionary(uniqueKeysWithValues: acknowledged.keys.map { ($0, memberships[$0]?.description ?? "none") })
        for replica in replicas.all {
            let client = try LineClient(host: replica.host, port: replica.port)
            _ = try client.ask(["op": "authenticate", "token": Self.tokens["RAS"]!])
            let deadline = Date().addingTimeInterval(60)
            var differing = Array(expected.keys)
            while !differing.isEmpty, Date() < deadline {
                differing = try differing.filter { key in try Self.resolve(key, client) != [expected[key]!] }
                if !differing.isEmpty { try await Task.sleep(for: .milliseconds(200)) }
            }
            #expect(differing.isEmpty, "\(context): replica on \(replica.port) answers \(differing.count) identifiers unlike the store, e.g. \(differing.prefix(3))")
        }
    }

    /// The enterprise ids a replica answers for a record.
    private static func resolve(_ key: RecordKey, _ client: LineClient) throws -> [String] {
        let answer = try client.ask(["op": "resolve", "identifier": ["domain": key.source, "value": key.recordId]])
        let result = answer["result"] as? [String: Any]
        let persons = result?["persons"] as? [[String: Any]] ?? []
        return persons.compactMap { $0["enterpriseId"] as? String }
    }

    /// One client's share, in order: each registration sent until acknowledged, through the kill.
    private static func register(_ registrations: [Registration], at replica: Int, patients: [[String: String]], run: ConcurrentRun) {
        // A connection per source, as each trust's PAS holds its own.
        var connections: [String: LineClient] = [:]
        for registration in registrations {
            let deadline = Date().addingTimeInterval(180)
            while true {
                do {
                    let connection = try connections[registration.source] ?? {
                        let client = try LineClient(host: "127.0.0.1", port: run.port(of: replica))
                        _ = try client.ask(["op": "authenticate", "token": tokens[registration.source]!])
                        connections[registration.source] = client
                        return client
                    }()
                    let answer = try connection.ask(["op": "register", "source": registration.source, "recordId": registration.key.recordId,
                                                     "demographics": patients[registration.patient]])
                    guard answer["ok"] as? Bool == true, let result = answer["result"] as? [String: Any],
                          let enterpriseId = result["enterpriseId"] as? String else {
                        run.fail("\(registration.key) at replica \(replica): \(answer)")
                        return
                    }
                    run.acknowledge(registration.key, enterpriseId, at: replica)
                    break
                } catch {
                    if connections.removeValue(forKey: registration.source) != nil { run.reconnected() }
                    guard Date() < deadline else {
                        run.fail("\(registration.key) at replica \(replica): no answer for 180 s (\(error))")
                        return
                    }
                    usleep(50_000)
                }
            }
        }
    }

    /// A RAS client and an RQM client, each allowed to register its own records and resolve.
    static let registry = ClientRegistry(domains: ServiceFixture.clients.domains, clients: tokens.sorted(by: { $0.key < $1.key }).map { source, token in
        Client(name: "\(source.lowercased())-pas", tokenSHA256: ClientRegistry.tokenHash(token), permissions: [.resolve, .register],
               source: source, hl7Senders: nil, maximumConnections: nil)
    })

    /// Distinct patients, as JSON-lines demographics: double-barrelled surnames (50 × 40 of them),
    /// dates of birth from 1930 to 2019, north-west London postcodes, a valid NHS number each.
    static func patients(_ count: Int, seed: UInt64) -> [[String: String]] {
        let first = ["Okafor", "Patel", "Hughes", "Nowak", "Begum", "Murphy", "Khan", "Evans", "Silva", "Walsh", "Ahmed", "Clarke",
                     "Kowalski", "Osei", "Rahman", "Byrne", "Mensah", "Shah", "Doyle", "Ali", "Thomas", "Adeyemi", "Hussain", "Kelly",
                     "Lewis", "Mistry", "Owusu", "Quinn", "Reid", "Sandhu", "Taylor", "Usman", "Vaughan", "Wright", "Yilmaz", "Zaman",
                     "Barker", "Chowdhury", "Dunn", "Farah", "Gill", "Hart", "Iqbal", "Jones", "Kaur", "Lynch", "Mohamed", "Nash", "Price", "Rossi"]
        let second = ["Bell", "Carter", "Dixon", "Ellis", "Fraser", "Grant", "Hayes", "Irving", "Jarvis", "Knight", "Lamb", "Marsh",
                      "Nolan", "Oakley", "Parry", "Rowe", "Stone", "Tucker", "Upton", "Vince", "Wade", "Young", "Ashby", "Brooks", "Cole",
                      "Drake", "Ford", "Gough", "Hale", "Ince", "Judd", "Kemp", "Lowe", "Mills", "Noble", "Oates", "Pike", "Rudd", "Sykes", "Todd"]
        let given = ["Amara", "Tobias", "Ifeoma", "Lachlan", "Saoirse", "Mateusz", "Priya", "Callum", "Zainab", "Oliver", "Chiamaka", "Rhys",
                     "Fatima", "Declan", "Anika", "Kwame", "Eleanor", "Tariq", "Niamh", "Dmitri"]
        let outward = ["HA1", "HA3", "UB8", "UB3", "W2", "W12", "SW10", "NW10", "TW3", "W6"]
        let letters = Array("ABDEFGHJLNPQRSTUWXYZ")
        var random = SplitMix64(seed: seed ^ 0x5EED)
        return (0..<count).map { n in
            let year = 1930 + Int.random(in: 0..<90, using: &random)
            let month = Int.random(in: 1...12, using: &random), day = Int.random(in: 1...28, using: &random)
            return [
                "given": given[Int.random(in: 0..<given.count, using: &random)],
                "family": "\(first[n % first.count])-\(second[(n / first.count) % second.count])",
                "dateOfBirth": String(format: "%04d-%02d-%02d", year, month, day),
                "sex": Bool.random(using: &random) ? "F" : "M",
                "postcode": "\(outward[Int.random(in: 0..<outward.count, using: &random)]) \(Int.random(in: 1...9, using: &random))"
                    + "\(letters[Int.random(in: 0..<letters.count, using: &random)])\(letters[Int.random(in: 0..<letters.count, using: &random)])",
                "nhsNumber": ReplicaTests.nhsNumber(910_000_000 + n * 13),
            ]
        }
    }
}

/// The two replicas, one of which the killer thread replaces.
final class ServedReplicas: @unchecked Sendable {
    private let lock = NSLock()
    private var replicas: [ServedReplica]

    init(_ replicas: [ServedReplica]) { self.replicas = replicas }

    var all: [ServedReplica] { lock.withLock { replicas } }
    func replace(_ index: Int, with replica: ServedReplica) { lock.withLock { replicas[index] = replica } }
}

/// What the eight client threads share: where each replica listens (the restarted one moves), what
/// was acknowledged, what went wrong.
final class ConcurrentRun: @unchecked Sendable {
    private let lock = NSLock()
    private var ports: [Int]
    private var acknowledgedIds: [RecordKey: String] = [:]
    private var counts = [0, 0]
    private var problems: [String] = []
    private var reconnectionCount = 0
    /// How many registrations the killed replica had acknowledged when it was killed.
    private var atKill = 0

    init(ports: [Int]) { self.ports = ports }

    func port(of replica: Int) -> Int { lock.withLock { ports[replica] } }
    func moveReplica(_ replica: Int, to port: Int) { lock.withLock { ports[replica] = port } }

    func acknowledge(_ key: RecordKey, _ enterpriseId: String, at replica: Int) {
        lock.withLock {
            acknowledgedIds[key] = enterpriseId
            counts[replica] += 1
        }
    }

    func acknowledgedCount(at replica: Int) -> Int { lock.withLock { counts[replica] } }
    var acknowledged: [RecordKey: String] { lock.withLock { acknowledgedIds } }
    func fail(_ problem: String) { lock.withLock { problems.append(problem) } }
    var failures: [String] { lock.withLock { problems } }
    func reconnected() { lock.withLock { reconnectionCount += 1 } }
    func noteKill(acknowledged: Int) { lock.withLock { atKill = acknowledged } }
    var acknowledgedAtKill: Int { lock.withLock { atKill } }
    var reconnections: Int { lock.withLock { reconnectionCount } }
}
