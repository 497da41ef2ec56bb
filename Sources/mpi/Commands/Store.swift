import ArgumentParser
import Foundation
import MPICore
import MPILinkage
import MPINormalize
import MPIStore
import MPIStorePostgres

/// Options every store command shares.
struct StoreOptions: ParsableArguments {
    @Option(help: ArgumentHelp("The identity store: a SQLite file, or postgres://user@host:port/dbname (default: $MPI_DATABASE_URL, else mpi.sqlite).",
                               discussion: "`mpi import` creates it; other commands need it to exist."))
    var db: String = StoreOptions.defaultLocation

    @Option(help: "Who is acting, for the audit trail. Default: the login name.")
    var actor: String = ProcessInfo.processInfo.environment["USER"] ?? "unknown"

    /// `$MPI_DATABASE_URL` when set, so a PostgreSQL password need not be typed on a command line
    /// (where `ps` shows it to every user of the machine).
    static var defaultLocation: String { ProcessInfo.processInfo.environment["MPI_DATABASE_URL"] ?? "mpi.sqlite" }

    /// The store's location as messages show it: a PostgreSQL URL without its password.
    var shown: String { Self.shown(db) }

    static func shown(_ db: String) -> String {
        guard PostgresLocation.isURL(db) else { return db }
        return (try? PostgresLocation(url: db))?.description ?? "postgres://(a URL that does not read)"
    }

    /// Opens an existing store: a mistyped path must be an error, not a new empty store that answers
    /// "unknown" to every question.
    func open() throws -> any IdentityBackend { try Self.openExisting(db) }

    static func openExisting(_ db: String, durableCommits: Bool = false) throws -> any IdentityBackend {
        if PostgresLocation.isURL(db) { return try openPostgres(db, create: false) }
        guard FileManager.default.fileExists(atPath: db) else {
            throw CLIError("no identity store at \(db): check --db, or create one with `mpi import JOB --db \(db)`")
        }
        do {
            return try IdentityStore(path: db, durableCommits: durableCommits)
        } catch {
            throw CLIError("cannot open the identity store \(db): \(error)")
        }
    }

    /// Opens the store, creating it when missing (`mpi import`).
    func openOrCreate() throws -> any IdentityBackend { try Self.openOrCreate(db) }

    static func openOrCreate(_ db: String) throws -> any IdentityBackend {
        if PostgresLocation.isURL(db) { return try openPostgres(db, create: true) }
        do {
            return try IdentityStore(path: db)
        } catch {
            throw CLIError("cannot open the identity store \(db): \(error)")
        }
    }

    /// A PostgreSQL store. Its durability is the server's (`synchronous_commit`), not a flag of ours.
    static func openPostgres(_ db: String, create: Bool) throws -> PostgresIdentityStore {
        let location: PostgresLocation
        do { location = try PostgresLocation(url: db) } catch { throw CLIError("\(error)") }
        do {
            return try PostgresIdentityStore(location: location, create: create)
        } catch {
            throw CLIError("cannot open the identity store \(location): \(error)")
        }
    }
}

