import Foundation
import Logging
import MPICore
import MPILinkage
import MPIService
import MPIStore
import MPIStoreTestSupport
import Testing

/// Two live indexes on one store, as two `mpi serve --replica` on one database: what one registers,
/// merges or decides, the other answers once it has followed the outbox.
@Suite struct ReplicaTests {
    @Test(arguments: StoreBackend.allCases)
    func aReplicaAnswersWhatTheOtherRegisteredMergedAndDecided(_ backend: StoreBackend) async throws {
        let fixture = try await ServiceFixture.make(persons: 200, backend: backend)
        defer { fixture.remove() }
        let other = try IdentityIndex(store: try fixture.temporary.reopen(), builder: try ReferenceData.matchRecordBuilder(), today: .today)
        let shared = try fixture.sharedPerson()

        // A new record at one replica: unknown at the other until it follows.
        var demographics = PatientDemographics()
        demographics.given = "Oluwaseun"
        demographics.family = "Adeyemi-Clarke"
        demographics.dateOfBirth = "1961-02-03"
        demographics.sex = "F"
        demographics.postcode = "UB8 3PH"
        let registered = try fixture.index.register(source: "RAS", recordId: "REPLICA-1", demographics: demographics, actor: "pas")
        let key = RecordKey(source: "RAS", recordId: "REPLICA-1")
        #expect(other.resolve(.record(key), actor: "t").isEmpty)
        #expect(try other.followChanges() > 0)
        #expect(other.resolve(.record(key), actor: "t").map(\.enterpriseId) == [registered.enterpriseId])
        #expect(try other.followChanges() == 0)   // nothing twice

        // A source's merge at one replica: the other redirects the retired person and drops the record.
        let person = try fixture.index.merge(survivor: shared.r1k, retired: key, actor: "pas")
        try other.followChanges()
        #expect(other.resolve(.record(key), actor: "t").isEmpty)
        #expect(other.resolve(.enterprise(try #require(EnterpriseID(registered.enterpriseId))), actor: "t").map(\.enterpriseId)
                == [person.enterpriseId])

