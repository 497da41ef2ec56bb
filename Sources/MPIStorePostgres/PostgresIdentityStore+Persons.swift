internal import Foundation
public import MPICore
public import MPIStore
internal import NIOCore
internal import PostgresNIO

extension PostgresIdentityStore {
    /// The latest link run's model; nil before the first. One that cannot be decoded is an error.
    public func linkageModel() throws -> LinkageModel? {
        let text = try reading { try $0.value("SELECT model FROM model_version ORDER BY id DESC LIMIT 1", as: String.self) }
        return try IdentityStore.decodeModel(text, settings: nil).model
    }

    public func linkSettings() throws -> LinkSettings? {
        let text = try reading { try $0.value("SELECT settings FROM model_version ORDER BY id DESC LIMIT 1", as: String.self) }
        return try IdentityStore.decodeModel(nil, settings: text).settings
    }

    public func hasPersons() throws -> Bool {
        try reading { try $0.value("SELECT EXISTS (SELECT 1 FROM record WHERE enterprise_id IS NOT NULL)", as: Bool.self) ?? false }
    }

    /// Applies a run's persons exactly as the SQLite store does (`IdentityStore.applyPersons`: ids
    /// kept, merged, split or minted by `EnterpriseIDPlan`, lineage, outbox, link keys and review
    /// items in one transaction), with its rows written in bulk: arrays of values unnested into rows,
    /// thousands per statement, rather than a statement per record.
    public func applyPersons(_ groups: [[RecordKey]], model: LinkageModel, settings: LinkSettings, reason: String, actor: String,
                             scope: Set<RecordKey>?, scopePersonsWhenRead: Set<EnterpriseID>, linkKeys: [(RecordKey, [UInt8])],
                             review: ReviewUpdate?) throws -> LinkApplySummary {
        let modelJSON = try IdentityStore.json(model), settingsJSON = try IdentityStore.json(settings)
        return try writing { session in
            try session.execute("SELECT pg_advisory_xact_lock(\(AdvisoryLock.identityChanges))")
            var summary = LinkApplySummary(persons: groups.count)
            let now = IdentityStore.now()
            guard let modelVersion = try session.value("""
                INSERT INTO model_version (created_at, model, settings, reason) VALUES (\(now), \(modelJSON), \(settingsJSON), \(reason))
                RETURNING id
                """, as: Int64.self) else { throw StoreError.database("no model version id") }
            summary.modelVersion = modelVersion

            var current: [RecordKey: Int64] = [:]
            // Records of persons in scope that the run did not see (registered since it read the store):
            // they keep their person and follow its id if the run retires it.
            var unseen: [RecordKey: Int64] = [:]
            if let scope {
                for (key, id) in try personsWithMembers(session, of: scope, startingFrom: Set(scopePersonsWhenRead.map { Int64($0.value) })) {
                    if scope.contains(key) { current[key] = id } else { unseen[key] = id }
                }
            } else {
                try session.forEachRow("SELECT source, record_id, enterprise_id FROM record WHERE enterprise_id IS NOT NULL") { row in
                    let (source, recordId, id) = try row.columns(String.self, String.self, Int64.self)
                    current[RecordKey(source: source, recordId: recordId)] = id
                }
            }
            let plan = try EnterpriseIDPlan.plan(groups: groups, current: current.mapValues(Self.id)) { ids in
                var order: [EnterpriseID: Int64] = [:]
                for (id, first) in try self.creationOrder(session, of: ids.map { Int64($0.value) }) { order[Self.id(id)] = first }
                return order
            }

            var usedIds = scope == nil ? Set(try session.rows("SELECT enterprise_id FROM person").map { try $0.decode(Int64.self) }) : []
            let mintCount = plan.decisions.reduce(0) { count, decision in if case .mint = decision { count + 1 } else { count } }
            var newIds = try mintPersons(session, count: mintCount, knownIds: &usedIds)[...]
            var idOfGroup = [Int64](repeating: 0, count: groups.count)
            var lineage = LineageRows()
            for (index, decision) in plan.decisions.enumerated() {
                switch decision {
                case .keep(let id):
                    idOfGroup[index] = Int64(id.value)
                case .mint(let origins):
                    let id = newIds.removeFirst()
                    idOfGroup[index] = id
                    if origins.isEmpty {
                        lineage.append("mint", id, nil)
                        summary.minted += 1
                    } else {
                        for origin in origins { lineage.append("split", id, Int64(origin.value)) }
                        summary.split += 1
                    }
                }
            }
            summary.kept = plan.kept
            // The run's lineage entries take their time and reason from the model version (see `history`).
            try lineage.insert(session, modelVersion: modelVersion)

            var retiredNow: [Int64: Int64] = [:]
            var retirements: [PostgresQuery] = []
            for merge in plan.merges {
                let oldId = Int64(merge.retired.value), target = idOfGroup[merge.intoGroup]
                retirements += Self.retire(oldId, into: target, at: "", modelVersion: modelVersion, reason: "")
                retiredNow[oldId] = target
                summary.merged += 1
            }
            try session.pipeline(retirements)

            var moves: [(RecordKey, Int64)] = []
            for (index, group) in groups.enumerated() {
                let id = idOfGroup[index]
                for key in group where current[key] != id {
                    moves.append((key, id))
                    if current[key] != nil { summary.recordsMoved += 1 }
                }
            }
            for (key, id) in unseen.sorted(by: { $0.key < $1.key }) {
                guard let target = retiredNow[id] else { continue }
                moves.append((key, target))
                summary.recordsMoved += 1
            }
            try checkRecordsExist(session, moves.map(\.0))
            try updateRecords(session, moves: moves, linkKeys: linkKeys)

            let changes = try RunChanges.entries(groups: groups, decisions: plan.decisions, ids: idOfGroup, merges: plan.merges.map {
                (retired: Int64($0.retired.value), into: idOfGroup[$0.intoGroup])
            }, current: current, wholeStore: scope == nil) { try self.members(session, of: $0) }
            try appendChanges(session, changes.map {
                OutboxRow(event: $0.event, person: $0.person, other: $0.other, cause: .linkRun, actor: actor, records: $0.records)
            }, at: now)
            switch review {
            case .replaceAll(let entries):
                try session.execute("DELETE FROM review_item")
                try insertReviewItems(session, entries, modelVersion: modelVersion)
            case .replaceItemsInvolving(let records, let entries):
                try deleteReviewItems(session, involving: records)
                try insertReviewItems(session, entries, modelVersion: modelVersion)
            case nil:
                break
            }
            // A tenth of a million-record table or more; smaller runs leave it to autovacuum's analyse
            // (ANALYZE of the four tables took 0.36 s of a 12 s incremental run of 10,000).
            if scope == nil || moves.count >= 100_000 {
                // Fresh statistics for the planner (see `preferIndexProbes`).
                for table in ["record", "person", "lineage", "outbox"] { try session.execute(PostgresQuery(unsafeSQL: "ANALYZE \(table)")) }
            }
            try audit(session, actor: actor, action: "link", detail: try IdentityStore.json(summary))
            return summary
        }
    }

