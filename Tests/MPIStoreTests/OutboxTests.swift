import Foundation
import MPICore
import MPIStore
import MPIStoreTestSupport
import Testing

/// The outbox of identity changes: every change to a person writes its entry in the change's own
/// transaction, with the cause and the person's records after it; subscribers' places and parked
/// entries are kept beside it.
@Suite struct OutboxTests {
    private func record(_ id: String, family: String = "SMITH") -> StoredRecord {
        let key = RecordKey(source: "A", recordId: id)
        return StoredRecord(key: key, raw: ["ID": id, "NAME": family], normalized: NormalizedRecord(key: key, name: PersonName(given: "JOHN", family: family)))
    }

    private func keys(_ ids: String...) -> [RecordKey] { ids.map { RecordKey(source: "A", recordId: $0) } }

    private func changes(_ store: any IdentityBackend, after sequence: Int64 = 0) throws -> [IdentityChange] {
        try store.identityChanges(after: sequence, limit: 1000)
    }

    @Test(arguments: StoreBackend.allCases) func aLinkRunWritesWhatItChangedAndNothingForARerun(_ backend: StoreBackend) throws {
        let temporary = try backend.temporaryStore()
        defer { temporary.remove() }
        let store = temporary.store
        _ = try store.importSource(code: "A", records: (1...5).map { record("\($0)") }, fullExtract: true, actor: "t")
        _ = try store.applyPersons([keys("1", "2"), keys("3"), keys("4", "5")], reason: "first", actor: "steward-run")
        let first = try changes(store)
        #expect(first.map(\.event) == [.created, .created, .created])
        #expect(first.allSatisfy { $0.cause == .linkRun && $0.actor == "steward-run" })
        #expect(Set(first.map(\.records)) == [keys("1", "2"), keys("3"), keys("4", "5")])
        #expect(first.map(\.sequence) == first.map(\.sequence).sorted() && Set(first.map(\.sequence)).count == 3)

        // The same persons again: nothing changed, nothing to tell.
        _ = try store.applyPersons([keys("1", "2"), keys("3"), keys("4", "5")], reason: "again", actor: "t")
        #expect(try changes(store, after: first.last!.sequence).isEmpty)

        // 3 joins 1 and 2 (a merge: the older id survives), 5 leaves 4 (a split).
        let before = try store.memberships()
        _ = try store.applyPersons([keys("1", "2", "3"), keys("4"), keys("5")], reason: "third", actor: "t")
        let third = try changes(store, after: first.last!.sequence)
        let merged = try #require(third.first { $0.event == .merged })
        #expect(merged.enterpriseId == before[keys("1")[0]] && merged.otherId == before[keys("3")[0]])
        #expect(merged.records == keys("1", "2", "3"))
        let split = try #require(third.first { $0.event == .split })
        #expect(split.records == keys("5") && split.otherId == before[keys("4")[0]])
        let updated = try #require(third.first { $0.event == .updated })
        #expect(updated.enterpriseId == before[keys("4")[0]] && updated.records == keys("4"))
        #expect(third.count == 3)
    }

