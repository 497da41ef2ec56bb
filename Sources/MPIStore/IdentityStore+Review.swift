internal import Foundation
public import MPICore
internal import GRDB

extension IdentityStore {

    /// Adds review items (a link run's, or a registration's), leaving out pairs a steward has decided.
    func insertReviewItems(_ db: Database, _ entries: [ReviewEntry], modelVersion: Int64) throws {
        guard !entries.isEmpty else { return }   // most registrations: no decisions to read
        let decided = Set(try latestDecisions(db).filter { $0.kind != .notSure }.map { Self.pairKey($0.left, $0.right) })
        let insert = try db.cachedStatement(sql: """
            INSERT INTO review_item (model_version, source_l, record_id_l, source_r, record_id_r, match_weight, probability, reason)
            VALUES (?, ?, ?, ?, ?, ?, ?, ?)
            """)
        for entry in entries where !decided.contains(Self.pairKey(entry.left, entry.right)) {
            try insert.execute(arguments: [modelVersion, entry.left.source, entry.left.recordId, entry.right.source, entry.right.recordId,
                                           entry.matchWeight, entry.probability, entry.reason])
        }
    }

    /// The review queue, highest stakes first: the pairs closest to an automatic link.
    public func reviewQueue(limit: Int = 50) throws -> [ReviewEntry] {
        try reading { db in
            try Row.fetchAll(db, sql: """
                SELECT id, source_l, record_id_l, source_r, record_id_r, match_weight, probability, reason FROM review_item
                ORDER BY match_weight DESC, id LIMIT ?
                """, arguments: [limit]).map { row in
                var entry = ReviewEntry(left: RecordKey(source: row[1], recordId: row[2]), right: RecordKey(source: row[3], recordId: row[4]),
                                        matchWeight: row[5], probability: row[6], reason: row[7])
                entry.id = row[0]
                return entry
            }
        }
    }

    public func reviewItem(_ id: Int64) throws -> ReviewEntry? {
        try reading { db in
            guard let row = try Row.fetchOne(db, sql: """
                SELECT id, source_l, record_id_l, source_r, record_id_r, match_weight, probability, reason FROM review_item WHERE id = ?
                """, arguments: [id]) else { return nil }
            var entry = ReviewEntry(left: RecordKey(source: row[1], recordId: row[2]), right: RecordKey(source: row[3], recordId: row[4]),
                                    matchWeight: row[5], probability: row[6], reason: row[7])
            entry.id = row[0]
            return entry
        }
    }

    /// Records a steward's decision on a pair and takes the pair off the queue. Decisions are kept
    /// (never overwritten); the latest for a pair is the one every later link run honours.
    public func decide(_ left: RecordKey, _ right: RecordKey, _ kind: DecisionKind, reason: String, steward: String) throws {
        try writing { db in
            let (l, r) = left < right ? (left, right) : (right, left)
            try db.execute(sql: """
                INSERT INTO decision (at, steward, source_l, record_id_l, source_r, record_id_r, decision, reason) VALUES (?, ?, ?, ?, ?, ?, ?, ?)
                """, arguments: [Self.now(), steward, l.source, l.recordId, r.source, r.recordId, kind.rawValue, reason])
            if kind != .notSure {
                try db.execute(sql: """
                    DELETE FROM review_item WHERE (source_l = ? AND record_id_l = ? AND source_r = ? AND record_id_r = ?)
                        OR (source_l = ? AND record_id_l = ? AND source_r = ? AND record_id_r = ?)
                    """, arguments: [l.source, l.recordId, r.source, r.recordId, r.source, r.recordId, l.source, l.recordId])
            }
            if kind != .notSure {
                // Tells subscribers now; the link run that applies the decision writes its own merge or split.
                let personOf = try db.cachedStatement(sql: "SELECT enterprise_id FROM record WHERE source = ? AND record_id = ?")
                if let leftPerson = try Int64.fetchOne(personOf, arguments: [l.source, l.recordId]) {
                    let rightPerson = try Int64.fetchOne(personOf, arguments: [r.source, r.recordId])
                    try self.appendChange(db, kind == .link ? .linked : .unlinked, person: leftPerson, other: rightPerson, cause: .steward,
                                          actor: steward, records: [l, r], at: Self.now())
                }
            }
            try self.audit(db, actor: steward, action: "decide", detail: try Self.json([
                "left": l.description, "right": r.description, "decision": kind.rawValue, "reason": reason]))
        }
    }

    /// The latest decision on each pair.
    public func decisions() throws -> [StewardDecision] {
        try reading { db in try self.latestDecisions(db) }
    }

    func latestDecisions(_ db: Database) throws -> [StewardDecision] {
        var latest: [String: StewardDecision] = [:]
        for row in try Row.fetchAll(db, sql: """
            SELECT at, steward, source_l, record_id_l, source_r, record_id_r, decision, reason FROM decision ORDER BY id
            """) {
            let decision = StewardDecision(left: RecordKey(source: row[2], recordId: row[3]), right: RecordKey(source: row[4], recordId: row[5]),
                                    kind: DecisionKind(rawValue: row[6]) ?? .notSure, steward: row[1], reason: row[7], at: row[0])
            latest[Self.pairKey(decision.left, decision.right)] = decision
        }
        return latest.values.sorted { ($0.at, $0.left, $0.right) < ($1.at, $1.left, $1.right) }
    }

    package static func pairKey(_ a: RecordKey, _ b: RecordKey) -> String {
        let (l, r) = a < b ? (a, b) : (b, a)
        return "\(l)\u{1F}\(r)"
    }
}