    /// What a run changes in each record it covers, in one statement per twenty thousand records and
    /// one new row version per record at most: its person (when it moved), its link keys (when they
    /// differ), and "no longer waiting to be linked". Writing the three apart made three versions of
    /// every row of a first run, and a table three times its size until vacuumed.
    ///
    /// Only records that moved or have new link keys are visited: every record waiting to be linked
    /// has its keys computed by the run (an incremental run's pending records, a whole run's every
    /// record), so the rest of an incremental run's scope (185,000 records for 10,000 new ones at a
    /// million) has nothing to change.
    private func updateRecords(_ session: PostgresSession, moves: [(RecordKey, Int64)], linkKeys: [(RecordKey, [UInt8])]) throws {
        var change: [RecordKey: (person: Int64, keys: [UInt8]?)] = [:]
        for (key, person) in moves { change[key, default: (-1, nil)].person = person }
        for (key, bytes) in linkKeys { change[key, default: (-1, nil)].keys = bytes }
        try session.preferIndexProbes()
        for chunk in change.sorted(by: { $0.key < $1.key }).chunks(of: 20_000) {
            try session.execute("""
                UPDATE record r SET
                    enterprise_id = CASE WHEN u.person >= 0 THEN u.person ELSE r.enterprise_id END,
                    link_keys = CASE WHEN u.has_keys THEN u.keys ELSE r.link_keys END,
                    needs_link = r.needs_link AND NOT r.active
                FROM unnest(\(chunk.map(\.key.source)), \(chunk.map(\.key.recordId)), \(chunk.map(\.value.person)),
                            \(chunk.map { $0.value.keys != nil }), \(chunk.map { ByteBuffer(bytes: $0.value.keys ?? []) }))
                    AS u(source, record_id, person, has_keys, keys)
                WHERE r.source = u.source AND r.record_id = u.record_id
                  AND ((u.person >= 0 AND r.enterprise_id IS DISTINCT FROM u.person)
                       OR (u.has_keys AND r.link_keys IS DISTINCT FROM u.keys)
                       OR (r.needs_link AND r.active))
                """)
        }
    }