    @Test(arguments: StoreBackend.allCases) func registrationsSourceMergesAndDecisionsWriteTheirEntries(_ backend: StoreBackend) throws {
        let temporary = try backend.temporaryStore()
        defer { temporary.remove() }
        let store = temporary.store
        let created = try store.register(record("1"), person: nil, review: [], modelVersion: nil, actor: "ehr", action: "register")
        let joined = try store.register(record("2"), person: created.enterpriseId, review: [], modelVersion: nil, actor: "ehr", action: "register")
        let other = try store.register(record("3", family: "JONES"), person: nil, review: [], modelVersion: nil, actor: "pas", action: "register")
        var entries = try changes(store)
        #expect(entries.map(\.event) == [.created, .updated, .created])
        #expect(entries[1].enterpriseId == joined.enterpriseId && entries[1].records == keys("1", "2"))
        #expect(entries.allSatisfy { $0.cause == .registration })
        #expect(entries[2].actor == "pas")

        try store.decide(keys("2")[0], keys("3")[0], .unlink, reason: "different people", steward: "Dr Patel")
        try store.decide(keys("2")[0], keys("3")[0], .notSure, reason: "", steward: "Dr Patel")   // tells nobody anything
        entries = try changes(store, after: entries.last!.sequence)
        #expect(entries.count == 1)
        #expect(entries[0].event == .unlinked && entries[0].cause == .steward && entries[0].actor == "Dr Patel")
        #expect(entries[0].records == keys("2", "3"))
        #expect(entries[0].enterpriseId == created.enterpriseId && entries[0].otherId == other.enterpriseId)

        // The source merges its record 3 into 1: one person, the older id kept.
        _ = try #require(try store.mergeRecords(survivor: keys("1")[0], retired: keys("3")[0], actor: "pas"))
        let merge = try #require(try changes(store, after: entries[0].sequence).first)
        #expect(merge.event == .merged && merge.cause == .sourceMerge)
        #expect(merge.enterpriseId == created.enterpriseId && merge.otherId == other.enterpriseId)
        #expect(merge.records == keys("1", "2"))   // the retired record is inactive and left
    }

    @Test(arguments: StoreBackend.allCases) func subscribersStartAtTheNewestEntryAndParkedEntriesWaitForARetry(_ backend: StoreBackend) throws {
        let temporary = try backend.temporaryStore()
        defer { temporary.remove() }
        let store = temporary.store
        _ = try store.register(record("1"), person: nil, review: [], modelVersion: nil, actor: "ehr", action: "register")
        let newest = try store.latestChangeSequence()
        #expect(try store.deliveredThrough(subscriber: "lab") == newest)   // not the store's whole past
        _ = try store.register(record("2"), person: nil, review: [], modelVersion: nil, actor: "ehr", action: "register")
        _ = try store.register(record("3"), person: nil, review: [], modelVersion: nil, actor: "ehr", action: "register")
        #expect(try store.subscriberProgress() == [SubscriberProgress(subscriber: "lab", deliveredThrough: newest, waiting: 2, parked: 0)])

        try store.park(subscriber: "lab", sequence: newest + 1, controlId: "MPIN\(newest + 1)", reason: "AE: unknown patient")
        #expect(try store.deliveredThrough(subscriber: "lab") == newest + 1)
        try store.recordDelivery(subscriber: "lab", through: newest)   // never moves back
        #expect(try store.deliveredThrough(subscriber: "lab") == newest + 1)
        let parked = try store.parkedNotifications(subscriber: "lab")
        #expect(parked.map(\.reason) == ["AE: unknown patient"] && parked.allSatisfy { !$0.retryRequested })
        #expect(try store.retryParked(subscriber: "lab", sequence: nil, actor: "operator") == 1)
        #expect(try store.parkedNotifications(subscriber: "lab").allSatisfy(\.retryRequested))
        #expect(try store.auditTrail().contains { $0.action == "outbox retry" && $0.actor == "operator" })
        try store.unpark(subscriber: "lab", sequence: newest + 1)
        #expect(try store.parkedNotifications(subscriber: nil).isEmpty)
        #expect(try store.status().subscribers.first?.waiting == 1)

        // Pruning keeps what the subscriber has not been sent, and parked entries.
        try store.park(subscriber: "lab", sequence: newest + 1, controlId: "MPIN\(newest + 1)", reason: "AE: again")
        #expect(try store.pruneOutbox(actor: "operator") == Int(newest))   // the entries up to the subscriber's start
        #expect(try store.identityChanges(after: 0, limit: 10).map(\.sequence) == [newest + 1, newest + 2])
        #expect(try store.latestChangeSequence() == newest + 2)
        #expect(try store.outboxSize() == 2)
    }
}
