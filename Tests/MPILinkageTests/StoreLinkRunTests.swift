import Foundation
import GRDB
import MPICore
import MPILinkage
import MPILinkageTestSupport
import MPIStore
import MPITestSupport
import Synchronization
import Testing

@Suite struct IncrementalRunTests {
    /// An incremental run loads only the new records, the stored records sharing a blocking value with
    /// them and those records' persons. It must link exactly as a run over every record of the store
    /// would: the same persons and the same review items. Blocks are capped at four records, so some
    /// blocks are too large in the whole store but small among the loaded records: the cap must follow
    /// the store. Also when the rules changed after the first run (their order), so that every stored
    /// key is stale and the run must compute them all; and when the second delivery changes 40 RAS
    /// records already linked (new surname and NHS number), so that records leave their persons.
    enum SecondRun: CaseIterable { case newRecords, rulesChanged, recordsChanged }

    @Test(arguments: SecondRun.allCases) func anIncrementalRunLinksAsARunOverTheWholeStoreWould(_ variant: SecondRun) async throws {
        let rulesChangedSinceLastRun = variant == .rulesChanged
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("incremental-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: directory) }
        let deliveries = try TwoDeliveries(persons: 1_500, seed: 8, in: directory) { $0["blocking"] = ["maximumBlockSize": 4] }
        let full = deliveries.full, first = deliveries.first
        if variant == .recordsChanged {
            let ras = full.appendingPathComponent("ras.tsv")
            var lines = try String(contentsOf: ras, encoding: .windowsCP1252).components(separatedBy: "\r\n")
            for row in 1...40 where row < lines.count {
                var fields = lines[row].components(separatedBy: "\t")
                fields[2] = "Changedname\(row)"                      // SURNAME
                fields[5] = ""                                       // NHS_NUMBER
                lines[row] = fields.joined(separator: "\t")
            }
            try lines.joined(separator: "\r\n").write(to: ras, atomically: true, encoding: .windowsCP1252)
        }
        let jobURL = full.appendingPathComponent("job.json")
        var job = try #require(try JSONSerialization.jsonObject(with: Data(contentsOf: jobURL)) as? [String: Any])

        let db = directory.appendingPathComponent("mpi.sqlite").path
        let linking = try IdentityStore(path: db)
        try await LibraryPipeline.importJob(first.appendingPathComponent("job.json").path, into: linking)
        try await LibraryPipeline.link(first.appendingPathComponent("job.json").path, store: linking)
        try await LibraryPipeline.importJob(jobURL.path, into: linking)
        if rulesChangedSinceLastRun {
            job["blocking"] = ["maximumBlockSize": 4, "rules": BlockingRule.nhsDefaults.reversed().map(\.description)]
            try JSONSerialization.data(withJSONObject: job).write(to: jobURL)
        }

        // The reference: every active record loaded, persons held together, only pairs with a new record scored.
        let reference = try IdentityStore(path: db)
        let pending = try reference.recordsWaitingToBeLinked()
        #expect(pending.filter { $0.source == "RAS" }.count == (variant == .recordsChanged ? 40 : 0))
        let memberships = try reference.memberships()
        let model = try #require(try reference.linkageModel())
        var constraints = LinkConstraints(decisions: try reference.decisions())
        constraints.linkOnly(pending, keeping: memberships)
        let linkRun = LinkRun(job: try JobFile.load(jobURL.path), jobDirectory: full, builder: try ReferenceData.matchRecordBuilder(),
                              today: .today, workers: 2)
        let whole = try await linkRun.run(loaded: linkRun.loaded(from: try reference.activeRecords()), model: model, readSeconds: 0,
                                          constraints: constraints)
        #expect(whole.blockingReports.contains { $0.skippedBlocks > 0 })
        var expectedPersons: [Int32: Set<RecordKey>] = [:]
        for (index, record) in whole.loaded.records.enumerated() { expectedPersons[whole.clusters.personOf[index], default: []].insert(record.key) }
        let expectedReview = Set(whole.clusters.review.map { "\(whole.loaded.records[Int($0.pair.i)].key) ~ \(whole.loaded.records[Int($0.pair.j)].key)" })

        let result = try await LibraryPipeline.link(jobURL.path, store: linking)
        #expect(result.incremental)
        let store = linking
        var persons: [EnterpriseID: Set<RecordKey>] = [:]
        for (key, id) in try store.memberships() { persons[id, default: []].insert(key) }
        let differing = Set(persons.values).symmetricDifference(Set(expectedPersons.values))
        #expect(differing.isEmpty, "\(differing.count) persons differ from the whole-store run's")
        let review = Set(try store.reviewQueue(limit: 100_000).filter { pending.contains($0.left) || pending.contains($0.right) }
            .map { "\($0.left) ~ \($0.right)" })
        #expect(review.symmetricDifference(expectedReview).isEmpty, "review items differ: \(review.symmetricDifference(expectedReview).count)")
        #expect(!review.isEmpty)
    }
}

@Suite struct StoreLinkRunTests {
    /// A store whose latest model cannot be read must stop the run with an error that says so. Before,
    /// a model that failed to decode silently turned an incremental run into a full re-train, with a new
    /// model the stewards never saw.
    @Test func anUnreadableStoredModelStopsTheRunInsteadOfRetraining() async throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("unreadable-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: directory) }
        let deliveries = try TwoDeliveries(persons: 150, seed: 2, in: directory)
        let db = directory.appendingPathComponent("mpi.sqlite").path
        let store = try IdentityStore(path: db)
        try await LibraryPipeline.importJob(deliveries.firstJob, into: store)
        try await LibraryPipeline.link(deliveries.firstJob, store: store)
        try await LibraryPipeline.importJob(deliveries.fullJob, into: store)
        let version = try store.latestModelVersion()
        try StoreSurgery.replaceLatestModel(in: db, with: #"{"comparisons": "not a model"}"#)

        await #expect {
            try await LibraryPipeline.link(deliveries.fullJob, store: store)
        } throws: { error in
            guard case StoreError.unreadableModel = error else { return false }
            return true
        }
        #expect(try store.latestModelVersion() == version)   // nothing applied, no new model
    }