        // And what the other registers comes back the same way.
        let back = try other.register(source: "RAS", recordId: "REPLICA-2", demographics: demographics, actor: "pas")
        try fixture.index.followChanges()
        #expect(fixture.index.resolve(.record(RecordKey(source: "RAS", recordId: "REPLICA-2")), actor: "t").map(\.enterpriseId)
                == [back.enterpriseId])
    }

    /// The same new patients registered at two replicas at the same moment (a record at RAS through
    /// one, at RQM through the other, in opposite orders, on two threads): each patient ends as one
    /// person, because each replica decides under the database's registration lock after following
    /// the other. On SQLite the two indexes share one file and take turns on its write lock.
    @Test(arguments: StoreBackend.allCases)
    func simultaneousRegistrationsOfOnePatientMakeOnePerson(_ backend: StoreBackend) async throws {
        let fixture = try await ServiceFixture.make(persons: 100, backend: backend)
        defer { fixture.remove() }
        let builder = try ReferenceData.matchRecordBuilder()
        let a = try IdentityIndex(store: try fixture.temporary.reopen(), builder: builder, today: .today, followsOtherWriters: true)
        let b = try IdentityIndex(store: try fixture.temporary.reopen(), builder: builder, today: .today, followsOtherWriters: true)
        let patients = (0..<60).map { n -> PatientDemographics in
            var demographics = PatientDemographics()
            demographics.given = ["Amara", "Tobias", "Ifeoma", "Lachlan", "Saoirse", "Mateusz"][n % 6]
            demographics.family = "Concurrent\(["a", "e", "i", "o", "u"][n % 5])\(n)ski"
            demographics.dateOfBirth = "19\(40 + n % 60)-\(n % 9 + 1 < 10 ? "0" : "")\(n % 9 + 1)-\(10 + n % 18)"
            demographics.sex = n % 2 == 0 ? "F" : "M"
            demographics.postcode = "HA\(n % 9 + 1) \(n % 9 + 1)AB"
            demographics.nhsNumber = Self.nhsNumber(900_000_000 + n * 7)
            return demographics
        }
        async let throughA: [String] = Task.detached {
            try patients.indices.map { n in try a.register(source: "RAS", recordId: "SAME-\(n)", demographics: patients[n], actor: "pas").enterpriseId }
        }.value
        async let throughB: [String] = Task.detached {
            try patients.indices.reversed().map { n in
                try b.register(source: "RQM", recordId: "SAME-\(n)", demographics: patients[n], actor: "pas").enterpriseId
            }.reversed()
        }.value
        let (first, second) = try await (throughA, throughB)
        // The store's word: each patient's two records share one person.
        let persons = try fixture.store.memberships(of: patients.indices.flatMap {
            [RecordKey(source: "RAS", recordId: "SAME-\($0)"), RecordKey(source: "RQM", recordId: "SAME-\($0)")]
        })
        for n in patients.indices {
            let ras = persons[RecordKey(source: "RAS", recordId: "SAME-\(n)")], rqm = persons[RecordKey(source: "RQM", recordId: "SAME-\(n)")]
            #expect(ras != nil && ras == rqm, "patient \(n): \(String(describing: ras)) and \(String(describing: rqm))")
        }
        // Every registration was answered; once both have followed, the two indexes answer alike.
        #expect(first.count == patients.count && second.count == patients.count)
        try a.followChanges()
        try b.followChanges()
        for n in patients.indices {
            let key = RecordKey(source: "RAS", recordId: "SAME-\(n)")
            #expect(a.resolve(.record(key), actor: "t").map(\.enterpriseId) == b.resolve(.record(key), actor: "t").map(\.enterpriseId))
        }
    }

    /// A replica's follower wakes on the other's registration: on PostgreSQL at the outbox trigger's
    /// NOTIFY (its polls here are an hour apart, so only a wake-up can make it follow), on SQLite at
    /// its 200 ms poll. The deadline is generous: on a machine busy with the other tests, a task can
    /// wait seconds for a thread.
    @Test(arguments: StoreBackend.allCases)
    func theFollowerWakesOnAnotherReplicasRegistration(_ backend: StoreBackend) async throws {
        let fixture = try await ServiceFixture.make(persons: 60, backend: backend)
        defer { fixture.remove() }
        let other = try IdentityIndex(store: try fixture.temporary.reopen(), builder: try ReferenceData.matchRecordBuilder(), today: .today)
        let follower = Task {
            try await ChangeFollower(index: other, interval: backend == .postgres ? .seconds(3600) : .milliseconds(200),
                                     fallbackInterval: .seconds(3600), logger: Logger(label: "test")).run()
        }
        defer { follower.cancel() }
        try await Task.sleep(for: .milliseconds(500))   // listening

        var demographics = PatientDemographics()
        demographics.given = "Wakeful"
        demographics.family = "Notifiedson"
        demographics.dateOfBirth = "1977-07-07"
        for number in 0..<3 {
            let registered = try fixture.index.register(source: "RAS", recordId: "WAKE-\(number)", demographics: demographics, actor: "pas")
            let started = ContinuousClock.now
            var answered: [String] = []
            while answered.isEmpty, ContinuousClock.now - started < .seconds(120) {
                answered = other.resolve(.record(RecordKey(source: "RAS", recordId: "WAKE-\(number)")), actor: "t").map(\.enterpriseId)
                try await Task.sleep(for: .milliseconds(10))
            }
            #expect(answered == [registered.enterpriseId], "registration \(number) not followed within 120 s")
        }
    }

    /// A valid NHS number (modulus 11) from nine digits.
    static func nhsNumber(_ nine: Int) -> String {
        let digits = String(format: "%09d", nine).compactMap(\.wholeNumberValue)
        let sum = digits.enumerated().reduce(0) { $0 + $1.element * (10 - $1.offset) }
        let check = (11 - sum % 11) % 11
        return check == 10 ? nhsNumber(nine + 1) : digits.map(String.init).joined() + String(check)
    }
}
