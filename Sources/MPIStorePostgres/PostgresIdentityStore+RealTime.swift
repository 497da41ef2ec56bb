internal import Foundation
public import MPICore
public import MPIStore
internal import NIOCore
internal import PostgresNIO

/// The lookup service's side: the live index's snapshot, and the single-record changes a
/// registration, an update or a source's merge makes, each in one transaction.
extension PostgresIdentityStore {

    public func liveSnapshot() throws -> LiveSnapshot {
        try reading { session in
            var snapshot = LiveSnapshot()
            try session.forEachRow("SELECT source, record_id, normalized FROM record WHERE active ORDER BY source, record_id") { row in
                let (source, recordId, normalized) = try row.columns(String.self, String.self, ByteBuffer.self)
                snapshot.records.append(try Self.normalized(normalized, key: RecordKey(source: source, recordId: recordId)))
            }
            try session.forEachRow("SELECT source, record_id, enterprise_id FROM record WHERE enterprise_id IS NOT NULL") { row in
                let (source, recordId, id) = try row.columns(String.self, String.self, Int64.self)
                snapshot.memberships[RecordKey(source: source, recordId: recordId)] = Self.id(id)
            }
            snapshot.retiredInto = try retiredPersons(session)
            snapshot.decisions = try latestDecisions(session)
            if let row = try session.rows("SELECT id, model, settings FROM model_version ORDER BY id DESC LIMIT 1").first {
                let (version, model, settings) = try row.decode((Int64, String, String?).self)
                snapshot.modelVersion = version
                (snapshot.model, snapshot.settings) = try IdentityStore.decodeModel(model, settings: settings)
            }
            snapshot.outboxSequence = try session.value("SELECT max(sequence) FROM outbox", as: Int64.self) ?? 0
            return snapshot
        }
    }

    public func latestModelVersion() throws -> Int64? {
        try reading { try $0.value("SELECT max(id) FROM model_version", as: Int64.self) }
    }

    public func liveRecord(_ key: RecordKey) throws -> (record: NormalizedRecord, active: Bool, person: EnterpriseID?)? {
        try reading { session in
            guard let row = try session.rows("""
                SELECT normalized, active, enterprise_id FROM record WHERE source = \(key.source) AND record_id = \(key.recordId)
                """).first else { return nil }
            let (normalized, active, person) = try row.decode((ByteBuffer, Bool, Int64?).self)
            return (try Self.normalized(normalized, key: key), active, person.map(Self.id))
        }
    }

    public func retiredPersons() throws -> [EnterpriseID: EnterpriseID] {
        try reading { try retiredPersons($0) }
    }

    func retiredPersons(_ session: PostgresSession) throws -> [EnterpriseID: EnterpriseID] {
        var retired: [EnterpriseID: EnterpriseID] = [:]
        try session.forEachRow("SELECT enterprise_id, retired_into FROM person WHERE retired_into IS NOT NULL") { row in
            let (id, into) = try row.decode((Int64, Int64).self)
            retired[Self.id(id)] = Self.id(into)
        }
        return retired
    }

    public func register(_ record: StoredRecord, person: EnterpriseID?, review: [ReviewEntry], modelVersion: Int64?, actor: String,
                         action: String) throws -> RegistrationChange {
        let columns = record.raw.keys.sorted()
        let columnsText = try IdentityStore.json(columns)
        let normalized = ByteBuffer(bytes: RecordCodec.encode(record.normalized))
        let hash = StoredRecord.contentHash(record.raw, columns: columns)
        return try writing { session in
            try session.execute("SELECT pg_advisory_xact_lock(\(AdvisoryLock.identityChanges))")
            let now = IdentityStore.now()
            let key = record.key
            try session.execute("INSERT INTO source (code, first_seen) VALUES (\(key.source), \(now)) ON CONFLICT DO NOTHING")
            try session.execute("INSERT INTO column_set (columns) VALUES (\(columnsText)) ON CONFLICT (columns) DO NOTHING")
            guard let columnSet = try session.value("SELECT id FROM column_set WHERE columns = \(columnsText)", as: Int64.self) else {
                throw StoreError.database("a column set vanished")
            }
            let raw = ByteBuffer(bytes: RawRowCodec.encode(columnSet: columnSet, values: columns.map { record.raw[$0]! }, record: record.normalized))
            try session.execute("""
                INSERT INTO record (source, record_id, raw, normalized, content_hash, active, changed_at, needs_link)
                VALUES (\(key.source), \(key.recordId), \(raw), \(normalized), \(hash), true, \(IdentityStore.seconds()), false)
                ON CONFLICT (source, record_id) DO UPDATE SET raw = excluded.raw, normalized = excluded.normalized,
                    content_hash = excluded.content_hash, active = true, changed_at = excluded.changed_at, needs_link = false
                """)
            return try place(session, key, person: person, review: review, modelVersion: modelVersion, actor: actor, action: action, at: now)
        }
    }

