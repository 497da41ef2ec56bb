internal import MPICore

/// One value of a stored row, in the few types both backends share.
public enum StoreCell: Sendable, Hashable {
    case null
    case integer(Int64)
    case real(Double)
    case text(String)
    case bytes([UInt8])
}

/// A table of the identity store as both backends hold it, for moving a whole store from one to the
/// other (`mpi copy`): the same tables, columns and meanings; only the types differ (SQLite's
/// integers for flags are PostgreSQL's booleans, its blobs PostgreSQL's bytea).
public struct StoreTable: Sendable, Hashable {
    public enum Kind: Sendable, Hashable { case integer, real, text, bytes, boolean }

    public let name: String
    public let columns: [(name: String, kind: Kind)]
    /// The column an identity (autoincrement) sequence fills, to move past the copied ids.
    public let identity: String?
    /// The primary key's columns: rows are read in this order.
    public let key: String

    init(name: String, columns: [(name: String, kind: Kind)], identity: String?, key: String? = nil) {
        self.name = name
        self.columns = columns
        self.identity = identity
        self.key = key ?? identity ?? columns[0].name
    }

    public var columnNames: [String] { columns.map(\.name) }

    public static func == (a: StoreTable, b: StoreTable) -> Bool { a.name == b.name }
    public func hash(into hasher: inout Hasher) { hasher.combine(name) }

    /// Every table, in an order that respects the foreign keys (a row's references are copied first).
    public static let all: [StoreTable] = [
        StoreTable(name: "source", columns: [("code", .text), ("first_seen", .text)], identity: nil),
        StoreTable(name: "column_set", columns: [("id", .integer), ("columns", .text)], identity: "id"),
        StoreTable(name: "person", columns: [("enterprise_id", .integer), ("minted_at", .integer), ("retired_into", .integer)],
                   identity: nil),
        StoreTable(name: "record", columns: [
            ("source", .text), ("record_id", .text), ("raw", .bytes), ("normalized", .bytes), ("content_hash", .integer),
            ("active", .boolean), ("needs_link", .boolean), ("changed_at", .integer), ("link_keys", .bytes), ("enterprise_id", .integer),
        ], identity: nil, key: "source, record_id"),
        StoreTable(name: "model_version", columns: [("id", .integer), ("created_at", .text), ("model", .text), ("settings", .text),
                                                    ("reason", .text)], identity: "id"),
        StoreTable(name: "lineage", columns: [("id", .integer), ("at", .text), ("action", .text), ("enterprise_id", .integer),
                                              ("other_id", .integer), ("model_version", .integer), ("reason", .text)], identity: "id"),
        StoreTable(name: "audit", columns: [("id", .integer), ("at", .text), ("actor", .text), ("action", .text), ("detail", .text)],
                   identity: "id"),
        StoreTable(name: "lookup", columns: [("id", .integer), ("at", .text), ("actor", .text), ("action", .text), ("detail", .text)],
                   identity: "id"),
        StoreTable(name: "review_item", columns: [
            ("id", .integer), ("model_version", .integer), ("source_l", .text), ("record_id_l", .text), ("source_r", .text),
            ("record_id_r", .text), ("match_weight", .real), ("probability", .real), ("reason", .text),
        ], identity: "id"),
        StoreTable(name: "decision", columns: [
            ("id", .integer), ("at", .text), ("steward", .text), ("source_l", .text), ("record_id_l", .text), ("source_r", .text),
            ("record_id_r", .text), ("decision", .text), ("reason", .text),
        ], identity: "id"),
        StoreTable(name: "outbox", columns: [
            ("sequence", .integer), ("at", .text), ("event", .text), ("enterprise_id", .integer), ("other_id", .integer),
            ("cause", .text), ("actor", .text), ("records", .text),
        ], identity: "sequence"),
        StoreTable(name: "outbox_subscriber", columns: [("name", .text), ("delivered_through", .integer)], identity: nil),
        StoreTable(name: "outbox_parked", columns: [
            ("subscriber", .text), ("sequence", .integer), ("control_id", .text), ("at", .text), ("reason", .text), ("retry", .boolean),
        ], identity: nil, key: "subscriber, sequence"),
    ]
}

/// A store whose tables can be read and written whole (`mpi copy`). Flags come out as integers 0 and
/// 1 whatever the backend, so rows read from one are written to the other unchanged.
public protocol StoreTableCopying: IdentityBackend {
    /// Every row of a table, in its primary key's order.
    func rows(of table: StoreTable, _ body: ([StoreCell]) throws -> Void) throws
    /// Fills an empty store, in one transaction: `next()` gives each table and its rows until nil. The
    /// store's id sequences then go on after the copied ids.
    func fill(_ next: () throws -> (StoreTable, [[StoreCell]])?) throws
    /// How many rows each table holds.
    func rowCounts() throws -> [String: Int64]
}

/// Moves a whole store into an empty one of any backend (`mpi copy`), then counts both sides.
public enum StoreCopy {
    public struct Result: Sendable {
        /// Rows per table in the source and in the destination after the copy.
        public let source: [String: Int64]
        public let destination: [String: Int64]
        public var complete: Bool { source == destination }
    }

    /// Copies table by table (one table's rows in memory at a time) inside the destination's one
    /// transaction; `progress` hears each table's name and row count.
    public static func copy(from source: any StoreTableCopying, to destination: any StoreTableCopying,
                            progress: (String, Int) -> Void = { _, _ in }) throws -> Result {
        var tables = StoreTable.all.makeIterator()
        try destination.fill {
            guard let table = tables.next() else { return nil }
            var rows: [[StoreCell]] = []
            try source.rows(of: table) { rows.append($0) }
            progress(table.name, rows.count)
            return (table, rows)
        }
        return Result(source: try source.rowCounts(), destination: try destination.rowCounts())
    }
}