    /// A record the store does not hold cannot be given a person.
    func checkRecordsExist(_ session: PostgresSession, _ keys: [RecordKey]) throws {
        try session.preferIndexProbes()
        for chunk in keys.chunks(of: 20_000) {
            let present = try session.value("""
                SELECT count(*) FROM unnest(\(chunk.sources), \(chunk.recordIds)) AS k(source, record_id)
                CROSS JOIN LATERAL (SELECT * FROM record x WHERE x.source = k.source AND x.record_id = k.record_id LIMIT 1) r
                """, as: Int64.self) ?? 0
            guard present != chunk.count else { continue }
            let found = Set(try session.rows("""
                SELECT r.source, r.record_id FROM unnest(\(chunk.sources), \(chunk.recordIds)) AS k(source, record_id)
                CROSS JOIN LATERAL (SELECT * FROM record x WHERE x.source = k.source AND x.record_id = k.record_id LIMIT 1) r
                """).map { row in let (source, recordId) = try row.decode((String, String).self); return RecordKey(source: source, recordId: recordId) })
            throw StoreError.unknownRecord(chunk.first { !found.contains($0) } ?? chunk[0])
        }
    }

    /// Sets the person of each record, in bulk; a record the store does not hold is an error.
    func place(_ session: PostgresSession, _ moves: [(RecordKey, Int64)]) throws {
        try session.preferIndexProbes()
        for chunk in moves.chunks(of: 20_000) {
            let changed = try session.execute("""
                UPDATE record r SET enterprise_id = u.id
                FROM unnest(\(chunk.map(\.0.source)), \(chunk.map(\.0.recordId)), \(chunk.map(\.1))) AS u(source, record_id, id)
                WHERE r.source = u.source AND r.record_id = u.record_id
                """)
            guard changed == chunk.count else {
                let keys = chunk.map(\.0)
                let present = Set(try session.rows("""
                    SELECT r.source, r.record_id FROM unnest(\(keys.sources), \(keys.recordIds)) AS k(source, record_id)
                    CROSS JOIN LATERAL (SELECT * FROM record x WHERE x.source = k.source AND x.record_id = k.record_id LIMIT 1) r
                    """).map { row in let (source, recordId) = try row.decode((String, String).self); return RecordKey(source: source, recordId: recordId) })
                throw StoreError.unknownRecord(keys.first { !present.contains($0) } ?? keys[0])
            }
        }
    }

    /// New persons with new enterprise ids: 40 random bits each, never an id the store has used (the
    /// primary key refuses one, and it is drawn again; `knownIds` saves asking about ids known taken).
    func mintPersons(_ session: PostgresSession, count: Int, knownIds: inout Set<Int64>) throws -> [Int64] {
        var minted: [Int64] = []
        minted.reserveCapacity(count)
        var generator = SystemRandomNumberGenerator()
        let seconds = IdentityStore.seconds()
        while minted.count < count {
            var candidates: [Int64] = []
            while candidates.count < min(count - minted.count, 20_000) {
                let id = Int64(generator.next() & ((1 << 40) - 1))
                if knownIds.insert(id).inserted { candidates.append(id) }
            }
            let inserted = try session.rows("""
                INSERT INTO person (enterprise_id, minted_at) SELECT id, \(seconds) FROM unnest(\(candidates)) AS u(id)
                ON CONFLICT (enterprise_id) DO NOTHING RETURNING enterprise_id
                """).map { try $0.decode(Int64.self) }
            let taken = Set(inserted)
            minted += candidates.filter { taken.contains($0) }
        }
        return minted
    }

    /// The statements that retire a person into another: the id, and every id already retired into it,
    /// redirect to `target` (one hop), and the lineage records the merge.
    static func retire(_ id: Int64, into target: Int64, at time: String, modelVersion: Int64?, reason: String) -> [PostgresQuery] {
        [
            "UPDATE person SET retired_into = \(target) WHERE enterprise_id = \(id)",
            "UPDATE person SET retired_into = \(target) WHERE retired_into = \(id)",
            """
            INSERT INTO lineage (at, action, enterprise_id, other_id, model_version, reason)
            VALUES (\(time), 'merge', \(target), \(id), \(modelVersion), \(reason))
            """,
        ]
    }

