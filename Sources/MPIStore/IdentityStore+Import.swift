internal import Foundation
public import MPICore
internal import GRDB
import Synchronization

/// A source record as stored: the raw row as received (column -> value, JSON), its normalised form, and
/// a hash of the raw row that tells a re-import whether the record changed.
public struct StoredRecord: Sendable {
    public let key: RecordKey
    public let raw: [String: String]
    public let normalized: NormalizedRecord

    public init(key: RecordKey, raw: [String: String], normalized: NormalizedRecord) {
        self.key = key
        self.raw = raw
        self.normalized = normalized
    }

    /// FNV-1a over the raw row's columns in name order: stable across runs and platforms.
    var contentHash: Int64 { Self.contentHash(raw, columns: raw.keys.sorted()) }

    package static func contentHash(_ raw: [String: String], columns: [String]) -> Int64 {
        var hash: UInt64 = 0xCBF2_9CE4_8422_2325
        func add(_ byte: UInt8) { hash = (hash ^ UInt64(byte)) &* 0x0000_0100_0000_01B3 }
        for column in columns {
            for byte in column.utf8 { add(byte) }
            add(0x1F)
            for byte in raw[column]!.utf8 { add(byte) }
            add(0x1E)
        }
        return Int64(bitPattern: hash)
    }
}

/// A record ready to be written: its hash and, unless the store holds it unchanged, its encoded forms.
package struct PreparedRecord: Sendable {
    package let hash: Int64
    package let columns: [String]
    /// `RawRowCodec.encodeBody`; nil when the store already holds this hash.
    package let rawBody: [UInt8]?
    package let normalized: [UInt8]?

    /// Prepares records on every core: hashing and encoding take about as long as writing them, and
    /// the write transaction is one thread.
    package static func prepare(_ records: [StoredRecord], storedHashes: [String: Int64]) -> [PreparedRecord] {
        let parts = min(ProcessInfo.processInfo.activeProcessorCount, max(1, records.count / 2000))
        let results = Mutex([[PreparedRecord]](repeating: [], count: parts))
        DispatchQueue.concurrentPerform(iterations: parts) { part in
            let slice = records[(records.count * part / parts)..<(records.count * (part + 1) / parts)]
            let prepared = slice.map { record in
                let columns = record.raw.keys.sorted()
                let hash = StoredRecord.contentHash(record.raw, columns: columns)
                guard storedHashes[record.key.recordId] != hash else {
                    return PreparedRecord(hash: hash, columns: columns, rawBody: nil, normalized: nil)
                }
                return PreparedRecord(hash: hash, columns: columns,
                                      rawBody: RawRowCodec.encodeBody(values: columns.map { record.raw[$0]! }, record: record.normalized),
                                      normalized: RecordCodec.encode(record.normalized))
            }
            results.withLock { $0[part] = prepared }
        }
        return results.withLock { $0 }.flatMap { $0 }
    }
}

public struct ImportSummary: Sendable, Hashable, Codable {
    public var source: String
    public var added = 0
    public var changed = 0
    public var unchanged = 0
    public var markedInactive = 0
    public var reactivated = 0
}

extension ImportSummary {
    package init(source: String) { self.source = source }
}

