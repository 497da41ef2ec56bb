import Foundation
import GRDB
import MPICore
@testable import MPIStore
import MPIStoreTestSupport
import Testing

private func temporaryStore() throws -> (IdentityStore, URL) {
    let url = FileManager.default.temporaryDirectory.appendingPathComponent("store-\(UUID().uuidString).sqlite")
    return (try IdentityStore(path: url.path), url)
}

private func record(_ source: String, _ id: String, family: String = "SMITH", nhs: String? = nil) -> StoredRecord {
    let key = RecordKey(source: source, recordId: id)
    var normalized = NormalizedRecord(key: key, name: PersonName(given: "JOHN", family: family))
    normalized.nhsNumber = nhs.map { NHSNumber(validatedDigits: $0) }
    return StoredRecord(key: key, raw: ["ID": id, "NAME": family], normalized: normalized)
}

private func keys(_ ids: [String], source: String = "A") -> [RecordKey] { ids.map { RecordKey(source: source, recordId: $0) } }

@Suite struct IdentityStoreTests {
    /// A store is several files (the database, the lookup log, the write-ahead logs of both); removing
    /// a store removes every one (`mpi agreement` left its scratch copy's lookup log behind).
    @Test func removingAStoreLeavesNoFileBehind() throws {
        let (store, url) = try temporaryStore()
        _ = try store.importSource(code: "A", records: [record("A", "1")], fullExtract: true, actor: "test")
        _ = try store.resolve(source: "A", recordId: "1", actor: "test")   // opens and writes the lookup log
        #expect(IdentityStore.files(at: url.path).contains { FileManager.default.fileExists(atPath: $0) && $0.hasSuffix("-lookups") })
        IdentityStore.remove(at: url.path)
        #expect(IdentityStore.files(at: url.path).allSatisfy { !FileManager.default.fileExists(atPath: $0) })
    }