    /// When each person was created, as the id of its first lineage entry (see the SQLite store's).
    func creationOrder(_ session: PostgresSession, of ids: [Int64]) throws -> [Int64: Int64] {
        var order: [Int64: Int64] = [:]
        for chunk in ids.chunks(of: 20_000) {
            for row in try session.rows("""
                SELECT enterprise_id, min(id) FROM lineage WHERE enterprise_id = ANY(\(chunk)) GROUP BY enterprise_id
                """) {
                let (id, first) = try row.decode((Int64, Int64).self)
                order[id] = first
            }
        }
        return order
    }

    /// The persons of these records with every record of those persons: first the records' persons,
    /// then those persons' records by the index on person (one query over both made the planner
    /// read the whole table for each chunk).
    func personsWithMembers(_ session: PostgresSession, of keys: [RecordKey]) throws -> [RecordKey: Int64] {
        var result: [RecordKey: Int64] = [:]
        for (person, records) in try members(session, of: try persons(session, of: keys).sorted()) {
            for key in records { result[key] = person }
        }
        return result
    }

    /// As `personsWithMembers(_:of:)`, starting from the persons the records had when the run read
    /// them: those persons' members now are read by person, and only the records not among them (new
    /// ones, or moved since) are looked up by key. The result is the same (a person none of the
    /// records belongs to any more is left out), with a key probe for each new or moved record
    /// (10,000 new records at a million) where there was one for every record in scope: 182,000 of
    /// them, 0.64 s of statements holding the lock (server log).
    func personsWithMembers(_ session: PostgresSession, of keys: Set<RecordKey>, startingFrom personsWhenRead: Set<Int64>) throws -> [RecordKey: Int64] {
        var personOf: [RecordKey: Int64] = [:]
        try session.preferIndexProbes()   // by person too: left to itself, the planner read the table for each chunk
        for (person, records) in try members(session, of: personsWhenRead.sorted()) {
            for key in records { personOf[key] = person }
        }
        var persons = Set<Int64>()
        var unplaced: [RecordKey] = []
        for key in keys {
            if let person = personOf[key] { persons.insert(person) } else { unplaced.append(key) }
        }
        let elsewhere = try self.persons(session, of: unplaced.sorted())
        for (person, records) in try members(session, of: elsewhere.subtracting(personsWhenRead).sorted()) {
            for key in records { personOf[key] = person }
        }
        persons.formUnion(elsewhere)
        return personOf.filter { persons.contains($0.value) }
    }

    /// The persons these records belong to, looked up in key order (probes in index order stay on
    /// pages just read).
    private func persons(_ session: PostgresSession, of keys: [RecordKey]) throws -> Set<Int64> {
        var persons = Set<Int64>()
        try session.preferIndexProbes()
        try session.forEachRow(ofChunks: keys.chunks(of: 20_000), { chunk in """
            SELECT r.enterprise_id FROM unnest(\(chunk.sources), \(chunk.recordIds)) AS k(source, record_id)
            CROSS JOIN LATERAL (SELECT * FROM record x WHERE x.source = k.source AND x.record_id = k.record_id LIMIT 1) r
            WHERE r.enterprise_id IS NOT NULL
            """ }) { row in
            persons.insert(try row.decode(Int64.self))
        }
        return persons
    }
}

/// Lineage entries of a link run, written in one statement per twenty thousand.
struct LineageRows {
    private var actions: [String] = []
    private var ids: [Int64] = []
    /// -1 for none (ids are never negative): arrays of the protocol carry no NULLs here.
    private var others: [Int64] = []

    mutating func append(_ action: String, _ id: Int64, _ other: Int64?) {
        actions.append(action)
        ids.append(id)
        others.append(other ?? -1)
    }

    func insert(_ session: PostgresSession, modelVersion: Int64) throws {
        for range in stride(from: 0, to: ids.count, by: 20_000).map({ $0..<min($0 + 20_000, ids.count) }) {
            try session.execute("""
                INSERT INTO lineage (at, action, enterprise_id, other_id, model_version, reason)
                SELECT '', u.action, u.id, NULLIF(u.other, -1), \(modelVersion), ''
                FROM unnest(\(Array(actions[range])), \(Array(ids[range])), \(Array(others[range]))) WITH ORDINALITY AS u(action, id, other, n)
                ORDER BY u.n
                """)
        }
    }
}
