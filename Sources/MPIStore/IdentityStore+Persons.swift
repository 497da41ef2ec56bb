internal import Foundation
public import MPICore
internal import GRDB

public struct LinkApplySummary: Sendable, Hashable, Codable {
    public var persons = 0
    public var minted = 0
    public var kept = 0
    public var merged = 0
    public var split = 0
    public var recordsMoved = 0
    public var modelVersion: Int64 = 0
}

extension LinkApplySummary {
    package init(persons: Int) { self.persons = persons }
}

extension IdentityStore {
    /// Applies a linkage's persons (groups of record keys) so that enterprise ids stay as stable as the
    /// data allows, in one transaction: `EnterpriseIDPlan` decides which ids are kept, merged (the old id
    /// then redirects), split off or minted; this carries the plan out and writes its lineage.
    /// Records whose person did not change are not written, so re-linking unchanged data changes nothing.
    ///
    /// With `scope`, the groups cover only these records (an incremental run) and every other record
    /// keeps its person untouched. The scope should hold every record of each person any of its records
    /// belongs to; a record a person gained after the run read the store (the lookup service registered
    /// it) keeps its person, and follows the person's id if the run retires it.
    ///
    /// `linkKeys` (each record's `LinkKeys`, encoded) and the run's review items are stored in the same
    /// transaction: a run killed at any moment leaves all of it or none.
    public func applyPersons(_ groups: [[RecordKey]], modelJSON: String, settingsJSON: String? = nil, reason: String,
                             actor: String, scope: Set<RecordKey>? = nil, linkKeys: [(RecordKey, [UInt8])] = [],
                             review: ReviewUpdate? = nil) throws -> LinkApplySummary {
        try writing { db in
            var summary = LinkApplySummary(persons: groups.count)
            let now = Self.now()
            try db.execute(sql: "INSERT INTO model_version (created_at, model, settings, reason) VALUES (?, ?, ?, ?)",
                           arguments: [now, modelJSON, settingsJSON, reason])
            let modelVersion = db.lastInsertedRowID
            summary.modelVersion = modelVersion
            // The run's lineage entries take their time and reason from the model version (see `history`).
            let (entryTime, entryReason) = ("", "")

            var current: [RecordKey: Int64] = [:]
            // Records of persons in scope that the run did not see: registered by the lookup service
            // since the run read the store. They keep their person; if its id is retired, they follow it.
            var unseen: [RecordKey: Int64] = [:]
            if let scope {
                let personOf = try db.cachedStatement(sql: "SELECT enterprise_id FROM record WHERE source = ? AND record_id = ?")
                let membersOf = try db.cachedStatement(sql: "SELECT source, record_id FROM record WHERE enterprise_id = ?")
                for key in scope where current[key] == nil {
                    guard let id = try Int64.fetchOne(personOf, arguments: [key.source, key.recordId]) else { continue }
                    let rows = try Row.fetchCursor(membersOf, arguments: [id])
                    while let row = try rows.next() {
                        let member = RecordKey(source: row[0], recordId: row[1])
                        if scope.contains(member) { current[member] = id } else { unseen[member] = id }
                    }
                }
            } else {
                let rows = try Row.fetchCursor(db, sql: "SELECT source, record_id, enterprise_id FROM record WHERE enterprise_id IS NOT NULL")
                while let row = try rows.next() { current[RecordKey(source: row[0], recordId: row[1])] = row[2] }
            }
            let plan = try EnterpriseIDPlan.plan(groups: groups, current: current.mapValues { EnterpriseID(value: UInt64($0)) }) { ids in
                var order: [EnterpriseID: Int64] = [:]
                for (id, first) in try self.creationOrder(db, of: Set(ids.map { Int64($0.value) })) { order[EnterpriseID(value: UInt64(id))] = first }
                return order
            }

            // Every id the store has ever used, so a new one is never a reused one. An incremental run
            // mints few: it asks the store about each rather than loading them all.
            var usedIds = scope == nil ? Set(try Int64.fetchAll(db, sql: "SELECT enterprise_id FROM person")) : []
            let insertMint = try db.cachedStatement(sql: "INSERT INTO lineage (at, action, enterprise_id, model_version, reason) VALUES (?, 'mint', ?, ?, ?)")
            var idOfGroup = [Int64](repeating: 0, count: groups.count)
            for (index, decision) in plan.decisions.enumerated() {
                switch decision {
                case .keep(let id):
                    idOfGroup[index] = Int64(id.value)
                case .mint(let origins):
                    let id = try self.newPerson(db, knownIds: &usedIds, knownIdsComplete: scope == nil)
                    idOfGroup[index] = id
                    // Minted for records that had another person: a split from that person, else new.
                    if origins.isEmpty {
                        try insertMint.execute(arguments: [entryTime, id, modelVersion, entryReason])
                        summary.minted += 1
                    } else {
                        for origin in origins {
                            try db.execute(sql: """
                                INSERT INTO lineage (at, action, enterprise_id, other_id, model_version, reason) VALUES (?, 'split', ?, ?, ?, ?)
                                """, arguments: [entryTime, id, Int64(origin.value), modelVersion, entryReason])
                        }
                        summary.split += 1
                    }
                }
            }
            summary.kept = plan.kept

            var retiredNow: [Int64: Int64] = [:]
            for merge in plan.merges {
                let oldId = Int64(merge.retired.value), target = idOfGroup[merge.intoGroup]
                try self.retire(db, oldId, into: target, at: entryTime, modelVersion: modelVersion, reason: entryReason)
                retiredNow[oldId] = target
                summary.merged += 1
            }

            let place = try db.cachedStatement(sql: "UPDATE record SET enterprise_id = ? WHERE source = ? AND record_id = ?")
            func assign(_ key: RecordKey, to id: Int64) throws {
                try place.execute(arguments: [id, key.source, key.recordId])
                guard db.changesCount == 1 else { throw StoreError.unknownRecord(key) }
            }
            for (index, group) in groups.enumerated() {
                let id = idOfGroup[index]
                for key in group where current[key] != id {
                    try assign(key, to: id)
                    if current[key] != nil { summary.recordsMoved += 1 }
                }
            }
            for (key, id) in unseen.sorted(by: { $0.key < $1.key }) {
                guard let target = retiredNow[id] else { continue }
                try assign(key, to: target)
                summary.recordsMoved += 1
            }
            try self.appendRunChanges(db, groups: groups, decisions: plan.decisions, ids: idOfGroup, merges: plan.merges.map {
                (retired: Int64($0.retired.value), into: idOfGroup[$0.intoGroup])
            }, current: current, wholeStore: scope == nil, actor: actor, at: now)
            try db.execute(sql: "UPDATE record SET needs_link = 0 WHERE needs_link = 1 AND active = 1")
            // Unchanged keys are not rewritten: a re-link of a million records would otherwise rewrite every row.
            let storeKeys = try db.cachedStatement(sql: "UPDATE record SET link_keys = ?1 WHERE source = ?2 AND record_id = ?3 AND link_keys IS NOT ?1")
            for (key, bytes) in linkKeys { try storeKeys.execute(arguments: [Data(bytes), key.source, key.recordId]) }
            switch review {
            case .replaceAll(let entries):
                try db.execute(sql: "DELETE FROM review_item")
                try self.insertReviewItems(db, entries, modelVersion: modelVersion)
            case .replaceItemsInvolving(let records, let entries):
                try self.deleteReviewItems(db, involving: records)
                try self.insertReviewItems(db, entries, modelVersion: modelVersion)
            case nil:
                break
            }
            try self.audit(db, actor: actor, action: "link", detail: try Self.json(summary))
            return summary
        }
    }