    @Test(arguments: StoreBackend.allCases) func reimportChangesNothingAndChangesAreUpdated(_ backend: StoreBackend) throws {
        let temporary = try backend.temporaryStore()
        defer { temporary.remove() }
        let store = temporary.store
        let first = try store.importSource(code: "A", records: [record("A", "1"), record("A", "2")], fullExtract: true, actor: "test")
        #expect(first.added == 2)
        let again = try store.importSource(code: "A", records: [record("A", "1"), record("A", "2")], fullExtract: true, actor: "test")
        #expect(again.unchanged == 2 && again.added == 0 && again.changed == 0)
        let changed = try store.importSource(code: "A", records: [record("A", "1", family: "JONES")], fullExtract: true, actor: "test")
        #expect(changed.changed == 1)
        #expect(changed.markedInactive == 1)               // record 2 left the full extract: inactive, not deleted
        #expect(try store.activeRecords().map(\.key.recordId) == ["1"])
        #expect(try store.activeRecords().first?.name.family == "JONES")
        if let sqlite = store as? IdentityStore { #expect(try sqlite.integrityCheck() == "ok") }
    }

    @Test(arguments: StoreBackend.allCases) func idsAreStableAcrossUnchangedRelinks(_ backend: StoreBackend) throws {
        let temporary = try backend.temporaryStore()
        defer { temporary.remove() }
        let store = temporary.store
        _ = try store.importSource(code: "A", records: (1...4).map { record("A", "\($0)") }, fullExtract: true, actor: "t")
        let groups = [keys(["1", "2"]), keys(["3"]), keys(["4"])]
        let first = try store.applyPersons(groups, reason: "test", actor: "t")
        #expect(first.minted == 3)
        let before = try store.memberships()
        let second = try store.applyPersons(groups, reason: "test", actor: "t")
        #expect(second.minted == 0 && second.recordsMoved == 0 && second.merged == 0 && second.split == 0)
        #expect(try store.memberships() == before)
    }

    @Test(arguments: StoreBackend.allCases) func mergeKeepsTheOlderIdAndRedirects(_ backend: StoreBackend) throws {
        let temporary = try backend.temporaryStore()
        defer { temporary.remove() }
        let store = temporary.store
        _ = try store.importSource(code: "A", records: (1...3).map { record("A", "\($0)") }, fullExtract: true, actor: "t")
        _ = try store.applyPersons([keys(["1", "2"])], reason: "first", actor: "t")
        _ = try store.applyPersons([keys(["1", "2"]), keys(["3"])], reason: "second", actor: "t")
        let before = try store.memberships()
        let older = before[RecordKey(source: "A", recordId: "1")]!, younger = before[RecordKey(source: "A", recordId: "3")]!
        // 3 now links to 1 and 2: one group of three; tie-free because 1 and 2 carry the older id.
        let merge = try store.applyPersons([keys(["1", "2", "3"])], reason: "merge", actor: "t")
        #expect(merge.merged == 1)
        let after = try store.memberships()
        #expect(Set(after.values) == [older])
        let redirected = try #require(try store.person(younger, actor: "t"))
        #expect(redirected.enterpriseId == older.description)
        #expect(redirected.redirectedFrom == younger.description)
        #expect(redirected.records.count == 3)
    }

    @Test(arguments: StoreBackend.allCases) func aSourceMergeKeepsTheOlderIdEvenWithinOneSecond(_ backend: StoreBackend) throws {
        // created_at has second resolution; persons made in the same second must still have an order.
        // Each round is a coin toss for code that breaks the tie by the (random) id.
        for round in 0..<8 {
            let temporary = try backend.temporaryStore()
            defer { temporary.remove() }
            let store = temporary.store
            _ = try store.importSource(code: "A", records: [record("A", "1")], fullExtract: true, actor: "t")
            _ = try store.applyPersons([keys(["1"])], reason: "first", actor: "t")
            let older = try #require(try store.memberships()[RecordKey(source: "A", recordId: "1")])
            let younger = try store.register(record("A", "2", family: "JONES"), person: nil, review: [], modelVersion: nil,
                                             actor: "t", action: "register").enterpriseId
            // The source says its new record 2 is the same patient as record 1, keeping number 2.
            let merged = try #require(try store.mergeRecords(survivor: RecordKey(source: "A", recordId: "2"),
                                                             retired: RecordKey(source: "A", recordId: "1"), actor: "t"))
            #expect(merged.person == older && merged.retiredPerson == younger, "round \(round)")
            #expect(try store.person(younger, actor: "t")?.enterpriseId == older.description)
        }
    }

    /// A pair a steward has decided never comes back to the queue, whether a link run or a real-time
    /// registration finds it again.
    @Test(arguments: StoreBackend.allCases) func aDecidedPairIsNotQueuedAgainByARegistration(_ backend: StoreBackend) throws {
        let temporary = try backend.temporaryStore()
        defer { temporary.remove() }
        let store = temporary.store
        _ = try store.importSource(code: "A", records: [record("A", "1"), record("A", "2")], fullExtract: true, actor: "t")
        _ = try store.applyPersons([keys(["1"]), keys(["2"])], reason: "first", actor: "t")
        let one = RecordKey(source: "A", recordId: "1"), two = RecordKey(source: "A", recordId: "2")
        try store.decide(one, two, .unlink, reason: "twins, checked with the ward", steward: "steward")
        let again = ReviewEntry(left: one, right: two, matchWeight: 9, probability: 0.998, reason: "conflicting_forenames")
        let other = ReviewEntry(left: one, right: RecordKey(source: "A", recordId: "3"), matchWeight: 5, probability: 0.97,
                                              reason: "review_band")
        _ = try store.register(record("A", "1", family: "SMYTH"), person: nil, review: [again, other], modelVersion: 1,
                               actor: "ehr", action: "update")
        let queue = try store.reviewQueue(limit: 10)
        #expect(!queue.contains { Set([$0.left, $0.right]) == [one, two] })
        #expect(queue.contains { $0.right.recordId == "3" })
    }

    @Test(arguments: StoreBackend.allCases) func historyGivesEachEntryItsTimeAndReason(_ backend: StoreBackend) throws {
        let temporary = try backend.temporaryStore()
        defer { temporary.remove() }
        let store = temporary.store
        _ = try store.importSource(code: "A", records: (1...2).map { record("A", "\($0)") }, fullExtract: true, actor: "t")
        _ = try store.applyPersons([keys(["1"]), keys(["2"])], reason: "weekly run", actor: "t")
        let ids = try store.memberships()
        let one = ids[RecordKey(source: "A", recordId: "1")]!, two = ids[RecordKey(source: "A", recordId: "2")]!
        _ = try store.mergeRecords(survivor: RecordKey(source: "A", recordId: "1"), retired: RecordKey(source: "A", recordId: "2"), actor: "ehr")
        let history = try store.history(one)
        #expect(history.map(\.action) == ["mint", "merge"])
        #expect(history[0].reason == "weekly run" && history[0].modelVersion == 1)
        #expect(history[1].reason.contains("merge by ehr") && history[1].otherId == two.description)
        for entry in history { #expect(entry.at.count == 20 && entry.at.hasSuffix("Z"), "\(entry.at)") }
        #expect(try store.history(two).map(\.action) == ["mint", "merge"])   // found by the other id too
    }

    @Test(arguments: StoreBackend.allCases) func splitKeepsTheIdOnTheLargerPart(_ backend: StoreBackend) throws {
        let temporary = try backend.temporaryStore()
        defer { temporary.remove() }
        let store = temporary.store
        _ = try store.importSource(code: "A", records: (1...3).map { record("A", "\($0)") }, fullExtract: true, actor: "t")
        _ = try store.applyPersons([keys(["1", "2", "3"])], reason: "first", actor: "t")
        let original = try store.memberships()[RecordKey(source: "A", recordId: "1")]!
        let split = try store.applyPersons([keys(["1", "2"]), keys(["3"])], reason: "split", actor: "t")
        #expect(split.split == 1 && split.recordsMoved == 1)
        let after = try store.memberships()
        #expect(after[RecordKey(source: "A", recordId: "1")] == original)
        #expect(after[RecordKey(source: "A", recordId: "2")] == original)
        #expect(after[RecordKey(source: "A", recordId: "3")] != original)
    }

    /// An incremental run applies persons for part of the store: the rest keeps its persons unread.
    @Test(arguments: StoreBackend.allCases) func scopedApplyLeavesOtherPersonsAlone(_ backend: StoreBackend) throws {
        let temporary = try backend.temporaryStore()
        defer { temporary.remove() }
        let store = temporary.store
        _ = try store.importSource(code: "A", records: (1...5).map { record("A", "\($0)") }, fullExtract: true, actor: "t")
        _ = try store.applyPersons([keys(["1", "2"]), keys(["3"]), keys(["4"])], reason: "first", actor: "t")
        let before = try store.memberships()
        // Record 5 joins record 3's person; persons 1+2 and 4 are outside the scope.
        let applied = try store.applyPersons([keys(["3", "5"])], reason: "incremental", actor: "t",
                                             scope: Set(keys(["3", "5"])), linkKeys: [(RecordKey(source: "A", recordId: "5"), [1, 2, 3])])
        #expect(applied.kept == 1 && applied.minted == 0 && applied.merged == 0)
        let after = try store.memberships()
        #expect(after[RecordKey(source: "A", recordId: "5")] == before[RecordKey(source: "A", recordId: "3")])
        for id in ["1", "2", "3", "4"] { #expect(after[RecordKey(source: "A", recordId: id)] == before[RecordKey(source: "A", recordId: id)]) }
    }

    /// A record the lookup service registered into a person after an incremental run read the store is
    /// outside the run's scope. It keeps its person, and follows the person's id when the run merges
    /// that person into another: no membership is left pointing at a retired id.
    @Test(arguments: StoreBackend.allCases) func aRecordRegisteredDuringTheRunFollowsItsPerson(_ backend: StoreBackend) throws {
        let temporary = try backend.temporaryStore()
        defer { temporary.remove() }
        let store = temporary.store
        _ = try store.importSource(code: "A", records: (1...3).map { record("A", "\($0)") }, fullExtract: true, actor: "t")
        _ = try store.applyPersons([keys(["3"])], reason: "first", actor: "t")
        // 3's person is the older (minted first, even within the same second), so it survives.
        _ = try store.applyPersons([keys(["1", "2"]), keys(["3"])], reason: "second", actor: "t")
        // The run saw records 1 and 3 (2 arrived after it read the store) and links 1 with 3: 1's person
        // (the younger) is retired into 3's.
        let applied = try store.applyPersons([keys(["1", "3"])], reason: "incremental", actor: "t",
                                             scope: Set(keys(["1", "3"])))
        #expect(applied.merged == 1)
        let after = try store.memberships()
        #expect(Set(after.values).count == 1)                       // 1, 2 and 3 in one person
        let survivor = try #require(after[RecordKey(source: "A", recordId: "2")])
        #expect(try store.person(survivor, actor: "t")?.redirectedFrom == nil)   // 2's id is the live one
        #expect(try store.person(survivor, actor: "t")?.records.count == 3)
    }

    /// The persons an incremental run found its records in are where the store may start reading
    /// their persons under its lock, and no more: when records moved since the run read them, or the
    /// hint names persons the scope no longer reaches, the run's persons are applied exactly as
    /// without a hint.
    @Test(arguments: StoreBackend.allCases) func personsWhenReadAreOnlyAHint(_ backend: StoreBackend) throws {
        func partition(_ memberships: [RecordKey: EnterpriseID]) -> Set<Set<String>> {
            Set(Dictionary(grouping: memberships.keys, by: { memberships[$0]! }).values.map { Set($0.map(\.recordId)) })
        }
        /// The run read records 1 and 3 in their persons; then 3 joined 4's person; then the run links 1 with 3.
        func run(hint: ([RecordKey: EnterpriseID]) -> Set<EnterpriseID>) throws -> (LinkApplySummary, Set<Set<String>>, Bool) {
            let temporary = try backend.temporaryStore()
            defer { temporary.remove() }
            let store = temporary.store
            _ = try store.importSource(code: "A", records: (1...6).map { record("A", "\($0)") }, fullExtract: true, actor: "t")
            _ = try store.applyPersons([keys(["1", "2"]), keys(["3"]), keys(["4"]), keys(["5", "6"])], reason: "first", actor: "t")
            let whenRead = try store.memberships()
            _ = try store.applyPersons([keys(["3", "4"])], reason: "meanwhile", actor: "t", scope: Set(keys(["3", "4"])))
            let applied = try store.applyPersons([keys(["1", "3"])], reason: "incremental", actor: "t",
                                                 scope: Set(keys(["1", "3"])), scopePersonsWhenRead: hint(whenRead))
            let after = try store.memberships()
            let fiveAndSixKept = after[RecordKey(source: "A", recordId: "5")] == whenRead[RecordKey(source: "A", recordId: "5")]
            return (applied, partition(after), fiveAndSixKept)
        }
        let withoutHint = try run { _ in [] }
        #expect(withoutHint.1 == [["1", "2", "3", "4"], ["5", "6"]])
        #expect(withoutHint.2)
        let staleHints: [([RecordKey: EnterpriseID]) -> Set<EnterpriseID>] = [
            { Set([$0[RecordKey(source: "A", recordId: "1")]!, $0[RecordKey(source: "A", recordId: "3")]!]) },   // as read: 3's person since retired
            { Set($0.values) },                                                                                     // every person, 5 and 6's too
            { Set([$0[RecordKey(source: "A", recordId: "5")]!]) },                                                 // none the scope reaches
        ]
        for hint in staleHints {
            let withHint = try run(hint: hint)
            #expect(withHint.0.kept == withoutHint.0.kept && withHint.0.merged == withoutHint.0.merged
                    && withHint.0.minted == withoutHint.0.minted && withHint.0.recordsMoved == withoutHint.0.recordsMoved)
            #expect(withHint.1 == withoutHint.1)
            #expect(withHint.2)
        }
    }

    /// `mpi status` counts: records by state, persons, the review queue, the last link run.
    @Test(arguments: StoreBackend.allCases) func statusCountsWhatTheStoreHolds(_ backend: StoreBackend) throws {
        let temporary = try backend.temporaryStore()
        defer { temporary.remove() }
        let store = temporary.store
        #expect(try store.status().latestModelVersion == nil)
        _ = try store.importSource(code: "A", records: (1...3).map { record("A", "\($0)") }, fullExtract: true, actor: "t")
        #expect(try store.status().waitingToBeLinked == 3)
        _ = try store.applyPersons([keys(["1", "2"]), keys(["3"])], reason: "t", actor: "t",
                                   linkKeys: [(RecordKey(source: "A", recordId: "1"), [1])])
        _ = try store.importSource(code: "A", records: (1...2).map { record("A", "\($0)") }, fullExtract: true, actor: "t")
        let status = try store.status()
        #expect(status.activeRecords == 2 && status.inactiveRecords == 1 && status.waitingToBeLinked == 0)
        #expect(status.withoutLinkKeys == 1)                  // record 2; record 1 has keys, record 3 left
        #expect(status.persons == 2 && status.retiredIds == 0 && status.reviewItems == 0)
        #expect(status.latestModelVersion == 1 && status.storeBytes > 0)
    }

    @Test(arguments: StoreBackend.allCases) func resolveListsThePersonsIdentifiersAndIsAudited(_ backend: StoreBackend) throws {
        let temporary = try backend.temporaryStore()
        defer { temporary.remove() }
        let store = temporary.store
        _ = try store.importSource(code: "A", records: [record("A", "1", nhs: "9434765919")], fullExtract: false, actor: "t")
        _ = try store.importSource(code: "B", records: [record("B", "X")], fullExtract: false, actor: "t")
        _ = try store.applyPersons([[RecordKey(source: "A", recordId: "1"), RecordKey(source: "B", recordId: "X")]],
                                   reason: "t", actor: "t")
        let resolution = try #require(try store.resolve(source: "B", recordId: "X", actor: "lab"))
        #expect(resolution.records == [RecordKey(source: "A", recordId: "1"), RecordKey(source: "B", recordId: "X")])
        #expect(resolution.nhsNumbers == ["9434765919"])
        #expect(EnterpriseID(resolution.enterpriseId) != nil)
        #expect(try store.resolve(source: "B", recordId: "nope", actor: "lab") == nil)
        let trail = try store.auditTrail()
        #expect(trail.map(\.action) == ["import", "import", "link", "resolve", "resolve"])   // a lookup that finds nobody is audited too
        #expect(trail.last?.actor == "lab")
        #expect(!trail.contains { $0.detail.contains("SMITH") || $0.detail.contains("JOHN") })   // no demographics in the audit detail
    }
}

