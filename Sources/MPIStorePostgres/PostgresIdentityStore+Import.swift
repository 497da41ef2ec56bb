internal import Foundation
public import MPICore
public import MPIStore
internal import NIOCore
internal import PostgresNIO

extension PostgresIdentityStore {
    /// Stores one source's records in one transaction, as the SQLite store does (unchanged records
    /// left alone, changed ones updated, with `fullExtract` missing ones marked inactive), with the
    /// rows sent by COPY: into `record` directly when the source is new, else into a temporary table
    /// that one INSERT ... ON CONFLICT merges into `record`.
    public func importSource(code: String, records: [StoredRecord], fullExtract: Bool, actor: String) throws -> ImportSummary {
        let storedHashes = try reading { session in
            var hashes: [String: Int64] = [:]
            try session.forEachRow("SELECT record_id, content_hash FROM record WHERE source = \(code)") { row in
                let (recordId, hash) = try row.columns(String.self, Int64.self)
                hashes[recordId] = hash
            }
            return hashes
        }
        let prepared = PreparedRecord.prepare(records, storedHashes: storedHashes)
        return try writing { session in
            var summary = ImportSummary(source: code)
            let now = IdentityStore.now(), nowSeconds = IdentityStore.seconds()
            try session.execute("INSERT INTO source (code, first_seen) VALUES (\(code), \(now)) ON CONFLICT DO NOTHING")
            var existing: [String: (hash: Int64, active: Bool)] = [:]
            try session.forEachRow("SELECT record_id, content_hash, active FROM record WHERE source = \(code)") { row in
                let (recordId, hash, active) = try row.columns(String.self, Int64.self, Bool.self)
                existing[recordId] = (hash, active)
            }
            var columnSets: [[String]: Int64] = [:]
            func columnSet(_ columns: [String]) throws -> Int64 {
                if let id = columnSets[columns] { return id }
                let text = try IdentityStore.json(columns)
                try session.execute("INSERT INTO column_set (columns) VALUES (\(text)) ON CONFLICT (columns) DO NOTHING")
                guard let id = try session.value("SELECT id FROM column_set WHERE columns = \(text)", as: Int64.self) else {
                    throw StoreError.database("a column set vanished")
                }
                columnSets[columns] = id
                return id
            }

            // What to write, one row per record id (the last of an id listed twice).
            var rows: [IncomingRow] = []
            var rowOfId: [String: Int] = [:]
            var seen = Set<String>()
            for (record, prepared) in zip(records, prepared) {
                let recordId = record.key.recordId
                seen.insert(recordId)
                if let old = existing[recordId] {
                    if old.hash == prepared.hash && old.active { summary.unchanged += 1; continue }
                    if old.hash == prepared.hash { summary.reactivated += 1 } else { summary.changed += 1 }
                } else {
                    summary.added += 1
                }
                let body = prepared.rawBody ?? RawRowCodec.encodeBody(values: prepared.columns.map { record.raw[$0]! }, record: record.normalized)
                let row = IncomingRow(recordId: recordId, raw: RawRowCodec.encode(columnSet: try columnSet(prepared.columns), body: body),
                                      normalized: prepared.normalized ?? RecordCodec.encode(record.normalized), hash: prepared.hash)
                if let index = rowOfId[recordId] { rows[index] = row } else { rowOfId[recordId] = rows.count; rows.append(row) }
            }

            let toWrite = rows
            if existing.isEmpty {
                try session.copy(into: "record", columns: ["source", "record_id", "raw", "normalized", "content_hash", "changed_at"],
                                 count: toWrite.count) { index, text in
                    let row = toWrite[index]
                    text.text(code)
                    text.text(row.recordId)
                    text.bytes(row.raw)
                    text.bytes(row.normalized)
                    text.integer(row.hash)
                    text.integer(nowSeconds)
                }
            } else if !toWrite.isEmpty {
                try session.execute("""
                    CREATE TEMPORARY TABLE incoming (record_id text NOT NULL, raw bytea NOT NULL, normalized bytea NOT NULL,
                                                     content_hash bigint NOT NULL) ON COMMIT DROP
                    """)
                try session.copy(into: "incoming", columns: ["record_id", "raw", "normalized", "content_hash"], count: toWrite.count) { index, text in
                    let row = toWrite[index]
                    text.text(row.recordId)
                    text.bytes(row.raw)
                    text.bytes(row.normalized)
                    text.integer(row.hash)
                }
                try session.execute("""
                    INSERT INTO record (source, record_id, raw, normalized, content_hash, active, changed_at, needs_link)
                    SELECT \(code), record_id, raw, normalized, content_hash, true, \(nowSeconds), true FROM incoming
                    ON CONFLICT (source, record_id) DO UPDATE SET raw = excluded.raw, normalized = excluded.normalized,
                        content_hash = excluded.content_hash, active = true, changed_at = excluded.changed_at, needs_link = true
                    """)
            }
            if fullExtract {
                // An inactive record leaves its person.
                let gone = existing.filter { $0.value.active && !seen.contains($0.key) }.map(\.key).sorted()
                for chunk in gone.chunks(of: 10_000) {
                    try session.execute("""
                        UPDATE record SET active = false, enterprise_id = NULL, changed_at = \(nowSeconds)
                        WHERE source = \(code) AND record_id = ANY(\(chunk))
                        """)
                }
                summary.markedInactive = gone.count
            }
            // Fresh statistics for the planner once a large share of the table changed (see `preferIndexProbes`).
            if toWrite.count >= 10_000 { try session.execute("ANALYZE record") }
            try audit(session, actor: actor, action: "import", detail: try IdentityStore.json(summary))
            return summary
        }
    }

