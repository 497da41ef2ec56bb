internal import Foundation
public import MPICore
internal import GRDB

extension IdentityStore {
    func audit(_ db: Database, actor: String, action: String, detail: String) throws {
        try db.cachedStatement(sql: "INSERT INTO audit (at, actor, action, detail) VALUES (?, ?, ?, ?)")
            .execute(arguments: [Self.now(), actor, action, detail])
    }

    /// Audit entries at or after `since` (ISO 8601), optionally only those naming one enterprise id.
    /// Changes come from the store's `audit` table, lookups from the lookup log; merged in time order
    /// (changes first within one second).
    public func auditTrail(since: String? = nil, person: EnterpriseID? = nil) throws -> [AuditEntry] {
        let changes = try reading { db in
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

    /// Everything that happened to a person's id: minted, merged into or from, split from or into.
    public func history(_ id: EnterpriseID) throws -> [LineageEntry] {
        try reading { db in
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
}