extension MPI {
    struct Import: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Load a job's extracts into the identity store.",
            discussion: """
            Each identifier domain (a source's code) is stored in one transaction: all of it or none. When \
            the job has several feeds of one domain, they are read together and the first feed listed keeps \
            a record id both carry. A re-import of the same extracts changes nothing; changed records (same \
            key, new content) are updated; with --full, records missing from all of a domain's extracts are \
            marked inactive (never deleted). Rejected values are counted here and listed with --rejects.
            """
        )

        @Argument(help: "The linkage job file (JSON); its sources are imported.")
        var job: String

        @OptionGroup var store: StoreOptions

        @Flag(help: "Each extract is a full extract: records it no longer holds become inactive.")
        var full = false

        @Option(help: "Write every rejected value and row to this CSV file.")
        var rejects: String?

        @Flag(help: "No progress lines on standard error.")
        var quiet = false

        func run() async throws {
            let linkageJob = try JobFile.load(job)
            let identityStore = try store.openOrCreate()
            let directory = URL(fileURLWithPath: job).deletingLastPathComponent()
            let progress = Progress(quiet: quiet)
            var added = 0, changed = 0, unchanged = 0, markedInactive = 0
            var totalRows = 0, totalRejected = 0
            var rejectWriter = try rejects.map { try CSVWriter(path: $0, header: ["source", "line", "record_id", "field", "code", "reason"]) }
            for domain in DomainReading.domains(of: linkageJob) {
                let read = try await DomainReading(domain: domain, job: linkageJob, jobDirectory: directory, today: .today).read(
                    starting: { feed, extract in progress.line("\(feed): reading \(extract.path)") },
                    reject: { reject in
                        rejectWriter?.write([reject.feed, String(reject.line), reject.recordId, reject.field, reject.code, reject.reason])
                    })
                let (records, rows, rejected) = (read.records, read.rows, read.rejected)
                progress.line("\(domain): storing \(records.count) records in one transaction")
                let stored = try identityStore.importSource(code: domain, records: records, fullExtract: full, actor: store.actor)
                print("\(domain): \(rows) rows; \(stored.added) added, \(stored.changed) changed, \(stored.unchanged) unchanged, "
                      + "\(stored.markedInactive) marked inactive, \(stored.reactivated) reactivated; \(rejected) values or rows rejected")
                added += stored.added
                changed += stored.changed
                unchanged += stored.unchanged
                markedInactive += stored.markedInactive
                totalRows += rows
                totalRejected += rejected
            }
            try rejectWriter?.close()
            let rejectList = rejects.map { " (listed in \($0))" } ?? " (list them with --rejects FILE)"
            let counts = "\(added) added, \(changed) changed, \(unchanged) unchanged, \(markedInactive) marked inactive"
            progress.line("imported \(totalRows) rows from \(linkageJob.sources.count) sources into \(store.shown): \(counts); "
                          + "\(totalRejected) values or rows rejected\(rejectList); next: mpi link \(job) --db \(store.shown) --out DIR")
        }
    }

    struct Resolve: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Who is this? The person a source record belongs to, and all the person's identifiers."
        )

        @Option(help: "The source's code, e.g. R1K.")
        var source: String

        @Option(help: "The source's record id (hospital number).")
        var id: String

        @OptionGroup var store: StoreOptions

        @Flag(help: "Print JSON.")
        var json = false

        func run() async throws {
            guard let resolution = try store.open().resolve(source: source, recordId: id, actor: store.actor) else {
                throw CLIError("no record \(source) \(id) in \(store.shown)")
            }
            try PersonPrinter.print(resolution, json: json)
        }
    }

    /// `mpi person show ID`; `mpi person ID` says the same.
    struct Person: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "person",
            abstract: "Show a person by enterprise id, following redirects from ids retired by merges.",
            subcommands: [PersonShow.self],
            defaultSubcommand: PersonShow.self
        )
    }

    struct PersonShow: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "show",
            abstract: "Show a person by enterprise id, following redirects from ids retired by merges."
        )

        @Argument(help: "The enterprise id, e.g. 7K3M-PX9Q-4 (the last character is a check symbol).")
        var enterpriseId: String

        @OptionGroup var store: StoreOptions

        @Flag(help: "Print JSON.")
        var json = false

        func run() async throws {
            guard let id = EnterpriseID(enterpriseId) else {
                throw CLIError("\(enterpriseId) is not an enterprise id: wrong length, character or check symbol")
            }
            guard let resolution = try store.open().person(id, actor: store.actor) else {
                throw CLIError("no person \(id) in \(store.shown)")
            }
            try PersonPrinter.print(resolution, json: json)
        }
    }
}

enum PersonPrinter {
    static func print(_ resolution: Resolution, json: Bool) throws {
        if json {
            try printJSON(resolution)
            return
        }
        Swift.print("person      \(resolution.enterpriseId)" + (resolution.redirectedFrom.map { "  (redirected from \($0), retired by a merge)" } ?? ""))
        Swift.print("NHS number  \(resolution.nhsNumbers.isEmpty ? "none" : resolution.nhsNumbers.joined(separator: ", "))")
        var table = TextTable(columns: ["source", "record id"])
        for key in resolution.records { table.add([key.source, key.recordId]) }
        Swift.print(table.render())
    }
}

