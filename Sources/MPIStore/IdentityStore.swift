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

    static func contentHash(_ raw: [String: String], columns: [String]) -> Int64 {
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
struct PreparedRecord: Sendable {
    let hash: Int64
    let columns: [String]
    /// `RawRowCodec.encodeBody`; nil when the store already holds this hash.
    let rawBody: [UInt8]?
    let normalized: [UInt8]?

    /// Prepares records on every core: hashing and encoding take about as long as writing them, and
    /// the write transaction is one thread.
    static func prepare(_ records: [StoredRecord], storedHashes: [String: Int64]) -> [PreparedRecord] {
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

public struct LinkApplySummary: Sendable, Hashable, Codable {
    public var persons = 0
    public var minted = 0
    public var kept = 0
    public var merged = 0
    public var split = 0
    public var recordsMoved = 0
    public var modelVersion: Int64 = 0
}

/// Who a record is: the person's enterprise id and every identifier the person has across sources.
public struct Resolution: Sendable, Hashable, Codable {
    public let enterpriseId: String
    /// Set when the id asked about was retired by a merge and redirected here.
    public let redirectedFrom: String?
    public let records: [RecordKey]
    public let nhsNumbers: [String]
}

/// The identity store on SQLite (WAL mode, foreign keys on, named migrations). GRDB stays inside this
/// type: its API speaks in the core's values, so a second backend (PostgreSQL) can implement the same
/// operations without touching the core or the commands.
public final class IdentityStore: Sendable {

    let pool: DatabasePool
    let lookups: LookupLog

    /// How long a change waits for another process's write (a link run applying its persons) before
    /// it gives up with "database is locked". Reads and lookups never wait (see `LookupLog`).
    public static let writeWaitSeconds = 60.0

    /// Opens (creating if needed) the store at `path` and brings its schema up to date. Opening a
    /// store that is up to date only reads, so it succeeds while a link run is writing.
    ///
    /// - Parameter durableCommits: fsync the write-ahead log at every commit (SQLite's
    ///   `synchronous = FULL`), so a transaction acknowledged to a client survives a power cut. Batch
    ///   commands leave it off: a lost batch is simply re-run, and the database itself is never corrupted.
    public init(path: String, durableCommits: Bool = false) throws {
        var configuration = Configuration()
        configuration.foreignKeysEnabled = true
        configuration.busyMode = .timeout(Self.writeWaitSeconds)
        configuration.prepareDatabase { db in
            try db.execute(sql: durableCommits ? "PRAGMA synchronous = FULL" : "PRAGMA synchronous = NORMAL")
        }
        pool = try DatabasePool(path: path, configuration: configuration)
        if try !pool.read({ try Self.migrator.hasCompletedMigrations($0) }) { try Self.migrator.migrate(pool) }
        lookups = try LookupLog(storePath: path)
    }

    static var migrator: DatabaseMigrator {
        var migrator = DatabaseMigrator()
        migrator.registerMigration("v1 sources, records, persons, memberships, lineage, models, audit") { db in
            try db.execute(sql: """
                CREATE TABLE source (code TEXT PRIMARY KEY, first_seen TEXT NOT NULL);
                CREATE TABLE record (
                    source TEXT NOT NULL REFERENCES source(code),
                    record_id TEXT NOT NULL,
                    raw TEXT NOT NULL,
                    normalized TEXT NOT NULL,
                    content_hash INTEGER NOT NULL,
                    active INTEGER NOT NULL DEFAULT 1,
                    updated_at TEXT NOT NULL,
                    PRIMARY KEY (source, record_id)
                ) WITHOUT ROWID;
                CREATE TABLE person (
                    enterprise_id INTEGER PRIMARY KEY,
                    created_at TEXT NOT NULL,
                    retired_into INTEGER REFERENCES person(enterprise_id)
                );
                -- One source record belongs to exactly one person: the primary key says so.
                CREATE TABLE membership (
                    source TEXT NOT NULL,
                    record_id TEXT NOT NULL,
                    enterprise_id INTEGER NOT NULL REFERENCES person(enterprise_id),
                    PRIMARY KEY (source, record_id),
                    FOREIGN KEY (source, record_id) REFERENCES record(source, record_id)
                ) WITHOUT ROWID;
                CREATE INDEX membership_by_person ON membership(enterprise_id);
                CREATE TABLE model_version (id INTEGER PRIMARY KEY AUTOINCREMENT, created_at TEXT NOT NULL, model TEXT NOT NULL);
                CREATE TABLE lineage (
                    id INTEGER PRIMARY KEY AUTOINCREMENT,
                    at TEXT NOT NULL,
                    action TEXT NOT NULL CHECK (action IN ('mint', 'merge', 'split')),
                    enterprise_id INTEGER NOT NULL REFERENCES person(enterprise_id),
                    other_id INTEGER REFERENCES person(enterprise_id),
                    model_version INTEGER REFERENCES model_version(id),
                    reason TEXT NOT NULL
                );
                CREATE TABLE audit (id INTEGER PRIMARY KEY AUTOINCREMENT, at TEXT NOT NULL, actor TEXT NOT NULL,
                                    action TEXT NOT NULL, detail TEXT NOT NULL);
                """)
        }
        migrator.registerMigration("v2 review queue and steward decisions") { db in
            try db.execute(sql: """
                CREATE TABLE review_item (
                    id INTEGER PRIMARY KEY AUTOINCREMENT,
                    model_version INTEGER NOT NULL REFERENCES model_version(id),
                    source_l TEXT NOT NULL, record_id_l TEXT NOT NULL,
                    source_r TEXT NOT NULL, record_id_r TEXT NOT NULL,
                    match_weight REAL NOT NULL, probability REAL NOT NULL,
                    reason TEXT NOT NULL
                );
                CREATE TABLE decision (
                    id INTEGER PRIMARY KEY AUTOINCREMENT,
                    at TEXT NOT NULL,
                    steward TEXT NOT NULL,
                    source_l TEXT NOT NULL, record_id_l TEXT NOT NULL,
                    source_r TEXT NOT NULL, record_id_r TEXT NOT NULL,
                    decision TEXT NOT NULL CHECK (decision IN ('link', 'unlink', 'not_sure')),
                    reason TEXT NOT NULL
                );
                CREATE INDEX decision_by_pair ON decision(source_l, record_id_l, source_r, record_id_r);
                """)
        }
        migrator.registerMigration("v3 records waiting to be linked") { db in
            // 1 for a record added or changed since the last link run.
            try db.execute(sql: "ALTER TABLE record ADD COLUMN needs_link INTEGER NOT NULL DEFAULT 1")
        }
        migrator.registerMigration("v4 column sets for raw rows") { db in
            try db.execute(sql: "CREATE TABLE column_set (id INTEGER PRIMARY KEY AUTOINCREMENT, columns TEXT NOT NULL UNIQUE)")
        }
        migrator.registerMigration("v5 link settings with each model version") { db in
            // The blocking rules and thresholds the model was used with, so the lookup service links a
            // registration exactly as the link run did.
            try db.execute(sql: "ALTER TABLE model_version ADD COLUMN settings TEXT")
        }
        migrator.registerMigration("v6 link keys with each record") { db in
            // Each record's blocking and term-frequency hashes (MPICore.LinkKeys), written by link runs,
            // so an incremental run finds candidates without loading every record. NULL: not computed yet.
            try db.execute(sql: "ALTER TABLE record ADD COLUMN link_keys BLOB")
            // Finds the few records waiting to be linked without reading every record.
            try db.execute(sql: "CREATE INDEX record_waiting ON record(needs_link) WHERE needs_link = 1")
        }
        migrator.registerMigration("v7 lineage by person") { db in
            // `mpi history` and the age of a person (its first lineage entry, see `creationOrder`) look
            // lineage up by id; without these they read every entry of the store.
            try db.execute(sql: "CREATE INDEX lineage_by_person ON lineage(enterprise_id)")
            try db.execute(sql: "CREATE INDEX lineage_by_other ON lineage(other_id) WHERE other_id IS NOT NULL")
        }
        migrator.registerMigration("v8 smaller records") { db in
            // The time a record last changed as seconds since 1970 (4 bytes) rather than ISO text (20).
            try db.execute(sql: "ALTER TABLE record ADD COLUMN changed_at INTEGER NOT NULL DEFAULT 0")
            try db.execute(sql: "UPDATE record SET changed_at = coalesce(CAST(strftime('%s', updated_at) AS INTEGER), 0)")
            try db.execute(sql: "ALTER TABLE record DROP COLUMN updated_at")
            // After an import every record waits, and this index held them all (23 bytes a record). An
            // incremental run finds the waiting ones by reading the table instead: 0.2 s for a million.
            try db.execute(sql: "DROP INDEX record_waiting")
        }
        migrator.registerMigration("v9 smaller persons and lineage") { db in
            // When an id was minted, as seconds since 1970 (4 bytes) rather than ISO text (20).
            try db.execute(sql: "ALTER TABLE person ADD COLUMN minted_at INTEGER NOT NULL DEFAULT 0")
            try db.execute(sql: "UPDATE person SET minted_at = coalesce(CAST(strftime('%s', created_at) AS INTEGER), 0)")
            try db.execute(sql: "ALTER TABLE person DROP COLUMN created_at")
            // A link run's reason, once: its lineage entries leave their time and reason empty and take
            // the model version's (a first run writes one entry for each of its hundreds of thousands of ids).
            try db.execute(sql: "ALTER TABLE model_version ADD COLUMN reason TEXT")
        }
        migrator.registerMigration("v10 memberships in the record row") { db in
            // A record's person is a column of the record: one value, so "one source record belongs to
            // exactly one person" still holds by the schema, without a second table keyed by the record
            // (23 MB of a million-record store), and an index to find a person's records.
            try db.execute(sql: "ALTER TABLE record ADD COLUMN enterprise_id INTEGER REFERENCES person(enterprise_id)")
            try db.execute(sql: """
                UPDATE record SET enterprise_id = m.enterprise_id FROM membership m
                WHERE m.source = record.source AND m.record_id = record.record_id
                """)
            try db.execute(sql: "DROP TABLE membership")
            try db.execute(sql: "CREATE INDEX record_by_person ON record(enterprise_id) WHERE enterprise_id IS NOT NULL")
        }
        return migrator
    }

    // MARK: review and decisions

    public struct ReviewEntry: Sendable, Hashable, Codable {
        public var id: Int64 = 0
        public let left: RecordKey
        public let right: RecordKey
        public let matchWeight: Double
        public let probability: Double
        public let reason: String

        public init(left: RecordKey, right: RecordKey, matchWeight: Double, probability: Double, reason: String) {
            self.left = left
            self.right = right
            self.matchWeight = matchWeight
            self.probability = probability
            self.reason = reason
        }
    }

    public enum DecisionKind: String, Sendable, Hashable, Codable { case link, unlink, notSure = "not_sure" }

    public struct Decision: Sendable, Hashable, Codable {
        public let left: RecordKey
        public let right: RecordKey
        public let kind: DecisionKind
        public let steward: String
        public let reason: String
        public let at: String
    }

    /// What a link run does to the review queue.
    public enum ReviewUpdate: Sendable {
        /// A run over every record: its items replace the queue.
        case replaceAll([ReviewEntry])
        /// An incremental run, which re-scores only pairs with one of these records: its items replace
        /// those involving them; items between other records stay.
        case replaceItemsInvolving(Set<RecordKey>, [ReviewEntry])
    }

    /// Adds review items (a link run's, or a registration's), leaving out pairs a steward has decided.
    func insertReviewItems(_ db: Database, _ entries: [ReviewEntry], modelVersion: Int64) throws {
        guard !entries.isEmpty else { return }   // most registrations: no decisions to read
        let decided = Set(try latestDecisions(db).filter { $0.kind != .notSure }.map { Self.pairKey($0.left, $0.right) })
        let insert = try db.cachedStatement(sql: """
            INSERT INTO review_item (model_version, source_l, record_id_l, source_r, record_id_r, match_weight, probability, reason)
            VALUES (?, ?, ?, ?, ?, ?, ?, ?)
            """)
        for entry in entries where !decided.contains(Self.pairKey(entry.left, entry.right)) {
            try insert.execute(arguments: [modelVersion, entry.left.source, entry.left.recordId, entry.right.source, entry.right.recordId,
                                           entry.matchWeight, entry.probability, entry.reason])
        }
    }

    /// The review queue, highest stakes first: the pairs closest to an automatic link.
    public func reviewQueue(limit: Int = 50) throws -> [ReviewEntry] {
        try pool.read { db in
            try Row.fetchAll(db, sql: """
                SELECT id, source_l, record_id_l, source_r, record_id_r, match_weight, probability, reason FROM review_item
                ORDER BY match_weight DESC, id LIMIT ?
                """, arguments: [limit]).map { row in
                var entry = ReviewEntry(left: RecordKey(source: row[1], recordId: row[2]), right: RecordKey(source: row[3], recordId: row[4]),
                                        matchWeight: row[5], probability: row[6], reason: row[7])
                entry.id = row[0]
                return entry
            }
        }
    }

    public func reviewItem(_ id: Int64) throws -> ReviewEntry? {
        try pool.read { db in
            guard let row = try Row.fetchOne(db, sql: """
                SELECT id, source_l, record_id_l, source_r, record_id_r, match_weight, probability, reason FROM review_item WHERE id = ?
                """, arguments: [id]) else { return nil }
            var entry = ReviewEntry(left: RecordKey(source: row[1], recordId: row[2]), right: RecordKey(source: row[3], recordId: row[4]),
                                    matchWeight: row[5], probability: row[6], reason: row[7])
            entry.id = row[0]
            return entry
        }
    }

    /// Records a steward's decision on a pair and takes the pair off the queue. Decisions are kept
    /// (never overwritten); the latest for a pair is the one every later link run honours.
    public func decide(_ left: RecordKey, _ right: RecordKey, _ kind: DecisionKind, reason: String, steward: String) throws {
        try pool.write { db in
            let (l, r) = left < right ? (left, right) : (right, left)
            try db.execute(sql: """
                INSERT INTO decision (at, steward, source_l, record_id_l, source_r, record_id_r, decision, reason) VALUES (?, ?, ?, ?, ?, ?, ?, ?)
                """, arguments: [Self.now(), steward, l.source, l.recordId, r.source, r.recordId, kind.rawValue, reason])
            if kind != .notSure {
                try db.execute(sql: """
                    DELETE FROM review_item WHERE (source_l = ? AND record_id_l = ? AND source_r = ? AND record_id_r = ?)
                        OR (source_l = ? AND record_id_l = ? AND source_r = ? AND record_id_r = ?)
                    """, arguments: [l.source, l.recordId, r.source, r.recordId, r.source, r.recordId, l.source, l.recordId])
            }
            try self.audit(db, actor: steward, action: "decide", detail: try Self.json([
                "left": l.description, "right": r.description, "decision": kind.rawValue, "reason": reason]))
        }
    }

    /// The latest decision on each pair.
    public func decisions() throws -> [Decision] {
        try pool.read { db in try self.latestDecisions(db) }
    }

    func latestDecisions(_ db: Database) throws -> [Decision] {
        var latest: [String: Decision] = [:]
        for row in try Row.fetchAll(db, sql: """
            SELECT at, steward, source_l, record_id_l, source_r, record_id_r, decision, reason FROM decision ORDER BY id
            """) {
            let decision = Decision(left: RecordKey(source: row[2], recordId: row[3]), right: RecordKey(source: row[4], recordId: row[5]),
                                    kind: DecisionKind(rawValue: row[6]) ?? .notSure, steward: row[1], reason: row[7], at: row[0])
            latest[Self.pairKey(decision.left, decision.right)] = decision
        }
        return latest.values.sorted { ($0.at, $0.left, $0.right) < ($1.at, $1.left, $1.right) }
    }

    private static func pairKey(_ a: RecordKey, _ b: RecordKey) -> String {
        let (l, r) = a < b ? (a, b) : (b, a)
        return "\(l)\u{1F}\(r)"
    }

    /// The normalised records of these keys (for showing a pair side by side).
    public func normalizedRecords(_ keys: [RecordKey]) throws -> [RecordKey: NormalizedRecord] {
        try pool.read { db in
            var result: [RecordKey: NormalizedRecord] = [:]
            let select = try db.cachedStatement(sql: "SELECT normalized FROM record WHERE source = ? AND record_id = ?")
            for key in keys {
                if let value = try DatabaseValue.fetchOne(select, arguments: [key.source, key.recordId]) {
                    result[key] = try Self.normalized(value, key: key)
                }
            }
            return result
        }
    }

    /// A record as it was received: its raw columns and values.
    public func rawRecord(_ key: RecordKey) throws -> [String: String]? {
        try pool.read { db in
            guard let row = try Row.fetchOne(db, sql: "SELECT raw, normalized FROM record WHERE source = ? AND record_id = ?",
                                             arguments: [key.source, key.recordId]) else { return nil }
            let value: DatabaseValue = row[0]
            switch value.storage {
            case .string(let text):
                return try JSONDecoder().decode([String: String].self, from: Data(text.utf8))
            case .blob(let data):
                // The raw row is stored as what it adds to the normalised record (`RawRowCodec`).
                let normalized = try Self.normalized(row[1], key: key)
                let decoded: (columnSet: Int64, values: [String])
                do { decoded = try RawRowCodec.decode([UInt8](data), record: normalized) } catch { throw StoreError.corruptRecord }
                guard let text = try String.fetchOne(db, sql: "SELECT columns FROM column_set WHERE id = ?", arguments: [decoded.columnSet]) else {
                    throw StoreError.corruptRecord
                }
                let columns = try JSONDecoder().decode([String].self, from: Data(text.utf8))
                guard columns.count == decoded.values.count else { throw StoreError.corruptRecord }
                return Dictionary(uniqueKeysWithValues: zip(columns, decoded.values))
            default:
                throw StoreError.corruptRecord
            }
        }
    }

    /// The model of the latest link run, as JSON.
    public func latestModel() throws -> String? {
        try pool.read { db in try String.fetchOne(db, sql: "SELECT model FROM model_version ORDER BY id DESC LIMIT 1") }
    }

    /// A stored normalised record: the compact binary form, or JSON as the first stores wrote it.
    static func normalized(_ value: DatabaseValue, key: RecordKey) throws -> NormalizedRecord {
        switch value.storage {
        case .blob(let data):
            do { return try RecordCodec.decode([UInt8](data), key: key) } catch { throw StoreError.corruptRecord }
        case .string(let text):
            return try JSONDecoder().decode(NormalizedRecord.self, from: Data(text.utf8))
        default:
            throw StoreError.corruptRecord
        }
    }

    public enum StoreError: Error, CustomStringConvertible {
        case corruptRecord
        /// A person was given a record the store does not hold.
        case unknownRecord(RecordKey)
        /// The latest model or its settings cannot be decoded (written by a newer program, or damaged).
        case unreadableModel(String)
        public var description: String {
            switch self {
            case .corruptRecord: "a stored record cannot be read"
            case .unknownRecord(let key): "no record \(key) in the store"
            case .unreadableModel(let reason): "the store's latest model cannot be read (\(reason)); re-train it with `mpi link JOB --db DB --relink`"
            }
        }
    }

    /// The current time as ISO 8601 UTC ("2026-11-28T19:00:27Z"), as the audit trail and lineage store
    /// it. Formatted by hand: a formatter per call costs more than a lookup.
    static func now() -> String { timestamp(Date().timeIntervalSince1970) }

    /// The current time as whole seconds since 1970, as records store when they last changed.
    static func seconds() -> Int64 { Int64(Date().timeIntervalSince1970) }

    static func timestamp(_ secondsSince1970: Double) -> String {
        var seconds = time_t(secondsSince1970)
        var parts = tm()
        gmtime_r(&seconds, &parts)
        func two(_ value: Int32) -> String { value < 10 ? "0\(value)" : String(value) }
        return "\(parts.tm_year + 1900)-\(two(parts.tm_mon + 1))-\(two(parts.tm_mday))T\(two(parts.tm_hour)):\(two(parts.tm_min)):\(two(parts.tm_sec))Z"
    }

    static func json<T: Encodable>(_ value: T) throws -> String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        return String(decoding: try encoder.encode(value), as: UTF8.self)
    }

    // MARK: import

    /// Stores one source's records in one transaction: all of them or none. Unchanged records (same
    /// hash) are left alone; changed ones are updated; with `fullExtract`, active records of the source
    /// that the extract no longer holds are marked inactive (never deleted).
    public func importSource(code: String, records: [StoredRecord], fullExtract: Bool, actor: String) throws -> ImportSummary {
        let storedHashes = try pool.read { db in
            var hashes: [String: Int64] = [:]
            let rows = try Row.fetchCursor(db, sql: "SELECT record_id, content_hash FROM record WHERE source = ?", arguments: [code])
            while let row = try rows.next() { hashes[row[0]] = row[1] }
            return hashes
        }
        let prepared = PreparedRecord.prepare(records, storedHashes: storedHashes)
        return try pool.write { db in
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
        try pool.read { db in
            Set(try Row.fetchAll(db, sql: "SELECT source, record_id FROM record WHERE active = 1 AND needs_link = 1")
                .map { RecordKey(source: $0[0], recordId: $0[1]) })
        }
    }

    /// The normalised form of every active record.
    public func activeRecords() throws -> [NormalizedRecord] {
        try pool.read { db in
            var records: [NormalizedRecord] = []
            let rows = try Row.fetchCursor(db, sql: "SELECT source, record_id, normalized FROM record WHERE active = 1 ORDER BY source, record_id")
            while let row = try rows.next() { records.append(try Self.normalized(row[2], key: RecordKey(source: row[0], recordId: row[1]))) }
            return records
        }
    }

    // MARK: persons

    /// Applies a linkage's persons (groups of record keys) so that enterprise ids stay as stable as the
    /// data allows, in one transaction:
    /// - each group keeps the id most of its records already had (ties: the older id);
    /// - an id claimed by several groups stays with the group holding most of its records (a split);
    ///   the others keep their own best id or get a new one, recorded as split from it;
    /// - an id whose records all went to groups with other ids is retired into the id that took most of
    ///   them (a merge), and redirects there;
    /// - a group with no earlier id gets a new one (minted).
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
        try pool.write { db in
            var summary = LinkApplySummary(persons: groups.count)
            let now = Self.now(), nowSeconds = Self.seconds()
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
            var recordsOfOld: [Int64: [RecordKey]] = [:]
            for (key, id) in current { recordsOfOld[id, default: []].append(key) }
            var groupOfKey: [RecordKey: Int] = [:]
            for (index, group) in groups.enumerated() { for key in group { groupOfKey[key] = index } }

            // Overlaps between new groups and old ids, strongest first (older id breaks ties).
            var overlaps: [(group: Int, id: Int64, count: Int)] = []
            for (index, group) in groups.enumerated() {
                var counts: [Int64: Int] = [:]
                for key in group { if let id = current[key] { counts[id, default: 0] += 1 } }
                for (id, count) in counts { overlaps.append((index, id, count)) }
            }
            // Age decides only between ids that compete (one group overlapping several ids, or one id
            // several groups), so only theirs is looked up (`creationOrder`).
            var groupsOfId: [Int64: Int] = [:], idsOfGroup: [Int: Int] = [:]
            for overlap in overlaps { groupsOfId[overlap.id, default: 0] += 1; idsOfGroup[overlap.group, default: 0] += 1 }
            let competing = overlaps.filter { groupsOfId[$0.id]! > 1 || idsOfGroup[$0.group]! > 1 }.map(\.id)
            let order = try self.creationOrder(db, of: Set(competing))
            overlaps.sort { a, b in
                if a.count != b.count { return a.count > b.count }
                let oa = order[a.id] ?? .max, ob = order[b.id] ?? .max
                if oa != ob { return oa < ob }
                return (a.id, a.group) < (b.id, b.group)
            }
            var idOfGroup = [Int64?](repeating: nil, count: groups.count)
            var groupOfId: [Int64: Int] = [:]
            for overlap in overlaps where idOfGroup[overlap.group] == nil && groupOfId[overlap.id] == nil {
                idOfGroup[overlap.group] = overlap.id
                groupOfId[overlap.id] = overlap.group
            }

            // Every id the store has ever used, so a new one is never a reused one.
            // (An incremental run mints few: it asks the store about each rather than loading them all.)
            var usedIds = scope == nil ? Set(try Int64.fetchAll(db, sql: "SELECT enterprise_id FROM person")) : []
            let idExists = try db.cachedStatement(sql: "SELECT EXISTS (SELECT 1 FROM person WHERE enterprise_id = ?)")
            func isNew(_ id: Int64) throws -> Bool {
                guard usedIds.insert(id).inserted else { return false }
                guard scope != nil else { return true }
                return try Bool.fetchOne(idExists, arguments: [id]) == false
            }
            let insertPerson = try db.cachedStatement(sql: "INSERT INTO person (enterprise_id, minted_at) VALUES (?, ?)")
            let insertMint = try db.cachedStatement(sql: "INSERT INTO lineage (at, action, enterprise_id, model_version, reason) VALUES (?, 'mint', ?, ?, ?)")
            var generator = SystemRandomNumberGenerator()
            for index in groups.indices where idOfGroup[index] == nil {
                var id: Int64
                repeat { id = Int64(generator.next() & ((1 << 40) - 1)) } while !(try isNew(id))
                try insertPerson.execute(arguments: [id, nowSeconds])
                idOfGroup[index] = id
                // Minted for records that had another person: a split from that person, else new.
                let origins = Set(groups[index].compactMap { current[$0] })
                if origins.isEmpty {
                    try insertMint.execute(arguments: [entryTime, id, modelVersion, entryReason])
                    summary.minted += 1
                } else {
                    for origin in origins.sorted() {
                        try db.execute(sql: """
                            INSERT INTO lineage (at, action, enterprise_id, other_id, model_version, reason) VALUES (?, 'split', ?, ?, ?, ?)
                            """, arguments: [entryTime, id, origin, modelVersion, entryReason])
                    }
                    summary.split += 1
                }
            }
            summary.kept = groupOfId.count

            // Old ids no group kept: merged into the id that took most of their records.
            var retiredNow: [Int64: Int64] = [:]
            for (oldId, keys) in recordsOfOld.sorted(by: { $0.key < $1.key }) where groupOfId[oldId] == nil {
                var destinations: [Int64: Int] = [:]
                for key in keys {
                    if let group = groupOfKey[key], let target = idOfGroup[group] { destinations[target, default: 0] += 1 }
                }
                guard let target = destinations.max(by: { ($0.value, $1.key) < ($1.value, $0.key) })?.key else { continue }
                try db.execute(sql: "UPDATE person SET retired_into = ? WHERE enterprise_id = ?", arguments: [target, oldId])
                retiredNow[oldId] = target
                try db.execute(sql: """
                    INSERT INTO lineage (at, action, enterprise_id, other_id, model_version, reason) VALUES (?, 'merge', ?, ?, ?, ?)
                    """, arguments: [entryTime, target, oldId, modelVersion, entryReason])
                summary.merged += 1
            }

            let place = try db.cachedStatement(sql: "UPDATE record SET enterprise_id = ? WHERE source = ? AND record_id = ?")
            func assign(_ key: RecordKey, to id: Int64) throws {
                try place.execute(arguments: [id, key.source, key.recordId])
                guard db.changesCount == 1 else { throw StoreError.unknownRecord(key) }
            }
            for (index, group) in groups.enumerated() {
                let id = idOfGroup[index]!
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

    // MARK: lookups

    /// The person a source record belongs to, with all the person's records and NHS numbers.
    ///
    /// The lookup and its audit entry are one write transaction, with prepared statements and the
    /// entry's JSON written by hand: the lookup a lab system makes most often, kept well under 100 µs.
    public func resolve(source: String, recordId: String, actor: String) throws -> Resolution? {
        let resolution = try pool.read { db -> Resolution? in
            let membership = try db.cachedStatement(sql: "SELECT enterprise_id FROM record WHERE source = ? AND record_id = ?")
            guard let id = try Int64.fetchOne(membership, arguments: [source, recordId]) else { return nil }
            return try self.resolution(db, id: id, redirectedFrom: nil)
        }
        // The same text Self.json gives for ["enterpriseId", "recordId", "source"] (sorted keys).
        let detail = "{\"enterpriseId\":\(JSONText.quoted(resolution?.enterpriseId ?? "")),\"recordId\":\(JSONText.quoted(recordId)),"
            + "\"source\":\(JSONText.quoted(source))}"
        try lookups.append([(Date().timeIntervalSince1970, actor, "resolve", detail)])
        return resolution
    }

    /// The person with an enterprise id, following redirects from ids retired by merges.
    public func person(_ enterpriseId: EnterpriseID, actor: String) throws -> Resolution? {
        let resolution = try pool.read { db -> Resolution? in
            var id = Int64(enterpriseId.value)
            var redirectedFrom: String? = nil
            var hops = 0
            while let next = try Int64?.fetchOne(db, sql: "SELECT retired_into FROM person WHERE enterprise_id = ?", arguments: [id]) ?? nil {
                redirectedFrom = redirectedFrom ?? enterpriseId.description
                id = next
                hops += 1
                if hops > 100 { break }
            }
            guard try Bool.fetchOne(db, sql: "SELECT EXISTS (SELECT 1 FROM person WHERE enterprise_id = ?)", arguments: [id]) == true else {
                return nil
            }
            return try self.resolution(db, id: id, redirectedFrom: redirectedFrom)
        }
        try lookups.append([(Date().timeIntervalSince1970, actor, "person", try Self.json(["enterpriseId": resolution?.enterpriseId ?? enterpriseId.description]))])
        return resolution
    }

    func resolution(_ db: Database, id: Int64, redirectedFrom: String?) throws -> Resolution {
        let rows = try Row.fetchAll(db.cachedStatement(sql: """
            SELECT source, record_id, normalized FROM record WHERE enterprise_id = ? ORDER BY source, record_id
            """), arguments: [id])
        var nhs = Set<String>()
        for row in rows {
            if let record = try? Self.normalized(row[2], key: RecordKey(source: row[0], recordId: row[1])), let number = record.nhsNumber { nhs.insert(number.digits) }
        }
        return Resolution(enterpriseId: EnterpriseID(value: UInt64(id)).description, redirectedFrom: redirectedFrom,
                          records: rows.map { RecordKey(source: $0[0], recordId: $0[1]) }, nhsNumbers: nhs.sorted())
    }

    /// Every active record's person: (record, enterprise id).
    public func memberships() throws -> [RecordKey: EnterpriseID] {
        try pool.read { db in
            var result: [RecordKey: EnterpriseID] = [:]
            let rows = try Row.fetchCursor(db, sql: "SELECT source, record_id, enterprise_id FROM record WHERE enterprise_id IS NOT NULL")
            while let row = try rows.next() {
                result[RecordKey(source: row[0], recordId: row[1])] = EnterpriseID(value: UInt64(row[2] as Int64))
            }
            return result
        }
    }

    /// Audits a demographic search: how many candidates and the top person, never the demographics.
    public func recordSearch(candidates: Int, top: EnterpriseID?, actor: String) throws {
        try lookups.append([(Date().timeIntervalSince1970, actor, "search", try Self.json(["candidates": String(candidates), "enterpriseId": top?.description ?? ""]))])
    }

    // MARK: audit

    func audit(_ db: Database, actor: String, action: String, detail: String) throws {
        try db.cachedStatement(sql: "INSERT INTO audit (at, actor, action, detail) VALUES (?, ?, ?, ?)")
            .execute(arguments: [Self.now(), actor, action, detail])
    }

    public struct AuditEntry: Sendable, Hashable, Codable {
        public let at: String
        public let actor: String
        public let action: String
        public let detail: String
    }

    /// Audit entries at or after `since` (ISO 8601), optionally only those naming one enterprise id.
    /// Changes come from the store's `audit` table, lookups from the lookup log; merged in time order
    /// (changes first within one second).
    public func auditTrail(since: String? = nil, person: EnterpriseID? = nil) throws -> [AuditEntry] {
        let changes = try pool.read { db in
            try Row.fetchAll(db, sql: "SELECT at, actor, action, detail FROM audit WHERE at >= ? ORDER BY id", arguments: [since ?? ""])
                .map { AuditEntry(at: $0[0], actor: $0[1], action: $0[2], detail: $0[3]) }
        }
        let lookups = try lookups.entries(since: since ?? "")
        var merged: [AuditEntry] = []
        merged.reserveCapacity(changes.count + lookups.count)
        var change = changes.startIndex, lookup = lookups.startIndex
        while change < changes.endIndex || lookup < lookups.endIndex {
            if lookup == lookups.endIndex || (change < changes.endIndex && changes[change].at <= lookups[lookup].at) {
                merged.append(changes[change])
                change += 1
            } else {
                merged.append(lookups[lookup])
                lookup += 1
            }
        }
        return merged.filter { entry in person.map { entry.detail.contains($0.description) } ?? true }
    }

    public struct LineageEntry: Sendable, Hashable, Codable {
        public let at: String
        public let action: String
        public let enterpriseId: String
        public let otherId: String?
        public let modelVersion: Int64?
        public let reason: String
    }

    /// Everything that happened to a person's id: minted, merged into or from, split from or into.
    public func history(_ id: EnterpriseID) throws -> [LineageEntry] {
        try pool.read { db in
            try Row.fetchAll(db, sql: """
                SELECT CASE l.at WHEN '' THEN v.created_at ELSE l.at END, l.action, l.enterprise_id, l.other_id, l.model_version,
                       CASE l.reason WHEN '' THEN coalesce(v.reason, '') ELSE l.reason END
                FROM lineage l LEFT JOIN model_version v ON v.id = l.model_version
                WHERE l.enterprise_id = ? OR l.other_id = ? ORDER BY l.id
                """, arguments: [Int64(id.value), Int64(id.value)]).map { row in
                LineageEntry(at: row[0], action: row[1], enterpriseId: EnterpriseID(value: UInt64(row[2] as Int64)).description,
                             otherId: (row[3] as Int64?).map { EnterpriseID(value: UInt64($0)).description }, modelVersion: row[4],
                             reason: row[5])
            }
        }
    }

    /// SQLite's integrity check of the store and of its lookup log: "ok" when both are sound.
    public func integrityCheck() throws -> String {
        let store = try pool.read { db in try String.fetchOne(db, sql: "PRAGMA integrity_check") ?? "" }
        let log = try lookups.integrityCheck()
        return log == "ok" ? store : "\(store); lookup log: \(log)"
    }
}

/// JSON string literals written by hand, for audit entries on hot paths.
enum JSONText {
    /// The value as a JSON string literal, as JSONEncoder writes it (quotes, backslashes and control
    /// characters escaped; "/" escaped too, as Foundation's encoder does).
    static func quoted(_ value: String) -> String {
        var text = "\""
        for scalar in value.unicodeScalars {
            switch scalar {
            case "\"": text += "\\\""
            case "\\": text += "\\\\"
            case "/": text += "\\/"
            case "\n": text += "\\n"
            case "\r": text += "\\r"
            case "\t": text += "\\t"
            case "\u{08}": text += "\\b"
            case "\u{0C}": text += "\\f"
            case _ where scalar.value < 0x20:
                let hex = String(scalar.value, radix: 16)
                text += "\\u" + String(repeating: "0", count: 4 - hex.count) + hex
            default: text.unicodeScalars.append(scalar)
            }
        }
        return text + "\""
    }
}
