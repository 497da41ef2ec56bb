import Foundation
import Logging
import MPICore
import MPILinkage
import MPINormalize
import MPIService
import MPIStore
import MPIStoreTestSupport
import Testing
import MPILinkageTestSupport
import MPITestSupport

@Suite struct ServiceReloadTests {
    /// `mpi link --db` runs (as another process would) while the service serves. Until it reloads, the
    /// index answers with the persons it loaded; after `reload` it answers with the link run's, and a
    /// patient registered while the reload was building its new state is still there after the swap.
    @Test func theIndexFollowsALinkRunAndKeepsWhatWasRegisteredMeanwhile() async throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("reload-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: directory) }
        let deliveries = try TwoDeliveries(persons: 600, seed: 3, in: directory)
        let db = directory.appendingPathComponent("mpi.sqlite").path
        let store = try IdentityStore(path: db, durableCommits: true)
        try await LibraryPipeline.importJob(deliveries.firstJob, into: store)
        try await LibraryPipeline.link(deliveries.firstJob, store: store)
        let index = try IdentityIndex(store: store, builder: try ReferenceData.matchRecordBuilder(), today: .today)
        #expect(try !index.storeHasNewerLinkRun())

        try await LibraryPipeline.importJob(deliveries.fullJob, into: store)
        let arriving = try #require(try store.recordsWaitingToBeLinked().sorted().first)
        // Another process's link run: its own connection to the store.
        try await LibraryPipeline.link(deliveries.fullJob, store: try IdentityStore(path: db))
        #expect(try index.storeHasNewerLinkRun())
        #expect(index.resolve(.record(arriving), actor: "test").isEmpty)          // not yet: the index is the one it loaded

        let newPatient = RecordKey(source: "RAS", recordId: "RAS-RELOAD-1")
        var registered: IdentityIndex.RegistrationOutcome?
        try index.reload(beforeSwap: {
            registered = try index.register(source: newPatient.source, recordId: newPatient.recordId,
                                            demographics: PatientDemographics(given: "Ottoline", family: "Quennell", dateOfBirth: "1931-02-17",
                                                                              sex: "F", postcode: "UB8 3NN"),
                                            actor: "test")
        })
        #expect(try !index.storeHasNewerLinkRun())

        let fromStore = try #require(try store.resolve(source: arriving.source, recordId: arriving.recordId, actor: "test"))
        let fromIndex = try #require(index.resolve(.record(arriving), actor: "test").first)
        #expect(fromIndex.enterpriseId == fromStore.enterpriseId)
        #expect(fromIndex.records == fromStore.records)
        let kept = try #require(index.resolve(.record(newPatient), actor: "test").first)
        #expect(kept.enterpriseId == registered?.enterpriseId)
        #expect(try store.resolve(source: newPatient.source, recordId: newPatient.recordId, actor: "test")?.enterpriseId == kept.enterpriseId)
    }

    /// `mpi serve` runs a watcher beside its listeners: it notices a link run committed by another
    /// process and reloads the index without being asked.
    @Test(arguments: StoreBackend.allCases) func theWatcherReloadsAfterALinkRun(_ backend: StoreBackend) async throws {
        let fixture = try await ServiceFixture.make(persons: 200, backend: backend)
        defer { fixture.remove() }
        let before = fixture.index.modelVersion
        let watcher = StoreWatcher(index: fixture.index, interval: .milliseconds(50), logger: Logger(label: "test"))
        let watching = Task { try await watcher.run() }
        defer { watching.cancel() }
        try await LibraryPipeline.link(fixture.job, store: try fixture.temporary.reopen(), relink: true)
        let deadline = ContinuousClock.now + .seconds(20)
        while fixture.index.modelVersion == before, ContinuousClock.now < deadline { try await Task.sleep(for: .milliseconds(50)) }
        #expect(fixture.index.modelVersion != before)
        #expect(fixture.index.modelVersion == (try fixture.store.latestModelVersion()))
    }
}
