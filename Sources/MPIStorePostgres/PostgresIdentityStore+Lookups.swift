internal import Foundation
public import MPICore
public import MPIStore
internal import NIOCore
internal import PostgresNIO

/// What incremental runs, lookups, `mpi audit`, `mpi history` and `mpi status` read.
extension PostgresIdentityStore {

    /// A million rows: the key's two texts are decoded only for the records the caller asks about,
    /// and the link keys are lent straight from the row's buffer.
    public func scanLinkKeys(_ body: (UnsafeRawBufferPointer?, () -> RecordKey) throws -> Void) throws {
        try reading { session in
            try session.forEachRow("SELECT source, record_id, link_keys FROM record WHERE active AND NOT needs_link", batch: 50_000) { row in
                var cells = row.makeIterator()
                guard let source = cells.next(), let recordId = cells.next(), let keys = cells.next() else { throw StoreError.corruptRecord }
                let key = { RecordKey(source: (try? source.decode(String.self)) ?? "", recordId: (try? recordId.decode(String.self)) ?? "") }
                if let bytes = keys.bytes {
                    try bytes.withUnsafeReadableBytes { try body($0, key) }
                } else {
                    try body(nil, key)
                }
            }
        }
    }

    public func personsWithMembers(of keys: some Sequence<RecordKey>) throws -> [RecordKey: EnterpriseID] {
        let keys = Array(keys)
        return try reading { try personsWithMembers($0, of: keys).mapValues(Self.id) }
    }

    public func memberships(of keys: some Sequence<RecordKey>) throws -> [RecordKey: EnterpriseID] {
        let keys = Array(keys)
        return try reading { session in
            var result: [RecordKey: EnterpriseID] = [:]
            try session.preferIndexProbes()
            for chunk in keys.chunks(of: 10_000) {
                for row in try session.rows("""
                    SELECT r.source, r.record_id, r.enterprise_id FROM unnest(\(chunk.sources), \(chunk.recordIds)) AS k(source, record_id)
                    CROSS JOIN LATERAL (SELECT * FROM record x WHERE x.source = k.source AND x.record_id = k.record_id LIMIT 1) r
                    WHERE r.enterprise_id IS NOT NULL
                    """) {
                    let (source, recordId, id) = try row.columns(String.self, String.self, Int64.self)
                    result[RecordKey(source: source, recordId: recordId)] = Self.id(id)
                }
            }
            return result
        }
    }

    public func forEachMembership(_ body: (RecordKey, EnterpriseID) throws -> Void) throws {
        try reading { session in
            try session.forEachRow("""
                SELECT source, record_id, enterprise_id FROM record WHERE enterprise_id IS NOT NULL ORDER BY source, record_id
                """) { row in
                let (source, recordId, id) = try row.columns(String.self, String.self, Int64.self)
                try body(RecordKey(source: source, recordId: recordId), Self.id(id))
            }
        }
    }

    public func memberships() throws -> [RecordKey: EnterpriseID] {
        var result: [RecordKey: EnterpriseID] = [:]
        try forEachMembership { result[$0] = $1 }
        return result
    }

    public func normalizedRecords(_ keys: [RecordKey]) throws -> [RecordKey: NormalizedRecord] {
        try reading { session in
            var result: [RecordKey: NormalizedRecord] = [:]
            try session.preferIndexProbes()
            for chunk in keys.chunks(of: 10_000) {
                for row in try session.rows("""
                    SELECT r.source, r.record_id, r.normalized FROM unnest(\(chunk.sources), \(chunk.recordIds)) AS k(source, record_id)
                    CROSS JOIN LATERAL (SELECT * FROM record x WHERE x.source = k.source AND x.record_id = k.record_id LIMIT 1) r
                    """) {
                    let (source, recordId, normalized) = try row.columns(String.self, String.self, ByteBuffer.self)
                    let key = RecordKey(source: source, recordId: recordId)
                    result[key] = try Self.normalized(normalized, key: key)
                }
            }
            return result
        }
    }

