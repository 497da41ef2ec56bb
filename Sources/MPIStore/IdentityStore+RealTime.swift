internal import Foundation
public import MPICore
internal import GRDB

/// The store's side of the lookup service: loading the live index, and the single-record changes a
/// registration, an update or a source's merge makes, each in one transaction.
extension IdentityStore {

    public func liveSnapshot() throws -> LiveSnapshot {
        try reading { db in
            var snapshot = LiveSnapshot()
            let rows = try Row.fetchCursor(db, sql: "SELECT source, record_id, normalized FROM record WHERE active = 1 ORDER BY source, record_id")
            while let row = try rows.next() { snapshot.records.append(try Self.normalized(row[2], key: RecordKey(source: row[0], recordId: row[1]))) }
            let members = try Row.fetchCursor(db, sql: "SELECT source, record_id, enterprise_id FROM record WHERE enterprise_id IS NOT NULL")
            while let row = try members.next() { snapshot.memberships[RecordKey(source: row[0], recordId: row[1])] = Self.id(row[2]) }
            snapshot.retiredInto = try self.retiredPersons(db)
            snapshot.decisions = try self.latestDecisions(db)
            if let row = try Row.fetchOne(db, sql: "SELECT id, model, settings FROM model_version ORDER BY id DESC LIMIT 1") {
                snapshot.modelVersion = row[0]
                (snapshot.model, snapshot.settings) = try Self.decodeModel(row[1], settings: row[2])
            }
            snapshot.outboxSequence = try Int64.fetchOne(db, sql: "SELECT max(sequence) FROM outbox") ?? 0
            return snapshot
        }
    }

    /// The latest link run's model version; nil before the first.
    public func latestModelVersion() throws -> Int64? {
        try reading { db in try Int64.fetchOne(db, sql: "SELECT max(id) FROM model_version") }
    }

    /// One record as the live index holds it: its normalised form, whether it is active, its person.
    public func liveRecord(_ key: RecordKey) throws -> (record: NormalizedRecord, active: Bool, person: EnterpriseID?)? {
        try reading { db in
            guard let row = try Row.fetchOne(db, sql: """
                SELECT normalized, active, enterprise_id FROM record WHERE source = ? AND record_id = ?
                """, arguments: [key.source, key.recordId]) else { return nil }
            return (try Self.normalized(row[0], key: key), row[1], (row[2] as Int64?).map(Self.id))
        }
    }

    /// Every retired enterprise id and the id it was merged into.
    public func retiredPersons() throws -> [EnterpriseID: EnterpriseID] {
        try reading { db in try self.retiredPersons(db) }
    }

    private func retiredPersons(_ db: Database) throws -> [EnterpriseID: EnterpriseID] {
        var retired: [EnterpriseID: EnterpriseID] = [:]
        for row in try Row.fetchAll(db, sql: "SELECT enterprise_id, retired_into FROM person WHERE retired_into IS NOT NULL") {
            retired[Self.id(row[0])] = Self.id(row[1])
        }
        return retired
    }

    /// The blocking rules and thresholds stored with the latest model, as JSON.
    func latestSettings() throws -> String? {
        try reading { db in try String.fetchOne(db, sql: "SELECT settings FROM model_version ORDER BY id DESC LIMIT 1") }
    }

    /// Stores one record (new, or a new version of an existing one) and its person in one
    /// transaction: the record joins `person`, or a newly minted person when nil. Review items found
    /// while linking it are queued in the same transaction.
    public func register(_ record: StoredRecord, person: EnterpriseID?, review: [ReviewEntry], modelVersion: Int64?, actor: String,
                         action: String) throws -> RegistrationChange {
        try writing { db in
            let now = Self.now()
            let key = record.key
            try db.execute(sql: "INSERT OR IGNORE INTO source (code, first_seen) VALUES (?, ?)", arguments: [key.source, now])
            let columns = record.raw.keys.sorted()
            let columnsText = try Self.json(columns)
            try db.execute(sql: "INSERT OR IGNORE INTO column_set (columns) VALUES (?)", arguments: [columnsText])
            let columnSet = try Int64.fetchOne(db, sql: "SELECT id FROM column_set WHERE columns = ?", arguments: [columnsText])!
            let raw = RawRowCodec.encode(columnSet: columnSet, values: columns.map { record.raw[$0]! }, record: record.normalized)
            try db.execute(sql: """
                INSERT INTO record (source, record_id, raw, normalized, content_hash, active, changed_at, needs_link) VALUES (?, ?, ?, ?, ?, 1, ?, 0)
                ON CONFLICT (source, record_id) DO UPDATE SET raw = excluded.raw, normalized = excluded.normalized,
                    content_hash = excluded.content_hash, active = 1, changed_at = excluded.changed_at, needs_link = 0
                """, arguments: [key.source, key.recordId, Data(raw), Data(RecordCodec.encode(record.normalized)),
                                 StoredRecord.contentHash(record.raw, columns: columns), Self.seconds()])

            return try self.place(db, key, person: person, review: review, modelVersion: modelVersion, actor: actor, action: action, at: now)
        }
    }

