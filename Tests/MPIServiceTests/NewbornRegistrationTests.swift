import Foundation
import MPICore
import MPIService
import MPIStore
import MPIStoreTestSupport
import Testing

/// A newborn registered in real time under its mother's NHS number is matched as a batch run would
/// match it: without that number. The mother's number then ties the baby to nobody, and the child's
/// later registration (its own number, a real forename) meets the baby's record in review instead of
/// being set apart by a "different" NHS number.
@Suite struct NewbornRegistrationTests {
    @Test(arguments: StoreBackend.allCases) func aBabyUnderItsMothersNumberMeetsItsLaterRecord(_ backend: StoreBackend) async throws {
        let fixture = try await ServiceFixture.make(persons: 300, backend: backend)
        defer { fixture.remove() }
        let keys = try fixture.store.memberships().keys.filter { $0.source == "R1K" }.sorted()
        let records = try fixture.store.normalizedRecords(keys)
        let mother = try #require(keys.lazy.compactMap { records[$0] }.first { record in
            record.nhsNumber != nil && record.postcode != nil && !record.name.family.isEmpty
                && (record.dateOfBirth?.date.year ?? 2026) < 1995 && record.name.placeholder == nil
        })
        let family = mother.name.family, postcode = mother.postcode?.unit, birth = "2026-11-30"

        let baby = try fixture.index.register(
            source: "RAS", recordId: "RAS-NEWBORN-1",
            demographics: PatientDemographics(given: "BABY", family: family, dateOfBirth: birth, sex: "F",
                                              nhsNumber: mother.nhsNumber?.digits, postcode: postcode),
            actor: "test")
        #expect(baby.outcome == .created)
        #expect(!baby.review.contains { $0.record == mother.key })   // the number is the mother's: no tie to her
        // Who holds the mother's number? The mother, not the baby.
        let holders = fixture.index.resolve(.nhsNumber(try #require(mother.nhsNumber?.digits)), actor: "test")
        #expect(holders.count == 1 && holders.first?.records.contains(mother.key) == true, "\(holders)")

        let child = try fixture.index.register(
            source: "RAS", recordId: "RAS-CHILD-1",
            demographics: PatientDemographics(given: "ZENOBIA", family: family, dateOfBirth: birth, sex: "F",
                                              nhsNumber: "9990000018", postcode: postcode),
            actor: "test")
        #expect(child.review.contains { $0.record == RecordKey(source: "RAS", recordId: "RAS-NEWBORN-1") }, "\(child)")
    }
}
