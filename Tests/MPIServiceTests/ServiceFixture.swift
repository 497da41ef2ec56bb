import Foundation
import MPICore
import MPILinkage
import MPINormalize
import MPIService
import MPILinkageTestSupport
import MPIStore
import MPIStoreTestSupport
import MPITestSupport
import Testing

/// A linked identity store from a small synthetic population, built through the library as a data
/// steward's `mpi import` and `mpi link` would build it, the live index over it, and a clients file
/// with three clients: an EHR at R1K (everything for R1K), a lab at RYJ (resolve only) and a PAS at
/// RAS (register for RAS).
struct ServiceFixture {
    let directory: URL
    /// The store as `--db` takes it: a SQLite path or a PostgreSQL URL.
    var db: String { temporary.location }
    let temporary: TemporaryStore
    var store: any IdentityBackend { temporary.store }
    let index: IdentityIndex
    let registry: ClientRegistry

    static let ehrToken = "ehr-token-for-tests"
    static let labToken = "lab-token-for-tests"

    var job: String { directory.appendingPathComponent("generated/job.json").path }

    /// On `backend`: SQLite by default; the tests that run over both backends pass theirs.
    static func make(persons: Int = 300, backend: StoreBackend = .sqlite) async throws -> ServiceFixture {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("mpi-service-\(UUID().uuidString)")
        let generated = directory.appendingPathComponent("generated")
        try SyntheticExtracts.write(persons: persons, seed: 4, to: generated)
        let temporary = try backend.temporaryStore(durableCommits: true)
        try await LibraryPipeline.importJob(generated.appendingPathComponent("job.json").path, into: temporary.store)
        try await LibraryPipeline.link(generated.appendingPathComponent("job.json").path, store: temporary.store)
        let index = try IdentityIndex(store: temporary.store, builder: try ReferenceData.matchRecordBuilder(), today: .today)
        return ServiceFixture(directory: directory, temporary: temporary, index: index, registry: Self.clients)
    }

    static let clients = ClientRegistry(
        domains: [
            IdentifierDomain(name: "R1K", universalId: "2.16.840.1.113883.2.1.3.2.4.18.24.1", kind: .source),
            IdentifierDomain(name: "RAS", kind: .source), IdentifierDomain(name: "RYJ", kind: .source), IdentifierDomain(name: "RQM", kind: .source),
            IdentifierDomain(name: "NHS", universalId: "2.16.840.1.113883.2.1.4.1", kind: .nhsNumber),
            IdentifierDomain(name: "MPI", kind: .enterprise),
        ],
        clients: [
            Client(name: "r1k-ehr", tokenSHA256: ClientRegistry.tokenHash(ehrToken), permissions: [.resolve, .match, .register], source: "R1K",
                   hl7Senders: [.init(application: "EHR", facility: "R1K")], maximumConnections: 4),
            Client(name: "ras-pas", tokenSHA256: nil, permissions: [.resolve, .match, .register], source: "RAS",
                   hl7Senders: [.init(application: "PAS", facility: "RAS")], maximumConnections: nil),
            Client(name: "ryj-lab", tokenSHA256: ClientRegistry.tokenHash(labToken), permissions: [.resolve], source: "RYJ",
                   hl7Senders: [.init(application: "LAB", facility: "RYJ")], maximumConnections: nil),
        ])

    func remove() {
        temporary.remove()
        try? FileManager.default.removeItem(at: directory)
    }

    /// A person with records at both R1K and RYJ, and one of its R1K records' normalised form.
    func sharedPerson() throws -> (r1k: RecordKey, ryj: RecordKey, enterpriseId: EnterpriseID, record: NormalizedRecord) {
        let memberships = try store.memberships()
        var byPerson: [EnterpriseID: [RecordKey]] = [:]
        for (key, id) in memberships { byPerson[id, default: []].append(key) }
        for (id, keys) in byPerson.sorted(by: { $0.key.value < $1.key.value }) {
            guard let r1k = keys.filter({ $0.source == "R1K" }).min(), let ryj = keys.filter({ $0.source == "RYJ" }).min() else { continue }
            let record = try #require(try store.normalizedRecords([r1k])[r1k])
            guard !record.name.family.isEmpty, !record.name.given.isEmpty, record.dateOfBirth?.date.precision == .day else { continue }
            return (r1k, ryj, id, record)
        }
        throw FixtureError("no person with records at R1K and RYJ")
    }
}

/// A fixture that could not be built, or a helper that failed, said plainly.
struct FixtureError: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}