    /// Active records added or changed since the last link run.
    public func recordsWaitingToBeLinked() throws -> Set<RecordKey> {
        try reading { session in
            var keys = Set<RecordKey>()
            try session.forEachRow("SELECT source, record_id FROM record WHERE active AND needs_link") { row in
                let (source, recordId) = try row.columns(String.self, String.self)
                keys.insert(RecordKey(source: source, recordId: recordId))
            }
            return keys
        }
    }

    /// The normalised form of every active record, in key order.
    public func activeRecords() throws -> [NormalizedRecord] {
        try reading { session in
            var records: [NormalizedRecord] = []
            try session.forEachRow("SELECT source, record_id, normalized FROM record WHERE active ORDER BY source, record_id") { row in
                let (source, recordId, normalized) = try row.columns(String.self, String.self, ByteBuffer.self)
                records.append(try Self.normalized(normalized, key: RecordKey(source: source, recordId: recordId)))
            }
            return records
        }
    }

    /// The normalised form of those of these records that are active, in key order.
    public func activeRecords(_ keys: some Sequence<RecordKey>) throws -> [NormalizedRecord] {
        let sorted = keys.sorted()
        return try reading { session in
            var found: [RecordKey: NormalizedRecord] = [:]
            try session.preferIndexProbes()
            try session.forEachRow(ofChunks: sorted.chunks(of: 10_000), { chunk in """
                SELECT r.source, r.record_id, r.normalized FROM unnest(\(chunk.sources), \(chunk.recordIds)) AS k(source, record_id)
                CROSS JOIN LATERAL (SELECT * FROM record x WHERE x.source = k.source AND x.record_id = k.record_id LIMIT 1) r
                WHERE r.active
                """ }) { row in
                let (source, recordId, normalized) = try row.columns(String.self, String.self, ByteBuffer.self)
                let key = RecordKey(source: source, recordId: recordId)
                found[key] = try Self.normalized(normalized, key: key)
            }
            return sorted.compactMap { found[$0] }
        }
    }
}

/// One record as an import writes it.
private struct IncomingRow: Sendable {
    let recordId: String
    let raw: [UInt8]
    let normalized: [UInt8]
    let hash: Int64
}
