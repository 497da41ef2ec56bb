internal import Foundation
public import MPICore
internal import GRDB

/// Who a record is: the person's enterprise id and every identifier the person has across sources.
public struct Resolution: Sendable, Hashable, Codable {
    public let enterpriseId: String
    /// Set when the id asked about was retired by a merge and redirected here.
    public let redirectedFrom: String?
    public let records: [RecordKey]
    public let nhsNumbers: [String]

    /// The live id an enterprise id stands for, following the ids merges retired it into (at most 100
    /// hops), and the id asked about when it was retired; `retiredInto(id)` is the store's redirect.
    package static func followingRedirects(from enterpriseId: EnterpriseID,
                                           retiredInto: (Int64) throws -> Int64?) throws -> (id: Int64, redirectedFrom: String?) {
        var id = Int64(enterpriseId.value)
        var hops = 0
        while hops < 100, let next = try retiredInto(id) {
            id = next
            hops += 1
        }
        return (id, hops > 0 ? enterpriseId.description : nil)
    }

    package init(enterpriseId: String, redirectedFrom: String?, records: [RecordKey], nhsNumbers: [String]) {
        self.enterpriseId = enterpriseId
        self.redirectedFrom = redirectedFrom
        self.records = records
        self.nhsNumbers = nhsNumbers
    }
}

extension IdentityStore {
    /// The normalised records of these keys (for showing a pair side by side).
    public func normalizedRecords(_ keys: [RecordKey]) throws -> [RecordKey: NormalizedRecord] {
        try reading { db in
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
        try reading { db in
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
    func latestModel() throws -> String? {
        try reading { db in try String.fetchOne(db, sql: "SELECT model FROM model_version ORDER BY id DESC LIMIT 1") }
    }



    /// The person a source record belongs to, with all the person's records and NHS numbers.
    ///
    /// The lookup and its audit entry are one write transaction, with prepared statements and the
    /// entry's JSON written by hand: the lookup a lab system makes most often, kept well under 100 µs.
    public func resolve(source: String, recordId: String, actor: String) throws -> Resolution? {
        let resolution = try reading { db -> Resolution? in
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
        let resolution = try reading { db -> Resolution? in
            let (id, redirectedFrom) = try Resolution.followingRedirects(from: enterpriseId) { id in
                try Int64?.fetchOne(db, sql: "SELECT retired_into FROM person WHERE enterprise_id = ?", arguments: [id]) ?? nil
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
        try reading { db in
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
}
