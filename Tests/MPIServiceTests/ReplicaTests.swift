import Foundation
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
}