    /// Holds a session-level advisory lock on a connection of its own while `body` runs: every replica
    /// on the database takes it to decide a registration, so the second of two replicas registering
    /// the same new patient decides after the first has written, and (having followed the outbox
    /// under the lock) links to it. One lock for all registrations rather than one per blocking value:
    /// a registration holds it for a few milliseconds, and a lock per value would have to be taken for
    /// every value a record blocks on, in one order, to be safe; docs/store.md gives the figures.
    public func whileDecidingRegistration<Value>(_ body: () throws -> Value) throws -> Value {
        try pool.withConnection { session in
            do {
                try session.execute("SELECT pg_advisory_lock(\(AdvisoryLock.registrationDecision))")
            } catch {
                throw StoreError(wrapping: error, at: location)
            }
            defer { _ = try? session.execute("SELECT pg_advisory_unlock(\(AdvisoryLock.registrationDecision))") }
            return try body()
        }
    }

    /// A session-level advisory lock named after the subscriber, taken without waiting on a connection
    /// of its own. The server drops it when that connection ends, so a replica killed mid-delivery
    /// leaves it to the next one at once; the claim is confirmed held while the connection answers.
    public func claimDelivery(subscriber: String) throws -> DeliveryClaim? {
        let session = try pool.dedicatedSession()
        let granted: Bool?
        do {
            granted = try session.value("SELECT pg_try_advisory_lock(\(AdvisoryLock.deliveryClass), hashtext(\(subscriber)))")
        } catch {
            session.closeConnection()
            throw StoreError(wrapping: error, at: location)
        }
        guard granted == true else {
            session.closeConnection()
            return nil
        }
        return DeliveryClaim(confirm: { !session.connection.isClosed && (try? session.value("SELECT 1", as: Int32.self)) == 1 },
                             release: { session.closeConnection() })
    }

    /// LISTEN on the channel the outbox trigger notifies (schema v2), on a connection of its own.
    public func changeWakeUps() throws -> ChangeWakeUps? {
        let session = try pool.dedicatedSession()
        let wakeUps = ChangeWakeUps(listening: { !session.connection.isClosed }, close: { session.closeConnection() })
        session.connection.addListener(channel: PostgresSchema.identityChangesChannel) { _, _ in wakeUps.wake() }
        do {
            _ = try session.value("SELECT 1", as: Int32.self)   // the LISTEN goes before it: listening from here on
        } catch {
            wakeUps.close()
            throw StoreError(wrapping: error, at: location)
        }
        return wakeUps
    }

    public func assign(_ key: RecordKey, person: EnterpriseID?, review: [ReviewEntry], modelVersion: Int64?,
                       actor: String) throws -> RegistrationChange {
        try writing { session in
            try session.execute("SELECT pg_advisory_xact_lock(\(AdvisoryLock.identityChanges))")
            return try place(session, key, person: person, review: review, modelVersion: modelVersion, actor: actor, action: "replay",
                             at: IdentityStore.now())
        }
    }