@Suite struct RawRecordTests {
    @Test(arguments: StoreBackend.allCases) func rawRowsRoundTripThroughColumnSets(_ backend: StoreBackend) throws {
        let temporary = try backend.temporaryStore()
        defer { temporary.remove() }
        let store = temporary.store
        let key = RecordKey(source: "A", recordId: "1")
        let raw = ["ID": "1", "NAME": "SMITH, John", "DOB": "21/03/1970", "EMPTY": ""]
        _ = try store.importSource(code: "A", records: [StoredRecord(key: key, raw: raw, normalized: NormalizedRecord(key: key))],
                                   fullExtract: false, actor: "t")
        #expect(try store.rawRecord(key) == raw)
        #expect(try store.rawRecord(RecordKey(source: "A", recordId: "2")) == nil)
    }
}

@Suite struct ConcurrentUseTests {
    /// A link run holds the store's write lock while it applies its persons. Meanwhile another process
    /// must still open the store and resolve, promptly, with the lookup audited (in the lookup log).
    @Test func lookupsNeitherWaitNorFailWhileAnotherProcessWrites() throws {
        let (store, url) = try temporaryStore()
        defer { IdentityStore.remove(at: url.path) }
        _ = try store.importSource(code: "A", records: [record("A", "1", nhs: "9434765919")], fullExtract: false, actor: "t")
        _ = try store.applyPersons([keys(["1"])], reason: "t", actor: "t")

        // Another connection (as another process would) takes the write lock and keeps it for two seconds.
        let writer = try IdentityStore(path: url.path)
        let writing = DispatchSemaphore(value: 0), done = DispatchSemaphore(value: 0)
        DispatchQueue.global().async {
            try? writer.pool.write { db in
                try db.execute(sql: "INSERT INTO source (code, first_seen) VALUES ('HOLD', 'now')")
                writing.signal()
                Thread.sleep(forTimeInterval: 2)
            }
            done.signal()
        }
        writing.wait()
        defer { done.wait() }

        let started = Date()
        let reader = try IdentityStore(path: url.path)
        let found = try reader.resolve(source: "A", recordId: "1", actor: "lab")
        let id = try #require(found?.enterpriseId)
        let person = try reader.person(try #require(EnterpriseID(id)), actor: "lab")
        #expect(person?.records == [RecordKey(source: "A", recordId: "1")])
        #expect(Date().timeIntervalSince(started) < 1)
        #expect(try reader.auditTrail().suffix(2).map(\.action) == ["resolve", "person"])
    }
}

@Suite struct AuditTextTests {
    /// The hand-written audit JSON of a lookup must read exactly as the encoder's would.
    @Test func handWrittenJSONStringsMatchTheEncoder() throws {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        for value in ["R1K0000001", "a/b", "quote\"back\\slash", "line\nbreak\ttab\r", "\u{01}\u{1F}\u{08}\u{0C}", "Siobhán é 日本", ""] {
            let expected = String(decoding: try encoder.encode([value]), as: UTF8.self)
            #expect("[" + JSONText.quoted(value) + "]" == expected, "\(value.debugDescription)")
        }
    }
}

@Suite struct MigrationTests {
    /// A store written before records were stored compactly (version 1 rows, ISO update times, the
    /// waiting index) opens, upgrades and reads as before; new rows are written in the compact form.
    @Test func aStoreOfTheFirstFormUpgradesAndReads() throws {
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("old-\(UUID().uuidString).sqlite")
        defer { IdentityStore.remove(at: url.path) }
        do {
            let queue = try DatabaseQueue(path: url.path)
            try IdentityStore.migrator.migrate(queue, upTo: "v7 lineage by person")
            try queue.write { db in
                try db.execute(sql: "INSERT INTO source (code, first_seen) VALUES ('R1K', '2026-01-02T03:04:05Z')")
                try db.execute(sql: """
                    INSERT INTO column_set (id, columns) VALUES (1, '["ADDRESS_1","ADDRESS_2","DOB","MRN","NHS_NO","NHS_STATUS","PATIENT_NAME","POSTCODE","SEX","TELEPHONE"]')
                    """)
                // A row as version 1 wrote it (from a store made by mpi generate's synthetic extracts).
                try db.execute(sql: """
                    INSERT INTO record (source, record_id, raw, normalized, content_hash, active, updated_at, needs_link)
                    VALUES ('R1K', 'R1K0000079', X'01010A12313333205069656C64204865617468205264064C6F6E646F6E0A31332F30312F313935380A52314B303030303037390C3939392039333420343836300230310E4A56484E534F4E2C2050657465720748413620384E4501310C303737303020393238323032',
                            X'010352314B0A52314B3030303030373905504554455200074A56484E534F4E00000000010A393939393334343836300102303101A60F010D020001046D616C65010348413603384E4500010214313333205049454C4420484541544820524F4144064C4F4E444F4E01033133330001105049454C4420484541544820524F4144010B30373730303932383230320000',
                            42, 1, '2026-01-02T03:04:05Z', 1)
                    """)
                try db.execute(sql: "INSERT INTO model_version (id, created_at, model) VALUES (1, '2026-01-03T00:00:00Z', '{}')")
                try db.execute(sql: "INSERT INTO person (enterprise_id, created_at) VALUES (77, '2026-01-03T00:00:00Z')")
                try db.execute(sql: "INSERT INTO membership (source, record_id, enterprise_id) VALUES ('R1K', 'R1K0000079', 77)")
                try db.execute(sql: """
                    INSERT INTO lineage (at, action, enterprise_id, model_version, reason) VALUES ('2026-01-03T00:00:00Z', 'mint', 77, 1, 'first run')
                    """)
            }
        }
        let store = try IdentityStore(path: url.path)
        let key = RecordKey(source: "R1K", recordId: "R1K0000079")
        #expect(try store.activeRecords().map(\.name.family) == ["JVHNSON"])
        #expect(try store.rawRecord(key)?["PATIENT_NAME"] == "JVHNSON, Peter")
        #expect(try store.recordsWaitingToBeLinked() == [key])
        #expect(try store.memberships() == [key: EnterpriseID(value: 77)])               // membership moved into the record row
        #expect(try store.person(EnterpriseID(value: 77), actor: "t")?.records == [key])
        let (changedAt, indexes) = try store.pool.read { db in
            (try Int64.fetchOne(db, sql: "SELECT changed_at FROM record"), try db.indexes(on: "record").map(\.name))
        }
        #expect(changedAt == 1_767_323_045)   // 2026-01-02T03:04:05Z
        let minted = try store.pool.read { db in try Int64.fetchOne(db, sql: "SELECT minted_at FROM person WHERE enterprise_id = 77") }
        #expect(minted == 1_767_398_400)      // 2026-01-03T00:00:00Z
        #expect(try store.history(EnterpriseID(value: 77)).map { "\($0.at) \($0.action) \($0.reason)" } == ["2026-01-03T00:00:00Z mint first run"])
        #expect(!indexes.contains("record_waiting"))
        // A new row is written compactly, and reads back.
        _ = try store.importSource(code: "R1K", records: [record("R1K", "R1K0000080", family: "JONES")], fullExtract: false, actor: "t")
        let version = try store.pool.read { db in
            try Int.fetchOne(db, sql: "SELECT unicode(CAST(normalized AS TEXT)) FROM record WHERE record_id = 'R1K0000080'")
        }
        #expect(version == 2)
        #expect(try store.rawRecord(RecordKey(source: "R1K", recordId: "R1K0000080")) == ["ID": "R1K0000080", "NAME": "JONES"])
        #expect(try store.integrityCheck() == "ok")
    }
}

@Suite struct LookupLogTests {
    private func temporaryLog() throws -> (LookupLog, URL) {
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("log-\(UUID().uuidString).sqlite")
        return (try LookupLog(storePath: url.path), url)
    }

