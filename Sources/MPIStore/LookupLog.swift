import Foundation
internal import GRDB

/// The audit entries of lookups (resolve, person, search, and the lookup service's), kept in a file of
/// their own beside the store: `mpi.sqlite-lookups` for `mpi.sqlite`.
///
/// SQLite lets one process write a database file at a time, and a link run holds the store's write
/// lock for as long as it applies its persons (seconds for an incremental run, most of a minute for a
/// first run over a million records). If a lookup's audit entry went into the store, every lookup
/// during that time would wait or fail. In their own file, lookups read the store (WAL readers never
/// wait) and write their entry where no link run writes. Changes (imports, link runs, decisions,
/// registrations, merges) stay in the store's `audit` table, in the same transaction as the change.
final class LookupLog: Sendable {
    let pool: DatabasePool

    static func path(besides storePath: String) -> String { storePath + "-lookups" }

    init(storePath: String) throws {
        var configuration = Configuration()
        configuration.busyMode = .timeout(5)   // only other lookups write here, each for microseconds
        configuration.prepareDatabase { db in try db.execute(sql: "PRAGMA synchronous = NORMAL") }
        pool = try DatabasePool(path: Self.path(besides: storePath), configuration: configuration)
        var migrator = DatabaseMigrator()
        migrator.registerMigration("v1 lookups") { db in
            try db.execute(sql: """
                CREATE TABLE lookup (id INTEGER PRIMARY KEY AUTOINCREMENT, at TEXT NOT NULL, actor TEXT NOT NULL,
                                     action TEXT NOT NULL, detail TEXT NOT NULL)
                """)
        }
        migrator.registerMigration("v2 lookups by time") { db in
            // `mpi audit --since` reads a day out of months of lookups without scanning them all.
            try db.execute(sql: "CREATE INDEX lookup_by_time ON lookup(at)")
        }
        migrator.registerMigration("v3 lookups keyed by time") { db in
            // The row id is the entry's time in microseconds since 1970, or one more than the last id when
            // that is larger (two entries in one microsecond, a clock set back): never less than the
            // entry's time, and in time order. `--since` then reads a range of the table, and a lookup's
            // commit writes one page where the index on time and AUTOINCREMENT's counter made it three
            // (the audited resolve took 110 µs with them, 61 µs without).
            try db.execute(sql: """
                CREATE TABLE lookup_keyed_by_time (id INTEGER PRIMARY KEY, at TEXT NOT NULL, actor TEXT NOT NULL,
                                                   action TEXT NOT NULL, detail TEXT NOT NULL)
                """)
            // Earlier entries: their second, and their old id below a million to keep them apart.
            try db.execute(sql: """
                INSERT INTO lookup_keyed_by_time (id, at, actor, action, detail)
                SELECT coalesce(CAST(strftime('%s', at) AS INTEGER), 0) * 1000000 + id % 1000000, at, actor, action, detail FROM lookup
                """)
            try db.execute(sql: "DROP TABLE lookup")
            try db.execute(sql: "ALTER TABLE lookup_keyed_by_time RENAME TO lookup")
        }
        if try !pool.read({ try migrator.hasCompletedMigrations($0) }) { try migrator.migrate(pool) }
    }

    /// Appends entries, each at its time (seconds since 1970), in one transaction.
    func append(_ entries: [(time: Double, actor: String, action: String, detail: String)]) throws {
        guard !entries.isEmpty else { return }
        try pool.write { db in
            let insert = try db.cachedStatement(sql: """
                INSERT INTO lookup (id, at, actor, action, detail)
                VALUES (max(?1, coalesce((SELECT max(id) FROM lookup), 0) + 1), ?2, ?3, ?4, ?5)
                """)
            for entry in entries {
                try insert.execute(arguments: [Int64(entry.time * 1_000_000), IdentityStore.timestamp(entry.time), entry.actor,
                                               entry.action, entry.detail])
            }
        }
    }

    func entries(since: String) throws -> [AuditEntry] {
        try pool.read { db in
            try Row.fetchAll(db, sql: "SELECT at, actor, action, detail FROM lookup WHERE id >= ? AND at >= ? ORDER BY at, id",
                             arguments: [Self.earliestMicroseconds(since: since), since])
                .map { AuditEntry(at: $0[0], actor: $0[1], action: $0[2], detail: $0[3]) }
        }
    }

    /// A time, in microseconds since 1970, no later than any entry whose timestamp text sorts at or after
    /// `since`: the moment "2026-11-28", "2026-11-28T09", "2026-11-28T09:30" or "2026-11-28T09:30:15Z"
    /// names (the parts after the first that does not read are left at their least). 0, so every entry
    /// is read, when not even the date reads.
    static func earliestMicroseconds(since: String) -> Int64 {
        let halves = since.split(separator: "T", maxSplits: 1, omittingEmptySubsequences: false)
        let date = halves[0].split(separator: "-", omittingEmptySubsequences: false)
        guard date.count == 3, date[0].count == 4, date[1].count == 2, date[2].count == 2,
              let year = Int(date[0]), let month = Int(date[1]), let day = Int(date[2]),
              (1...12).contains(month), (1...31).contains(day) else { return 0 }
        var clock = [0, 0, 0]
        let limits = [23, 59, 59]
        if halves.count == 2 {
            for (index, part) in halves[1].prefix(8).split(separator: ":", omittingEmptySubsequences: false).prefix(3).enumerated() {
                guard part.count == 2, let value = Int(part), (0...limits[index]).contains(value) else { break }
                clock[index] = value
            }
        }
        var parts = tm()
        parts.tm_year = Int32(year - 1900)
        parts.tm_mon = Int32(month - 1)
        parts.tm_mday = Int32(day)
        parts.tm_hour = Int32(clock[0])
        parts.tm_min = Int32(clock[1])
        parts.tm_sec = Int32(clock[2])
        let seconds = timegm(&parts)
        return seconds < 0 ? 0 : Int64(seconds) * 1_000_000
    }

    func integrityCheck() throws -> String {
        try pool.read { db in try String.fetchOne(db, sql: "PRAGMA integrity_check") ?? "" }
    }
}
