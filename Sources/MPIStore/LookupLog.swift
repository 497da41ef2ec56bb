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
        if try !pool.read({ try migrator.hasCompletedMigrations($0) }) { try migrator.migrate(pool) }
    }

    func append(_ entries: [(at: String, actor: String, action: String, detail: String)]) throws {
        guard !entries.isEmpty else { return }
        try pool.write { db in
            let insert = try db.cachedStatement(sql: "INSERT INTO lookup (at, actor, action, detail) VALUES (?, ?, ?, ?)")
            for entry in entries { try insert.execute(arguments: [entry.at, entry.actor, entry.action, entry.detail]) }
        }
    }

    func entries(since: String) throws -> [IdentityStore.AuditEntry] {
        try pool.read { db in
            try Row.fetchAll(db, sql: "SELECT at, actor, action, detail FROM lookup WHERE at >= ? ORDER BY at, id", arguments: [since])
                .map { IdentityStore.AuditEntry(at: $0[0], actor: $0[1], action: $0[2], detail: $0[3]) }
        }
    }

    func integrityCheck() throws -> String {
        try pool.read { db in try String.fetchOne(db, sql: "PRAGMA integrity_check") ?? "" }
    }
}
