internal import Foundation
internal import MPICore
internal import GRDB

/// Whole tables in and out, for `mpi copy` (see `StoreTableCopying`).
extension IdentityStore: StoreTableCopying {
    public func rows(of table: StoreTable, _ body: ([StoreCell]) throws -> Void) throws {
        // Lookups' audit entries live in the lookup log beside the store (`LookupLog`).
        let source = table.name == "lookup" ? lookups.pool : pool
        let columns = table.columnNames.joined(separator: ", ")
        do {
            try source.read { db in
                let rows = try Row.fetchCursor(db, sql: "SELECT \(columns) FROM \(table.name) ORDER BY \(table.key)")
                while let row = try rows.next() {
                    var cells: [StoreCell] = []
                    cells.reserveCapacity(table.columns.count)
                    for (index, column) in table.columns.enumerated() {
                        cells.append(try Self.cell(row[index] as DatabaseValue, column: column.name, table: table.name, row: row))
                    }
                    try body(cells)
                }
            }
        } catch {
            throw StoreError(wrapping: error)
        }
    }

    /// A stored value as a cell. Records of the store's first form (JSON text rather than the binary
    /// encodings) are re-encoded where that needs nothing else; a raw row still in JSON would need a
    /// column set made for it, and is refused with what to do instead.
    private static func cell(_ value: DatabaseValue, column: String, table: String, row: Row) throws -> StoreCell {
        switch value.storage {
        case .null: return .null
        case .int64(let number): return .integer(number)
        case .double(let number): return .real(number)
        case .blob(let data): return .bytes([UInt8](data))
        case .string(let text):
            guard table == "record", column == "raw" || column == "normalized" else { return .text(text) }
            let key = RecordKey(source: row["source"], recordId: row["record_id"])
            if column == "normalized" {
                return .bytes(RecordCodec.encode(try JSONDecoder().decode(NormalizedRecord.self, from: Data(text.utf8))))
            }
            throw StoreError.database("record \(key) is still in the store's first form (written before compact records); "
                                      + "re-import its source to rewrite it, then copy")
        }
    }

    public func fill(_ next: () throws -> (StoreTable, [[StoreCell]])?) throws {
        var lookupRows: [[StoreCell]] = []
        try writing { db in
            // A person's `retired_into` may name a person copied after it: keys are checked at commit.
            try db.execute(sql: "PRAGMA defer_foreign_keys = ON")
            for table in StoreTable.all where table.name != "lookup" {
                guard try Int.fetchOne(db, sql: "SELECT count(*) FROM \(table.name)") == 0 else {
                    throw StoreError.database("the destination store is not empty (table \(table.name) has rows)")
                }
            }
            while let (table, rows) = try next() {
                if table.name == "lookup" { lookupRows += rows; continue }
                let placeholders = Array(repeating: "?", count: table.columns.count).joined(separator: ", ")
                let insert = try db.makeStatement(sql: "INSERT INTO \(table.name) (\(table.columnNames.joined(separator: ", "))) VALUES (\(placeholders))")
                for row in rows { try insert.execute(arguments: StatementArguments(row.map(Self.databaseValue))) }
            }
        }
        // The lookup log is a file of its own: its rows follow once the store's are committed.
        guard !lookupRows.isEmpty else { return }
        try lookups.pool.write { db in
            let insert = try db.makeStatement(sql: "INSERT INTO lookup (id, at, actor, action, detail) VALUES (?, ?, ?, ?, ?)")
            for row in lookupRows { try insert.execute(arguments: StatementArguments(row.map(Self.databaseValue))) }
        }
    }

    private static func databaseValue(_ cell: StoreCell) -> DatabaseValue {
        switch cell {
        case .null: .null
        case .integer(let number): number.databaseValue
        case .real(let number): number.databaseValue
        case .text(let text): text.databaseValue
        case .bytes(let bytes): Data(bytes).databaseValue
        }
    }

    public func rowCounts() throws -> [String: Int64] {
        var counts: [String: Int64] = [:]
        for table in StoreTable.all {
            let source = table.name == "lookup" ? lookups.pool : pool
            counts[table.name] = try source.read { db in try Int64.fetchOne(db, sql: "SELECT count(*) FROM \(table.name)") ?? 0 }
        }
        return counts
    }
}