    /// Places a stored record in a person (a newly minted one when nil), for the replay that measures
    /// how real-time linking agrees with batch linkage (`mpi agreement`).
    public func assign(_ key: RecordKey, person: EnterpriseID?, review: [ReviewEntry], modelVersion: Int64?, actor: String) throws -> RegistrationChange {
        try writing { db in
            try self.place(db, key, person: person, review: review, modelVersion: modelVersion, actor: actor, action: "replay", at: Self.now())
        }
    }

    /// Forgets every person placement (memberships and review items), keeping records, ids ever used,
    /// lineage, decisions and models. Only for a scratch copy made by `copy(to:)`: the replay starts here.
    public func forgetMembershipsForReplay() throws {
        try writing { db in
            try db.execute(sql: "UPDATE record SET enterprise_id = NULL WHERE enterprise_id IS NOT NULL")
            try db.execute(sql: "DELETE FROM review_item")
        }
    }

    /// A consistent copy of the whole store in a new file (SQLite's VACUUM INTO).
    public func copy(to path: String) throws {
        try writingWithoutTransaction { db in try db.execute(sql: "VACUUM INTO ?", arguments: [path]) }
    }

    private func place(_ db: Database, _ key: RecordKey, person: EnterpriseID?, review: [ReviewEntry], modelVersion: Int64?, actor: String,
                       action: String, at now: String) throws -> RegistrationChange {
            let previous = try Int64.fetchOne(db, sql: "SELECT enterprise_id FROM record WHERE source = ? AND record_id = ?",
                                          arguments: [key.source, key.recordId])
        var target = person.map { Int64($0.value) }
        var minted = false
        if target == nil {
            target = try self.mintPerson(db, at: now, modelVersion: modelVersion, reason: action)
            minted = true
        }
        let enterpriseId = target!
        var retired: Int64? = nil
        if previous != enterpriseId {
            try db.execute(sql: "UPDATE record SET enterprise_id = ? WHERE source = ? AND record_id = ?",
                           arguments: [enterpriseId, key.source, key.recordId])
            guard db.changesCount == 1 else { throw StoreError.unknownRecord(key) }
            if let previous, try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM record WHERE enterprise_id = ?", arguments: [previous]) == 0 {
                try self.retire(db, previous, into: enterpriseId, at: now, modelVersion: modelVersion, reason: "\(action): its only record moved")
                retired = previous
            }
        }
        if let modelVersion {
            // The same path as a link run's: a pair a steward has decided is not queued again.
            try insertReviewItems(db, review, modelVersion: modelVersion)
        }
        // The outbox: the record's person (new, or changed by the record joining or changing), and the
        // person it left (absorbed when it was left empty, else changed).
        try appendChange(db, minted ? .created : .updated, person: enterpriseId, cause: .registration, actor: actor,
                         records: try members(db, of: enterpriseId), at: now)
        if let previous, previous != enterpriseId {
            if retired != nil {
                try appendChange(db, .merged, person: enterpriseId, other: previous, cause: .registration, actor: actor,
                                 records: try members(db, of: enterpriseId), at: now)
            } else {
                try appendChange(db, .updated, person: previous, cause: .registration, actor: actor,
                                 records: try members(db, of: previous), at: now)
            }
        }
        try self.audit(db, actor: actor, action: action, detail: try Self.json([
            "record": key.description, "enterpriseId": EnterpriseID(value: UInt64(enterpriseId)).description,
            "minted": minted ? "yes" : "no", "reviewItems": String(review.count)]))
        return RegistrationChange(enterpriseId: Self.id(enterpriseId), minted: minted,
                                  movedFrom: previous == enterpriseId ? nil : previous.map(Self.id), retired: retired.map(Self.id))
    }

    /// A source says two of its records are one patient (HL7 A40: `retired` is MRG-1, `survivor` PID-3).
    /// In one transaction: the two persons become one (the older id survives, the other redirects to
    /// it), the retired record is marked inactive, and a steward-grade link decision records who said so.
    public func mergeRecords(survivor: RecordKey, retired: RecordKey, actor: String) throws -> (person: EnterpriseID, retiredPerson: EnterpriseID?)? {
        try writing { db in
            let now = Self.now()
            func personOf(_ key: RecordKey) throws -> Int64? {
                try Int64.fetchOne(db, sql: "SELECT enterprise_id FROM record WHERE source = ? AND record_id = ?",
                                   arguments: [key.source, key.recordId])
            }
            guard let a = try personOf(survivor), let b = try personOf(retired) else { return nil }
            var kept = a, gone: Int64? = nil
            if a != b {
                let order = try self.creationOrder(db, of: [a, b])
                (kept, gone) = (order[b] ?? .max, b) < (order[a] ?? .max, a) ? (b, a) : (a, b)
                try db.execute(sql: "UPDATE record SET enterprise_id = ? WHERE enterprise_id = ?", arguments: [kept, gone!])
                try self.retire(db, gone!, into: kept, at: now, modelVersion: nil, reason: "merge by \(actor): \(retired) into \(survivor)")
            }
            // The retired record is inactive and leaves its person.
            try db.execute(sql: "UPDATE record SET active = 0, enterprise_id = NULL, changed_at = ? WHERE source = ? AND record_id = ?",
                           arguments: [Self.seconds(), retired.source, retired.recordId])
            let (l, r) = survivor < retired ? (survivor, retired) : (retired, survivor)
            try db.execute(sql: """
                INSERT INTO decision (at, steward, source_l, record_id_l, source_r, record_id_r, decision, reason) VALUES (?, ?, ?, ?, ?, ?, 'link', ?)
                """, arguments: [now, actor, l.source, l.recordId, r.source, r.recordId, "source merge"])
            try appendChange(db, gone == nil ? .updated : .merged, person: kept, other: gone, cause: .sourceMerge, actor: actor,
                             records: try members(db, of: kept), at: now)
            try self.audit(db, actor: actor, action: "merge", detail: try Self.json([
                "survivor": survivor.description, "retired": retired.description,
                "enterpriseId": EnterpriseID(value: UInt64(kept)).description,
                "retiredId": gone.map { EnterpriseID(value: UInt64($0)).description } ?? ""]))
            return (Self.id(kept), gone.map(Self.id))
        }
    }

    /// Writes many lookup audit entries in one transaction (the service batches them).
    public func appendAudit(_ events: [AuditEvent]) throws {
        try lookups.append(events.map { event in (event.time, event.actor, event.action, try Self.json(event.detail)) })
    }

    /// When each person was created, as the id of its first lineage entry (its mint, or the split that
    /// made it): increasing with time, unlike minted_at, which has second resolution, so two persons
    /// created in the same second still have an order.
    func creationOrder(_ db: Database, of ids: Set<Int64>) throws -> [Int64: Int64] {
        let first = try db.cachedStatement(sql: "SELECT MIN(id) FROM lineage WHERE enterprise_id = ?")
        var order: [Int64: Int64] = [:]
        for id in ids { order[id] = try Int64.fetchOne(first, arguments: [id]) }
        return order
    }

    private func mintPerson(_ db: Database, at now: String, modelVersion: Int64?, reason: String) throws -> Int64 {
        var known = Set<Int64>()
        let id = try newPerson(db, knownIds: &known, knownIdsComplete: false)
        try db.execute(sql: "INSERT INTO lineage (at, action, enterprise_id, model_version, reason) VALUES (?, 'mint', ?, ?, ?)",
                       arguments: [now, id, modelVersion, reason])
        return id
    }
}
