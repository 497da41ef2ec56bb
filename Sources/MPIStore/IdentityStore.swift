internal import Foundation
public import MPICore
internal import GRDB
import Synchronization

/// The identity store on SQLite (WAL mode, foreign keys on, named migrations). GRDB stays inside this
/// type: its API speaks in the core's values, so a second backend (PostgreSQL) can implement the same
/// operations without touching the core or the commands.
public final class IdentityStore: Sendable {

    let pool: DatabasePool
    let lookups: LookupLog

    /// How long a change waits for another process's write (a link run applying its persons) before
    /// it gives up with "database is locked". Reads and lookups never wait (see `LookupLog`).
    public static let writeWaitSeconds = 60.0

    /// Every file a store at `path` may have on disk: the database, the lookup log beside it
    /// (`-lookups`), SQLite's write-ahead log and shared-memory file of each, and the lock files of
    /// replicas sharing it. Removing a store
    /// (a scratch copy, a test's) means removing all of them.
    public static func files(at path: String) -> [String] {
        [path, LookupLog.path(besides: path)].flatMap { [$0, $0 + "-wal", $0 + "-shm"] } + [registrationLockPath(besides: path)]
            + deliveryLockFiles(besides: path)
    }

    /// Removes every file of the store at `path` (`files(at:)`) that exists.
    public static func remove(at path: String) {
        for file in files(at: path) { try? FileManager.default.removeItem(atPath: file) }
    }

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
        do {
            pool = try DatabasePool(path: path, configuration: configuration)
            if try !pool.read({ try Self.migrator.hasCompletedMigrations($0) }) { try Self.migrator.migrate(pool) }
            lookups = try LookupLog(storePath: path)
        } catch {
            throw StoreError(wrapping: error)
        }
    }

    /// A read transaction (a consistent snapshot); database errors come out as `StoreError`.
    func reading<Value>(_ body: (Database) throws -> Value) throws -> Value {
        do { return try pool.read(body) } catch { throw StoreError(wrapping: error) }
    }

    /// A write transaction: all of `body` or none of it; database errors come out as `StoreError`.
    func writing<Value>(_ body: (Database) throws -> Value) throws -> Value {
        do { return try pool.write(body) } catch { throw StoreError(wrapping: error) }
    }

    func writingWithoutTransaction<Value>(_ body: (Database) throws -> Value) throws -> Value {
        do { return try pool.writeWithoutTransaction(body) } catch { throw StoreError(wrapping: error) }
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
        migrator.registerMigration("v11 outbox of identity changes") { db in
            // Written in the transaction of the change it records (IdentityStore+Outbox.swift); the
            // service sends each entry to each subscriber and keeps the subscriber's place here.
            try db.execute(sql: """
                CREATE TABLE outbox (
                    sequence INTEGER PRIMARY KEY AUTOINCREMENT,
                    at TEXT NOT NULL,
                    event TEXT NOT NULL CHECK (event IN ('created', 'merged', 'split', 'updated', 'linked', 'unlinked')),
                    enterprise_id INTEGER NOT NULL,
                    other_id INTEGER,
                    cause TEXT NOT NULL,
                    actor TEXT NOT NULL,
                    records TEXT NOT NULL
                );
                CREATE TABLE outbox_subscriber (name TEXT PRIMARY KEY, delivered_through INTEGER NOT NULL);
                CREATE TABLE outbox_parked (
                    subscriber TEXT NOT NULL,
                    sequence INTEGER NOT NULL,
                    control_id TEXT NOT NULL,
                    at TEXT NOT NULL,
                    reason TEXT NOT NULL,
                    retry INTEGER NOT NULL DEFAULT 0,
                    PRIMARY KEY (subscriber, sequence)
                );
                """)
        }
        return migrator
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

    /// The current time as ISO 8601 UTC ("2026-11-28T19:00:27Z"), as the audit trail and lineage store
    /// it. Formatted by hand: a formatter per call costs more than a lookup.
    package static func now() -> String { timestamp(Date().timeIntervalSince1970) }

    /// The current time as whole seconds since 1970, as records store when they last changed.
    package static func seconds() -> Int64 { Int64(Date().timeIntervalSince1970) }

    package static func timestamp(_ secondsSince1970: Double) -> String {
        var seconds = time_t(secondsSince1970)
        var parts = tm()
        gmtime_r(&seconds, &parts)
        func two(_ value: Int32) -> String { value < 10 ? "0\(value)" : String(value) }
        return "\(parts.tm_year + 1900)-\(two(parts.tm_mon + 1))-\(two(parts.tm_mday))T\(two(parts.tm_hour)):\(two(parts.tm_min)):\(two(parts.tm_sec))Z"
    }

    package static func json<T: Encodable>(_ value: T) throws -> String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        return String(decoding: try encoder.encode(value), as: UTF8.self)
    }

    /// The file two processes serving one store lock to decide registrations in turn
    /// (`whileDecidingRegistration`). A lock on a file of its own: SQLite's own locks are POSIX locks
    /// on the database, which closing any other descriptor of that file would drop.
    static func registrationLockPath(besides path: String) -> String { path + "-registration-lock" }

    /// Holds an exclusive `flock` on the store's registration lock file while `body` runs: two
    /// `mpi serve --replica` on one SQLite file decide registrations in turn, as on PostgreSQL.
    public func whileDecidingRegistration<Value>(_ body: () throws -> Value) throws -> Value {
        let descriptor = open(Self.registrationLockPath(besides: pool.path), O_RDWR | O_CREAT | O_CLOEXEC, 0o644)
        guard descriptor >= 0 else { throw StoreError.cannotWrite("cannot open the registration lock file (errno \(errno))") }
        defer { close(descriptor) }   // closing releases the lock
        while flock(descriptor, LOCK_EX) != 0 {
            guard errno == EINTR else { throw StoreError.cannotWrite("cannot lock the registration lock file (errno \(errno))") }
        }
        return try body()
    }

    /// SQLite's integrity check of the store and of its lookup log: "ok" when both are sound.
    public func integrityCheck() throws -> String {
        let store = try reading { db in try String.fetchOne(db, sql: "PRAGMA integrity_check") ?? "" }
        let log = try lookups.integrityCheck()
        return log == "ok" ? store : "\(store); lookup log: \(log)"
    }
}

/// JSON string literals written by hand, for audit entries on hot paths.
package enum JSONText {
    /// The value as a JSON string literal, as JSONEncoder writes it (quotes, backslashes and control
    /// characters escaped; "/" escaped too, as Foundation's encoder does).
    package static func quoted(_ value: String) -> String {
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

extension StoreError {
    /// The store's error for any failure inside it: its own errors as they are, the database's mapped
    /// to what a caller can do about them.
    init(wrapping error: any Error) {
        if let error = error as? StoreError { self = error; return }
        guard let error = error as? DatabaseError else { self = .database(String(describing: error)); return }
        let message = error.message ?? String(describing: error.resultCode)
        switch error.resultCode.primaryResultCode {
        case .SQLITE_BUSY, .SQLITE_LOCKED: self = .busy
        case .SQLITE_FULL, .SQLITE_READONLY, .SQLITE_CANTOPEN, .SQLITE_PERM, .SQLITE_IOERR: self = .cannotWrite(message)
        case .SQLITE_CORRUPT, .SQLITE_NOTADB: self = .damaged(message)
        default: self = .database(message)
        }
    }
}