    /// Progress arrives through the callback: steps for every stage, reading counts per feed, and never
    /// a value from the extracts.
    @Test func progressReportsEveryStageAndNoValues() async throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("progress-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: directory) }
        try SyntheticExtracts.write(persons: 600, seed: 5, to: directory)
        let events = Mutex<[LinkProgressEvent]>([])
        let job = directory.appendingPathComponent("job.json").path
        let run = LinkRun(job: try JobFile.load(job), jobDirectory: directory, builder: try ReferenceData.matchRecordBuilder(), today: .today,
                          workers: 2, progress: LinkProgress { event in events.withLock { $0.append(event) } })
        let outcome = try await run.run(model: nil)
        let steps = events.withLock { $0 }.compactMap { event -> String? in if case .step(let text) = event { text } else { nil } }
        for prefix in ["read R1K", "read RAS", "read RYJ", "read RQM", "blocking:", "training:", "clustering:"] {
            #expect(steps.contains { $0.hasPrefix(prefix) }, "no progress step starting \(prefix)")
        }
        #expect(events.withLock { $0 }.contains { if case .reading(feed: "R1K", _, _) = $0 { true } else { false } })
        // No surname, forename or record id of any record appears in what was reported.
        let reported = steps.joined(separator: "\n").uppercased()
        let values = outcome.loaded.records.prefix(200).flatMap { [String(decoding: $0.family, as: UTF8.self), $0.key.recordId.uppercased()] }
        let leaked = values.filter { $0.count >= 5 && reported.contains($0) }
        #expect(leaked.isEmpty, "progress mentions values: \(leaked.prefix(3))")
    }
}

/// Damage done to a store on purpose, as a broken upgrade or a bad restore would: through a second
/// connection, as another program would write it.
enum StoreSurgery {
    static func replaceLatestModel(in db: String, with text: String) throws {
        try DatabaseQueue(path: db).write { database in
            try database.execute(sql: "UPDATE model_version SET model = ? WHERE id = (SELECT max(id) FROM model_version)", arguments: [text])
        }
    }
}