    /// `--since` reads a range of ids; whatever the text, it must give exactly the entries whose time
    /// sorts at or after it, also for entries appended out of time order or in one microsecond.
    @Test func sinceGivesExactlyTheEntriesAtOrAfter() throws {
        let (log, url) = try temporaryLog()
        defer { IdentityStore.remove(at: url.path) }
        let base = 1_795_000_000.0   // 2026-11-18T10:13:20Z
        var generator = SplitMix64(seed: 21)
        var times: [Double] = []
        for _ in 0..<400 { times.append(base + Double(Int.random(in: 0..<(20 * 86_400), using: &generator)) + 0.25) }
        times += [times[0], times[0], base + 86_400 * 30, base - 86_400 * 400]   // one microsecond thrice; a clock set back
        for chunk in stride(from: 0, to: times.count, by: 37) {
            try log.append(times[chunk..<min(chunk + 37, times.count)].map { ($0, "lab", "resolve", "{}") })
        }
        let all = try log.entries(since: "")
        #expect(all.count == times.count)
        var sinces = ["", "garbage", "2026", "2026-11", "2026-11-99", "2026-13-01", "2026-11-28T25", "2026-11-28T09:3", "2026-11-28T09:30:61Z",
                      "2025-11-18", "2027-01-01", "2026-11-31"]
        for time in times.prefix(60) {
            let text = IdentityStore.timestamp(time)
            for length in [10, 13, 16, 19, 20] { sinces.append(String(text.prefix(length))) }
        }
        for since in sinces {
            let expected = all.filter { $0.at >= since }.map(\.at).sorted()
            #expect(try log.entries(since: since).map(\.at) == expected, "\(since)")
        }
        #expect(LookupLog.earliestMicroseconds(since: "2026-11-28T09:30:15Z") == 1_795_858_215_000_000)   // calendar.timegm in Python
        #expect(LookupLog.earliestMicroseconds(since: "2026-11-28") == 1_795_824_000_000_000)
        #expect(LookupLog.earliestMicroseconds(since: "nonsense") == 0)
    }