    public func rawRecord(_ key: RecordKey) throws -> [String: String]? {
        try reading { session in
            guard let row = try session.rows("""
                SELECT r.raw, r.normalized FROM record r WHERE r.source = \(key.source) AND r.record_id = \(key.recordId)
                """).first else { return nil }
            let (raw, normalized) = try row.decode((ByteBuffer, ByteBuffer).self)
            let record = try Self.normalized(normalized, key: key)
            let decoded: (columnSet: Int64, values: [String])
            do { decoded = try RawRowCodec.decode(Array(raw.readableBytesView), record: record) } catch { throw StoreError.corruptRecord }
            guard let text = try session.value("SELECT columns FROM column_set WHERE id = \(decoded.columnSet)", as: String.self) else {
                throw StoreError.corruptRecord
            }
            let columns = try JSONDecoder().decode([String].self, from: Data(text.utf8))
            guard columns.count == decoded.values.count else { throw StoreError.corruptRecord }
            return Dictionary(uniqueKeysWithValues: zip(columns, decoded.values))
        }
    }

    // MARK: lookups, audited

    public func resolve(source: String, recordId: String, actor: String) throws -> Resolution? {
        let resolution = try reading { session -> Resolution? in
            guard let id = try session.value("SELECT enterprise_id FROM record WHERE source = \(source) AND record_id = \(recordId)",
                                              as: Int64.self) else { return nil }
            return try self.resolution(session, id: id, redirectedFrom: nil)
        }
        try appendLookups([(Date().timeIntervalSince1970, actor, "resolve", try IdentityStore.json([
            "enterpriseId": resolution?.enterpriseId ?? "", "recordId": recordId, "source": source]))])
        return resolution
    }

    public func person(_ enterpriseId: EnterpriseID, actor: String) throws -> Resolution? {
        let resolution = try reading { session -> Resolution? in
            let (id, redirectedFrom) = try Resolution.followingRedirects(from: enterpriseId) { id in
                try session.value("SELECT retired_into FROM person WHERE enterprise_id = \(id)", as: Int64.self)
            }
            guard try session.value("SELECT EXISTS (SELECT 1 FROM person WHERE enterprise_id = \(id))", as: Bool.self) == true else { return nil }
            return try self.resolution(session, id: id, redirectedFrom: redirectedFrom)
        }
        try appendLookups([(Date().timeIntervalSince1970, actor, "person", try IdentityStore.json([
            "enterpriseId": resolution?.enterpriseId ?? enterpriseId.description]))])
        return resolution
    }

    private func resolution(_ session: PostgresSession, id: Int64, redirectedFrom: String?) throws -> Resolution {
        var records: [RecordKey] = []
        var nhs = Set<String>()
        for row in try session.rows("SELECT source, record_id, normalized FROM record WHERE enterprise_id = \(id) ORDER BY source, record_id") {
            let (source, recordId, normalized) = try row.columns(String.self, String.self, ByteBuffer.self)
            let key = RecordKey(source: source, recordId: recordId)
            records.append(key)
            if let record = try? Self.normalized(normalized, key: key), let number = record.nhsNumber { nhs.insert(number.digits) }
        }
        return Resolution(enterpriseId: Self.id(id).description, redirectedFrom: redirectedFrom, records: records, nhsNumbers: nhs.sorted())
    }

    public func recordSearch(candidates: Int, top: EnterpriseID?, actor: String) throws {
        try appendLookups([(Date().timeIntervalSince1970, actor, "search", try IdentityStore.json([
            "candidates": String(candidates), "enterpriseId": top?.description ?? ""]))])
    }

    public func appendAudit(_ events: [AuditEvent]) throws {
        try appendLookups(events.map { event in (event.time, event.actor, event.action, try IdentityStore.json(event.detail)) })
    }