    private func appendRunChanges(_ db: Database, groups: [[RecordKey]], decisions: [EnterpriseIDPlan.Decision], ids: [Int64],
                                  merges: [(retired: Int64, into: Int64)], current: [RecordKey: Int64], wholeStore: Bool,
                                  actor: String, at now: String) throws {
        let changes = try RunChanges.entries(groups: groups, decisions: decisions, ids: ids, merges: merges, current: current,
                                             wholeStore: wholeStore) { persons in
            var result: [Int64: [RecordKey]] = [:]
            for person in persons { result[person] = try members(db, of: person) }
            return result
        }
        for change in changes {
            try appendChange(db, change.event, person: change.person, other: change.other, cause: .linkRun, actor: actor,
                             records: change.records, at: now)
        }
    }

    /// A new person with a new enterprise id: 40 random bits, never an id the store has used (a retired
    /// id still redirects to its survivor). `knownIds` holds ids known to be used and gains the new
    /// one; when it holds every id the store has, the store is not asked.
    func newPerson(_ db: Database, knownIds: inout Set<Int64>, knownIdsComplete: Bool) throws -> Int64 {
        let exists = try db.cachedStatement(sql: "SELECT EXISTS (SELECT 1 FROM person WHERE enterprise_id = ?)")
        var generator = SystemRandomNumberGenerator()
        while true {
            let id = Int64(generator.next() & ((1 << 40) - 1))
            guard knownIds.insert(id).inserted else { continue }
            if !knownIdsComplete, try Bool.fetchOne(exists, arguments: [id]) == true { continue }
            try db.cachedStatement(sql: "INSERT INTO person (enterprise_id, minted_at) VALUES (?, ?)").execute(arguments: [id, Self.seconds()])
            return id
        }
    }