    private func place(_ session: PostgresSession, _ key: RecordKey, person: EnterpriseID?, review: [ReviewEntry], modelVersion: Int64?,
                       actor: String, action: String, at now: String) throws -> RegistrationChange {
        let previous = try session.value("SELECT enterprise_id FROM record WHERE source = \(key.source) AND record_id = \(key.recordId)",
                                         as: Int64.self)
        var target = person.map { Int64($0.value) }
        var minted = false
        if target == nil {
            var known = Set<Int64>()
            let id = try mintPersons(session, count: 1, knownIds: &known)[0]
            try session.execute("""
                INSERT INTO lineage (at, action, enterprise_id, model_version, reason) VALUES (\(now), 'mint', \(id), \(modelVersion), \(action))
                """)
            target = id
            minted = true
        }
        let enterpriseId = target!
        var retired: Int64? = nil
        if previous != enterpriseId {
            try place(session, [(key, enterpriseId)])
            if let previous, try session.value("SELECT count(*) FROM record WHERE enterprise_id = \(previous)", as: Int64.self) == 0 {
                try session.pipeline(Self.retire(previous, into: enterpriseId, at: now, modelVersion: modelVersion,
                                                 reason: "\(action): its only record moved"))
                retired = previous
            }
        }
        if let modelVersion {
            try insertReviewItems(session, review, modelVersion: modelVersion)
        }
        var changes = [OutboxRow(event: minted ? .created : .updated, person: enterpriseId, other: nil, cause: .registration, actor: actor,
                                 records: try members(session, of: enterpriseId))]
        if let previous, previous != enterpriseId {
            if retired != nil {
                changes.append(OutboxRow(event: .merged, person: enterpriseId, other: previous, cause: .registration, actor: actor,
                                         records: try members(session, of: enterpriseId)))
            } else {
                changes.append(OutboxRow(event: .updated, person: previous, other: nil, cause: .registration, actor: actor,
                                         records: try members(session, of: previous)))
            }
        }
        try appendChanges(session, changes, at: now)
        try audit(session, actor: actor, action: action, detail: try IdentityStore.json([
            "record": key.description, "enterpriseId": Self.id(enterpriseId).description,
            "minted": minted ? "yes" : "no", "reviewItems": String(review.count)]))
        return RegistrationChange(enterpriseId: Self.id(enterpriseId), minted: minted,
                                  movedFrom: previous == enterpriseId ? nil : previous.map(Self.id), retired: retired.map(Self.id))
    }

    /// A source's merge (HL7 A40), as the SQLite store does it: the two persons become one (the older
    /// id survives), the retired record becomes inactive, and a link decision records who said so.
    public func mergeRecords(survivor: RecordKey, retired: RecordKey, actor: String) throws -> (person: EnterpriseID, retiredPerson: EnterpriseID?)? {
        try writing { session in
            try session.execute("SELECT pg_advisory_xact_lock(\(AdvisoryLock.identityChanges))")
            let now = IdentityStore.now()
            func personOf(_ key: RecordKey) throws -> Int64? {
                try session.value("SELECT enterprise_id FROM record WHERE source = \(key.source) AND record_id = \(key.recordId)", as: Int64.self)
            }
            guard let a = try personOf(survivor), let b = try personOf(retired) else { return nil }
            var kept = a, gone: Int64? = nil
            if a != b {
                let order = try creationOrder(session, of: [a, b])
                (kept, gone) = (order[b] ?? .max, b) < (order[a] ?? .max, a) ? (b, a) : (a, b)
                try session.execute("UPDATE record SET enterprise_id = \(kept) WHERE enterprise_id = \(gone!)")
                try session.pipeline(Self.retire(gone!, into: kept, at: now, modelVersion: nil, reason: "merge by \(actor): \(retired) into \(survivor)"))
            }
            try session.execute("""
                UPDATE record SET active = false, enterprise_id = NULL, changed_at = \(IdentityStore.seconds())
                WHERE source = \(retired.source) AND record_id = \(retired.recordId)
                """)
            let (l, r) = survivor < retired ? (survivor, retired) : (retired, survivor)
            try session.execute("""
                INSERT INTO decision (at, steward, source_l, record_id_l, source_r, record_id_r, decision, reason)
                VALUES (\(now), \(actor), \(l.source), \(l.recordId), \(r.source), \(r.recordId), 'link', 'source merge')
                """)
            try appendChanges(session, [OutboxRow(event: gone == nil ? .updated : .merged, person: kept, other: gone, cause: .sourceMerge,
                                                  actor: actor, records: try members(session, of: kept))], at: now)
            try audit(session, actor: actor, action: "merge", detail: try IdentityStore.json([
                "survivor": survivor.description, "retired": retired.description,
                "enterpriseId": Self.id(kept).description, "retiredId": gone.map { Self.id($0).description } ?? ""]))
            return (Self.id(kept), gone.map(Self.id))
        }
    }
}
