internal import Foundation
public import MPICore
internal import GRDB

/// What an incremental link run reads and writes: the stored link keys of every record, the persons
/// of a few records, and their members. A run over 10,000 new records in a store of a million touches
/// the million only through `scanLinkKeys`, a few bytes per record.
extension IdentityStore {
    /// Calls `body` with the stored link keys (nil when none) of each active record already linked
    /// (not waiting to be linked), and a function giving the record's key: a scan over a million records
    /// builds a key only for the few it needs. The bytes are valid only during the call.
    public func scanLinkKeys(_ body: (UnsafeRawBufferPointer?, () -> RecordKey) throws -> Void) throws {
        try reading { db in
            let rows = try Row.fetchCursor(db, sql: "SELECT source, record_id, link_keys FROM record WHERE active = 1 AND needs_link = 0")
            while let row = try rows.next() {
                let key = { RecordKey(source: row[0], recordId: row[1]) }
                try row.withUnsafeData(atIndex: 2) { data in
                    if let data {
                        try data.withUnsafeBytes { try body($0, key) }
                    } else {
                        try body(nil, key)
                    }
                }
            }
        }
    }

    /// True once a link run has given the store persons.
    public func hasPersons() throws -> Bool {
        try reading { db in try Bool.fetchOne(db, sql: "SELECT EXISTS (SELECT 1 FROM record WHERE enterprise_id IS NOT NULL)") ?? false }
    }

    /// The persons of these records and every record of those persons: record -> person. Records with
    /// no person are left out.
    public func personsWithMembers(of keys: some Sequence<RecordKey>) throws -> [RecordKey: EnterpriseID] {
        try reading { db in
            var result: [RecordKey: EnterpriseID] = [:]
            let personOf = try db.cachedStatement(sql: "SELECT enterprise_id FROM record WHERE source = ? AND record_id = ?")
            let membersOf = try db.cachedStatement(sql: "SELECT source, record_id FROM record WHERE enterprise_id = ?")
            for key in keys where result[key] == nil {
                guard let id = try Int64.fetchOne(personOf, arguments: [key.source, key.recordId]) else { continue }
                let person = EnterpriseID(value: UInt64(id))
                let rows = try Row.fetchCursor(membersOf, arguments: [id])
                while let row = try rows.next() { result[RecordKey(source: row[0], recordId: row[1])] = person }
            }
            return result
        }
    }

    /// The persons of these records (records with no person are left out).
    public func memberships(of keys: some Sequence<RecordKey>) throws -> [RecordKey: EnterpriseID] {
        try reading { db in
            var result: [RecordKey: EnterpriseID] = [:]
            let select = try db.cachedStatement(sql: "SELECT enterprise_id FROM record WHERE source = ? AND record_id = ?")
            for key in keys {
                if let id = try Int64.fetchOne(select, arguments: [key.source, key.recordId]) {
                    result[key] = EnterpriseID(value: UInt64(id))
                }
            }
            return result
        }
    }
}

extension IdentityStore {
    /// The normalised form of those of these records that are active, in key order.
    public func activeRecords(_ keys: some Sequence<RecordKey>) throws -> [NormalizedRecord] {
        try reading { db in
            var records: [NormalizedRecord] = []
            let select = try db.cachedStatement(sql: "SELECT normalized FROM record WHERE source = ? AND record_id = ? AND active = 1")
            for key in keys.sorted() {
                if let value = try DatabaseValue.fetchOne(select, arguments: [key.source, key.recordId]) {
                    records.append(try Self.normalized(value, key: key))
                }
            }
            return records
        }
    }

    func deleteReviewItems(_ db: Database, involving records: Set<RecordKey>) throws {
        let items = try Row.fetchAll(db, sql: "SELECT id, source_l, record_id_l, source_r, record_id_r FROM review_item")
        let delete = try db.cachedStatement(sql: "DELETE FROM review_item WHERE id = ?")
        for item in items {
            let left = RecordKey(source: item[1], recordId: item[2]), right = RecordKey(source: item[3], recordId: item[4])
            if records.contains(left) || records.contains(right) { try delete.execute(arguments: [item[0] as Int64]) }
        }
    }
}

extension IdentityStore {
    /// Every record's person, in key order, streamed (a million rows are never held at once).
    public func forEachMembership(_ body: (RecordKey, EnterpriseID) throws -> Void) throws {
        try reading { db in
            let rows = try Row.fetchCursor(db, sql: """
                SELECT source, record_id, enterprise_id FROM record WHERE enterprise_id IS NOT NULL ORDER BY source, record_id
                """)
            while let row = try rows.next() {
                try body(RecordKey(source: row[0], recordId: row[1]), EnterpriseID(value: UInt64(row[2] as Int64)))
            }
        }
    }
}