    /// Lookups' audit entries, many in one statement.
    private func appendLookups(_ entries: [(time: Double, actor: String, action: String, detail: String)]) throws {
        guard !entries.isEmpty else { return }
        try pool.withConnection { session in
            for chunk in entries.chunks(of: 5_000) {
                try session.execute("""
                    INSERT INTO lookup (at, actor, action, detail)
                    SELECT * FROM unnest(\(chunk.map { IdentityStore.timestamp($0.time) }), \(chunk.map(\.actor)), \(chunk.map(\.action)),
                                         \(chunk.map(\.detail)))
                    """)
            }
        }
    }

    // MARK: audit, lineage, status

    public func auditTrail(since: String?, person: EnterpriseID?) throws -> [AuditEntry] {
        try reading { session in
            // Changes before lookups within one second, as the SQLite store merges its two files.
            try session.rows("""
                SELECT at, actor, action, detail FROM (
                    SELECT at, actor, action, detail, 0 AS kind, id FROM audit WHERE at >= \(since ?? "")
                    UNION ALL
                    SELECT at, actor, action, detail, 1 AS kind, id FROM lookup WHERE at >= \(since ?? "")
                ) entries ORDER BY at, kind, id
                """).map { row in
                let (at, actor, action, detail) = try row.decode((String, String, String, String).self)
                return AuditEntry(at: at, actor: actor, action: action, detail: detail)
            }.filter { entry in person.map { entry.detail.contains($0.description) } ?? true }
        }
    }

    public func history(_ id: EnterpriseID) throws -> [LineageEntry] {
        try reading { session in
            try session.rows("""
                SELECT CASE l.at WHEN '' THEN v.created_at ELSE l.at END, l.action, l.enterprise_id, l.other_id, l.model_version,
                       CASE l.reason WHEN '' THEN coalesce(v.reason, '') ELSE l.reason END
                FROM lineage l LEFT JOIN model_version v ON v.id = l.model_version
                WHERE l.enterprise_id = \(Int64(id.value)) OR l.other_id = \(Int64(id.value)) ORDER BY l.id
                """).map { row in
                let (at, action, person, other, version, reason) = try row.decode((String, String, Int64, Int64?, Int64?, String).self)
                return LineageEntry(at: at, action: action, enterpriseId: Self.id(person).description,
                                    otherId: other.map { Self.id($0).description }, modelVersion: version, reason: reason)
            }
        }
    }

    public func status() throws -> StoreStatus {
        var status = try reading { session in
            var status = StoreStatus()
            for row in try session.rows("""
                SELECT active, needs_link, link_keys IS NULL, count(*) FROM record GROUP BY active, needs_link, link_keys IS NULL
                """) {
                let (active, waiting, noKeys, count) = try row.decode((Bool, Bool, Bool, Int64).self)
                if active {
                    status.activeRecords += Int(count)
                    if waiting { status.waitingToBeLinked += Int(count) } else if noKeys { status.withoutLinkKeys += Int(count) }
                } else {
                    status.inactiveRecords += Int(count)
                }
            }
            status.persons = Int(try session.value("SELECT count(*) FROM person WHERE retired_into IS NULL", as: Int64.self) ?? 0)
            status.retiredIds = Int(try session.value("SELECT count(*) FROM person WHERE retired_into IS NOT NULL", as: Int64.self) ?? 0)
            status.reviewItems = Int(try session.value("SELECT count(*) FROM review_item", as: Int64.self) ?? 0)
            status.decisions = Int(try session.value("SELECT count(*) FROM decision", as: Int64.self) ?? 0)
            if let row = try session.rows("SELECT id, created_at FROM model_version ORDER BY id DESC LIMIT 1").first {
                let (version, at) = try row.decode((Int64, String).self)
                status.latestModelVersion = version
                status.latestLinkRunAt = at
            }
            status.outboxEntries = try session.value("SELECT max(sequence) FROM outbox", as: Int64.self) ?? 0
            // The database's size on the server, and the lookup table's part of it.
            status.storeBytes = try session.value("SELECT pg_database_size(current_database())", as: Int64.self) ?? 0
            status.lookupLogBytes = try session.value("SELECT pg_total_relation_size('lookup')", as: Int64.self) ?? 0
            return status
        }
        status.subscribers = try subscriberProgress()
        return status
    }
}