extension IdentityStore {
    /// Stores one source's records in one transaction: all of them or none. Unchanged records (same
    /// hash) are left alone; changed ones are updated; with `fullExtract`, active records of the source
    /// that the extract no longer holds are marked inactive (never deleted).
    public func importSource(code: String, records: [StoredRecord], fullExtract: Bool, actor: String) throws -> ImportSummary {
        let storedHashes = try reading { db in
            var hashes: [String: Int64] = [:]
            let rows = try Row.fetchCursor(db, sql: "SELECT record_id, content_hash FROM record WHERE source = ?", arguments: [code])
            while let row = try rows.next() { hashes[row[0]] = row[1] }
            return hashes
        }
        let prepared = PreparedRecord.prepare(records, storedHashes: storedHashes)
        return try writing { db in
            var summary = ImportSummary(source: code)
            let now = Self.now(), nowSeconds = Self.seconds()
            try db.execute(sql: "INSERT OR IGNORE INTO source (code, first_seen) VALUES (?, ?)", arguments: [code, now])
            var existing: [String: (hash: Int64, active: Bool)] = [:]
            let rows = try Row.fetchCursor(db, sql: "SELECT record_id, content_hash, active FROM record WHERE source = ?", arguments: [code])
            while let row = try rows.next() { existing[row[0]] = (row[1], row[2]) }
            let insert = try db.cachedStatement(sql: """
                INSERT INTO record (source, record_id, raw, normalized, content_hash, active, changed_at) VALUES (?, ?, ?, ?, ?, 1, ?)
                ON CONFLICT (source, record_id) DO UPDATE SET raw = excluded.raw, normalized = excluded.normalized,
                    content_hash = excluded.content_hash, active = 1, changed_at = excluded.changed_at, needs_link = 1
                """)
            // Raw rows keep their values only; the column names are stored once per column set.
            var columnSets: [[String]: Int64] = [:]
            func columnSet(_ columns: [String]) throws -> Int64 {
                if let id = columnSets[columns] { return id }
                let text = try Self.json(columns)
                try db.execute(sql: "INSERT OR IGNORE INTO column_set (columns) VALUES (?)", arguments: [text])
                let id = try Int64.fetchOne(db, sql: "SELECT id FROM column_set WHERE columns = ?", arguments: [text])!
                columnSets[columns] = id
                return id
            }
            var seen = Set<String>()
            for (record, prepared) in zip(records, prepared) {
                seen.insert(record.key.recordId)
                let hash = prepared.hash
                if let old = existing[record.key.recordId] {
                    if old.hash == hash && old.active { summary.unchanged += 1; continue }
                    if old.hash == hash { summary.reactivated += 1 } else { summary.changed += 1 }
                } else {
                    summary.added += 1
                }
                // Encoded beforehand unless the store held this hash when preparing (it may have changed since).
                let body = prepared.rawBody ?? RawRowCodec.encodeBody(values: prepared.columns.map { record.raw[$0]! }, record: record.normalized)
                let raw = RawRowCodec.encode(columnSet: try columnSet(prepared.columns), body: body)
                let normalized = prepared.normalized ?? RecordCodec.encode(record.normalized)
                try insert.execute(arguments: [code, record.key.recordId, Data(raw), Data(normalized), hash, nowSeconds])
            }
            if fullExtract {
                // An inactive record leaves its person.
                let deactivate = try db.cachedStatement(sql: """
                    UPDATE record SET active = 0, enterprise_id = NULL, changed_at = ? WHERE source = ? AND record_id = ?
                    """)
                for (recordId, old) in existing where old.active && !seen.contains(recordId) {
                    try deactivate.execute(arguments: [nowSeconds, code, recordId])
                    summary.markedInactive += 1
                }
            }
            try self.audit(db, actor: actor, action: "import", detail: try Self.json(summary))
            return summary
        }
    }

    /// Active records added or changed since the last link run.
    public func recordsWaitingToBeLinked() throws -> Set<RecordKey> {
        try reading { db in
            Set(try Row.fetchAll(db, sql: "SELECT source, record_id FROM record WHERE active = 1 AND needs_link = 1")
                .map { RecordKey(source: $0[0], recordId: $0[1]) })
        }
    }

    /// The normalised form of every active record.
    public func activeRecords() throws -> [NormalizedRecord] {
        try reading { db in
            var records: [NormalizedRecord] = []
            let rows = try Row.fetchCursor(db, sql: "SELECT source, record_id, normalized FROM record WHERE active = 1 ORDER BY source, record_id")
            while let row = try rows.next() { records.append(try Self.normalized(row[2], key: RecordKey(source: row[0], recordId: row[1]))) }
            return records
        }
    }
}