extension MPI {
    struct History: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "The lineage of an enterprise id: minted, merged, split.")

        @Argument(help: "The enterprise id.")
        var enterpriseId: String

        @OptionGroup var store: StoreOptions

        func run() async throws {
            guard let id = EnterpriseID(enterpriseId) else {
                throw CLIError("\(enterpriseId) is not an enterprise id: wrong length, character or check symbol")
            }
            let entries = try store.open().history(id)
            var table = TextTable(columns: ["when", "what", "id", "other id", "model", "reason"])
            for entry in entries {
                let what = switch entry.action {
                case "merge": "merged (other retired into id)"
                case "split": "split (id from other)"
                default: "minted"
                }
                table.add([entry.at, what, entry.enterpriseId, entry.otherId ?? "", entry.modelVersion.map(String.init) ?? "", entry.reason])
            }
            print(entries.isEmpty ? "No lineage for \(id)." : table.render())
        }
    }

    struct Status: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "What the identity store holds: records, persons, the review queue, the last link run; counts only.")

        @OptionGroup var store: StoreOptions

        @Flag(help: "Print JSON.")
        var json = false

        func run() async throws {
            let status = try store.open().status()
            if json {
                try printJSON(status)
                return
            }
            func count(_ value: Int) -> String { value.formatted(.number.grouping(.automatic)) }
            func megabytes(_ bytes: Int64) -> String { String(format: "%.1f MB", Double(bytes) / 1_000_000) }
            let lines = [
                ("store", "\(store.shown), \(megabytes(status.storeBytes)); lookup log \(megabytes(status.lookupLogBytes))"),
                ("records", "\(count(status.activeRecords)) active, \(count(status.inactiveRecords)) inactive"),
                ("waiting to be linked", count(status.waitingToBeLinked)),
                ("without link keys", count(status.withoutLinkKeys) + (status.withoutLinkKeys > 0 ? " (the next link run computes them)" : "")),
                ("persons", "\(count(status.persons)); \(count(status.retiredIds)) retired ids redirect to them"),
                ("review queue", "\(count(status.reviewItems)) items; \(count(status.decisions)) steward decisions"),
                ("last link run", status.latestModelVersion.map { "model version \($0) at \(status.latestLinkRunAt ?? "")" } ?? "none yet"),
                ("outbox", "\(count(Int(status.outboxEntries))) identity changes written"),
            ] + status.subscribers.map { subscriber in
                ("  to \(subscriber.subscriber)", "sent through \(subscriber.deliveredThrough); \(count(subscriber.waiting)) waiting; "
                    + "\(count(subscriber.parked)) parked" + (subscriber.parked > 0 ? " (mpi outbox list)" : ""))
            }
            let width = lines.map(\.0.count).max() ?? 0
            for (label, value) in lines { print(label + String(repeating: " ", count: width - label.count + 2) + value) }
        }
    }

    struct Audit: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Read the audit trail: who did what, when, to which ids.")

        @Option(help: "Only entries at or after this time (ISO 8601, e.g. 2026-11-28 or 2026-11-28T09:00:00Z).")
        var since: String?

        @Option(help: "Only entries naming this enterprise id.")
        var person: String?

        @OptionGroup var store: StoreOptions

        @Flag(help: "Print JSON.")
        var json = false

        func run() async throws {
            let id = try person.map { text -> EnterpriseID in
                guard let id = EnterpriseID(text) else { throw CLIError("\(text) is not an enterprise id") }
                return id
            }
            let entries = try store.open().auditTrail(since: since, person: id)
            if json {
                try printJSON(entries)
                return
            }
            var table = TextTable(columns: ["when", "who", "what", "detail"])
            for entry in entries { table.add([entry.at, entry.actor, entry.action, entry.detail]) }
            print(table.render())
        }
    }
}

extension MPI {
    struct Migrate: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Upgrade a PostgreSQL identity store's schema to this program's (or create it in an empty database).",
            discussion: """
            Every command checks the store's schema when it opens it: a schema newer than the program is \
            refused (upgrade the program), and an older one is refused until this command upgrades it, so an \
            upgrade is always a decision and never the side effect of a service restarting. Each migration \
            runs in one transaction; two `mpi migrate` at once take turns. A SQLite store upgrades itself when \
            opened, as it always has.
            """
        )

        @Option(help: "The PostgreSQL store: postgres://user@host:port/dbname (default: $MPI_DATABASE_URL).")
        var db: String = StoreOptions.defaultLocation

        func run() async throws {
            guard PostgresLocation.isURL(db) else {
                throw CLIError("\(db) is not a postgres:// URL; a SQLite store upgrades itself when opened")
            }
            let location: PostgresLocation
            do { location = try PostgresLocation(url: db) } catch { throw CLIError("\(error)") }
            let applied: [String]
            do { applied = try PostgresIdentityStore.migrate(location) } catch { throw CLIError("cannot migrate \(location): \(error)") }
            if applied.isEmpty {
                print("\(location): the schema is up to date")
            } else {
                for name in applied { print("\(location): applied \(name)") }
            }
        }
    }
}

extension MPI {
    struct Copy: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Copy a whole identity store to another backend: SQLite to PostgreSQL, or back.",
            discussion: """
            Every table moves as it is: records as received and normalised, persons and their enterprise \
            ids, lineage, model versions, review items, steward decisions, the audit trail (lookups \
            included) and the outbox with each subscriber's place. The destination must be empty (a new \
            file, or a database that holds no store or an empty one); it is written in one transaction, so a \
            copy that fails leaves it empty. The row counts of both are compared after, table by table.
            """
        )

        @Option(help: "The store to copy: a SQLite file or a postgres:// URL.")
        var from: String

        @Option(help: "The new store: a SQLite file or a postgres:// URL (created; must be empty).")
        var to: String

        func run() async throws {
            let source = try StoreOptions.openExisting(from)
            let destination = try StoreOptions.openOrCreate(to)
            guard let source = source as? any StoreTableCopying, let destination = destination as? any StoreTableCopying else {
                throw CLIError("these stores cannot be copied table by table")
            }
            var clock = Stopwatch()
            let result: StoreCopy.Result
            do {
                result = try StoreCopy.copy(from: source, to: destination) { table, rows in StandardError.write("\(table): \(rows) rows\n") }
            } catch {
                throw CLIError("the copy failed and \(StoreOptions.shown(to)) was left as it was: \(error)")
            }
            let (before, after) = (result.source, result.destination)
            var table = TextTable(columns: ["table", "rows in \(StoreOptions.shown(from))", "rows in \(StoreOptions.shown(to))"])
            for name in StoreTable.all.map(\.name) { table.add([name, String(before[name] ?? 0), String(after[name] ?? 0)]) }
            print(table.render())
            guard result.complete else { throw CLIError("the row counts differ: the copy is not complete") }
            print(String(format: "copied in %.1f s; every table's rows counted on both sides and equal", clock.lap()))
        }
    }
}