    /// Retires a person into another: the id, and every id already retired into it, now redirect to
    /// `target` (one hop), and the lineage records the merge.
    func retire(_ db: Database, _ id: Int64, into target: Int64, at time: String, modelVersion: Int64?, reason: String) throws {
        try db.execute(sql: "UPDATE person SET retired_into = ? WHERE enterprise_id = ?", arguments: [target, id])
        try db.execute(sql: "UPDATE person SET retired_into = ? WHERE retired_into = ?", arguments: [target, id])
        try db.execute(sql: """
            INSERT INTO lineage (at, action, enterprise_id, other_id, model_version, reason) VALUES (?, 'merge', ?, ?, ?, ?)
            """, arguments: [time, target, id, modelVersion, reason])
    }
}

/// The outbox entries of a link run, whatever the backend: a person minted (created, or split from
/// the person its records had), a person that absorbed another (merged), and a kept person whose
/// records changed (updated), each with its records after the run. Persons the run left as they were
/// get no entry, so re-linking unchanged data tells nobody anything.
package enum RunChanges {
    package struct Entry {
        package let event: IdentityChange.Event
        package let person: Int64
        package let other: Int64?
        package let records: [RecordKey]
    }

    /// `members(persons)` reads persons' records after the run from the store, all in one call: a
    /// whole-store run's groups are every person's records, but an incremental run's may not hold the
    /// records the service registered meanwhile.
    package static func entries(groups: [[RecordKey]], decisions: [EnterpriseIDPlan.Decision], ids: [Int64],
                                merges: [(retired: Int64, into: Int64)], current: [RecordKey: Int64], wholeStore: Bool,
                                members: ([Int64]) throws -> [Int64: [RecordKey]]) throws -> [Entry] {
        var changedKept = Set<Int64>()   // kept persons that gained or lost a record
        for (index, group) in groups.enumerated() {
            for key in group where current[key] != ids[index] {
                if case .keep = decisions[index] { changedKept.insert(ids[index]) }
                if let before = current[key] { changedKept.insert(before) }
            }
        }
        let retired = Set(merges.map(\.retired))
        let absorbing = Set(merges.map(\.into))
        var groupOf: [Int64: Int] = [:]
        for (index, id) in ids.enumerated() { groupOf[id] = index }
        var planned: [(event: IdentityChange.Event, person: Int64, other: Int64?)] = []
        for (index, decision) in decisions.enumerated() {
            guard case .mint(let origins) = decision else { continue }
            planned.append((origins.isEmpty ? .created : .split, ids[index], origins.first.map { Int64($0.value) }))
        }
        for merge in merges { planned.append((.merged, merge.into, merge.retired)) }
        for person in changedKept.sorted() where !retired.contains(person) && !absorbing.contains(person) && groupOf[person] != nil {
            if case .mint = decisions[groupOf[person]!] { continue }
            planned.append((.updated, person, nil))
        }
        let fromStore = wholeStore ? [] : planned.map(\.person)
        let stored = fromStore.isEmpty ? [:] : try members(Array(Set(fromStore)).sorted())
        return planned.map { entry in
            let records = wholeStore ? groups[groupOf[entry.person]!] : stored[entry.person] ?? []
            return Entry(event: entry.event, person: entry.person, other: entry.other, records: records)
        }
    }
}