    @Test func aLogOfTheEarlierFormUpgradesWithItsEntries() throws {
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("log-\(UUID().uuidString).sqlite")
        let logPath = LookupLog.path(besides: url.path)
        defer { IdentityStore.remove(at: url.path) }
        do {
            let queue = try DatabaseQueue(path: logPath)
            try queue.write { db in
                try db.execute(sql: """
                    CREATE TABLE grdb_migrations (identifier TEXT NOT NULL PRIMARY KEY);
                    INSERT INTO grdb_migrations VALUES ('v1 lookups'), ('v2 lookups by time');
                    CREATE TABLE lookup (id INTEGER PRIMARY KEY AUTOINCREMENT, at TEXT NOT NULL, actor TEXT NOT NULL,
                                         action TEXT NOT NULL, detail TEXT NOT NULL);
                    CREATE INDEX lookup_by_time ON lookup(at);
                    INSERT INTO lookup (at, actor, action, detail) VALUES ('2026-11-27T10:00:00Z', 'lab', 'resolve', '{"a":1}'),
                        ('2026-11-28T10:00:00Z', 'ehr', 'person', '{"b":2}'), ('2026-11-28T10:00:00Z', 'ehr', 'search', '{"c":3}');
                    """)
            }
        }
        let log = try LookupLog(storePath: url.path)
        #expect(try log.entries(since: "").map(\.action) == ["resolve", "person", "search"])
        #expect(try log.entries(since: "2026-11-28").map(\.detail) == ["{\"b\":2}", "{\"c\":3}"])
        try log.append([(Date().timeIntervalSince1970, "lab", "resolve", "{}")])
        #expect(try log.entries(since: "2026-11-28").count == 3)
        #expect(try log.integrityCheck() == "ok")
    }
}
