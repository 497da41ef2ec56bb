internal import Foundation
internal import MPICore
public import MPIStore
internal import NIOCore
internal import PostgresNIO

/// Whole tables in and out, for `mpi copy` (see `StoreTableCopying`): read through a cursor, written
/// by COPY, all tables in one transaction.
extension PostgresIdentityStore: StoreTableCopying {
    public func rows(of table: StoreTable, _ body: ([StoreCell]) throws -> Void) throws {
        try reading { session in
            try session.forEachRow(PostgresQuery(unsafeSQL: "SELECT \(table.columnNames.joined(separator: ", ")) FROM \(table.name) ORDER BY \(table.key)")) { row in
                var cells: [StoreCell] = []
                cells.reserveCapacity(table.columns.count)
                for (cell, column) in zip(row, table.columns) {
                    switch column.kind {
                    case .integer: cells.append(try cell.decode(Int64?.self).map(StoreCell.integer) ?? .null)
                    case .real: cells.append(try cell.decode(Double?.self).map(StoreCell.real) ?? .null)
                    case .text: cells.append(try cell.decode(String?.self).map(StoreCell.text) ?? .null)
                    case .bytes: cells.append(try cell.decode(ByteBuffer?.self).map { .bytes(Array($0.readableBytesView)) } ?? .null)
                    case .boolean: cells.append(try cell.decode(Bool?.self).map { .integer($0 ? 1 : 0) } ?? .null)
                    }
                }
                try body(cells)
            }
        }
    }

    public func fill(_ next: () throws -> (StoreTable, [[StoreCell]])?) throws {
        try writing { session in
            for table in StoreTable.all {
                guard try session.value(PostgresQuery(unsafeSQL: "SELECT count(*) FROM \(table.name)"), as: Int64.self) == 0 else {
                    throw StoreError.database("the destination store is not empty (table \(table.name) has rows)")
                }
            }
            while let (table, rows) = try next() {
                try session.copy(into: table.name, columns: table.columnNames, count: rows.count) { index, text in
                    for (cell, column) in zip(rows[index], table.columns) {
                        switch cell {
                        case .null: text.null()
                        case .integer(let number) where column.kind == .boolean: text.boolean(number != 0)
                        case .integer(let number): text.integer(number)
                        case .real(let number): text.text("\(number)")
                        case .text(let value): text.text(value)
                        case .bytes(let bytes): text.bytes(bytes)
                        }
                    }
                }
                if let identity = table.identity {
                    // The next id drawn goes on after the copied ones.
                    try session.execute(PostgresQuery(unsafeSQL: """
                        SELECT setval(pg_get_serial_sequence('\(table.name)', '\(identity)'), coalesce(max(\(identity)), 0) + 1, false)
                        FROM \(table.name)
                        """))
                }
            }
        }
    }

    public func rowCounts() throws -> [String: Int64] {
        try reading { session in
            var counts: [String: Int64] = [:]
            for table in StoreTable.all {
                counts[table.name] = try session.value(PostgresQuery(unsafeSQL: "SELECT count(*) FROM \(table.name)"), as: Int64.self) ?? 0
            }
            return counts
        }
    }
}
