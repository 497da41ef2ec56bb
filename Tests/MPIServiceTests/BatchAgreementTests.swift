import Foundation
import MPICore
import MPILinkage
import MPIService
import MPIStore
import Testing

@Suite struct BatchAgreementTests {
    /// Placing every record one at a time through the registration path must mostly rebuild the batch
    /// run's persons, and must not touch the store it measures.
    @Test func realTimePlacementAgreesWithBatchAndLeavesTheStoreAlone() async throws {
        let fixture = try await ServiceFixture.make(persons: 200)
        defer { fixture.remove() }
        let before = try fixture.store.memberships()
        let report = try BatchAgreement(store: try #require(fixture.store as? IdentityStore), builder: try ReferenceData.matchRecordBuilder(), today: .today).measure(seed: 3)
        #expect(report.records == before.count)
        #expect(report.batchPersons == Set(before.values).count)
        #expect(report.pairwisePrecision > 0.95, "real time linked \(report.pairsOnlyRealTimeLinked) pairs batch did not")
        #expect(report.pairwiseRecall > 0.9, "real time missed \(report.pairsOnlyBatchLinked) of batch's pairs")
        #expect(try fixture.store.memberships() == before)
    }
}
