internal import Foundation
public import MPICore
public import MPIStore
internal import PostgresNIO

extension PostgresIdentityStore {

    /// Adds review items, leaving out pairs a steward has decided.
    func insertReviewItems(_ session: PostgresSession, _ entries: [ReviewEntry], modelVersion: Int64) throws {
        guard !entries.isEmpty else { return }
        let decided = Set(try latestDecisions(session).filter { $0.kind != .notSure }.map { IdentityStore.pairKey($0.left, $0.right) })
        let kept = entries.filter { !decided.contains(IdentityStore.pairKey($0.left, $0.right)) }
        for chunk in kept.chunks(of: 10_000) {
            try session.execute("""
                INSERT INTO review_item (model_version, source_l, record_id_l, source_r, record_id_r, match_weight, probability, reason)
                SELECT \(modelVersion), u.sl, u.il, u.sr, u.ir, u.w, u.p, u.reason
                FROM unnest(\(chunk.map(\.left.source)), \(chunk.map(\.left.recordId)), \(chunk.map(\.right.source)),
                            \(chunk.map(\.right.recordId)), \(chunk.map(\.matchWeight)), \(chunk.map(\.probability)), \(chunk.map(\.reason)))
                    WITH ORDINALITY AS u(sl, il, sr, ir, w, p, reason, n)
                ORDER BY u.n
                """)
        }
    }

    func deleteReviewItems(_ session: PostgresSession, involving records: Set<RecordKey>) throws {
        var doomed: [Int64] = []
        for row in try session.rows("SELECT id, source_l, record_id_l, source_r, record_id_r FROM review_item") {
            let (id, sl, il, sr, ir) = try row.decode((Int64, String, String, String, String).self)
            if records.contains(RecordKey(source: sl, recordId: il)) || records.contains(RecordKey(source: sr, recordId: ir)) { doomed.append(id) }
        }
        for chunk in doomed.chunks(of: 20_000) { try session.execute("DELETE FROM review_item WHERE id = ANY(\(chunk))") }
    }

    public func reviewQueue(limit: Int) throws -> [ReviewEntry] {
        try reading { session in
            try session.rows("""
                SELECT id, source_l, record_id_l, source_r, record_id_r, match_weight, probability, reason FROM review_item
                ORDER BY match_weight DESC, id LIMIT \(Int64(limit))
                """).map(Self.reviewEntry)
        }
    }

    public func reviewItem(_ id: Int64) throws -> ReviewEntry? {
        try reading { session in
            try session.rows("""
                SELECT id, source_l, record_id_l, source_r, record_id_r, match_weight, probability, reason FROM review_item WHERE id = \(id)
                """).first.map(Self.reviewEntry)
        }
    }

    private static func reviewEntry(_ row: PostgresRow) throws -> ReviewEntry {
        let (id, sl, il, sr, ir, weight, probability, reason) = try row.decode((Int64, String, String, String, String, Double, Double, String).self)
        var entry = ReviewEntry(left: RecordKey(source: sl, recordId: il), right: RecordKey(source: sr, recordId: ir),
                                matchWeight: weight, probability: probability, reason: reason)
        entry.id = id
        return entry
    }

    /// Records a steward's decision and takes the pair off the queue, as the SQLite store does.
    public func decide(_ left: RecordKey, _ right: RecordKey, _ kind: DecisionKind, reason: String, steward: String) throws {
        try writing { session in
            try session.execute("SELECT pg_advisory_xact_lock(\(AdvisoryLock.identityChanges))")
            let (l, r) = left < right ? (left, right) : (right, left)
            let now = IdentityStore.now()
            try session.execute("""
                INSERT INTO decision (at, steward, source_l, record_id_l, source_r, record_id_r, decision, reason)
                VALUES (\(now), \(steward), \(l.source), \(l.recordId), \(r.source), \(r.recordId), \(kind.rawValue), \(reason))
                """)
            if kind != .notSure {
                try session.execute("""
                    DELETE FROM review_item
                    WHERE (source_l = \(l.source) AND record_id_l = \(l.recordId) AND source_r = \(r.source) AND record_id_r = \(r.recordId))
                       OR (source_l = \(r.source) AND record_id_l = \(r.recordId) AND source_r = \(l.source) AND record_id_r = \(l.recordId))
                    """)
                func personOf(_ key: RecordKey) throws -> Int64? {
                    try session.value("SELECT enterprise_id FROM record WHERE source = \(key.source) AND record_id = \(key.recordId)", as: Int64.self)
                }
                if let leftPerson = try personOf(l) {
                    try appendChanges(session, [OutboxRow(event: kind == .link ? .linked : .unlinked, person: leftPerson, other: try personOf(r),
                                                          cause: .steward, actor: steward, records: [l, r])], at: now)
                }
            }
            try audit(session, actor: steward, action: "decide", detail: try IdentityStore.json([
                "left": l.description, "right": r.description, "decision": kind.rawValue, "reason": reason]))
        }
    }

    public func decisions() throws -> [StewardDecision] {
        try reading { try latestDecisions($0) }
    }

    func latestDecisions(_ session: PostgresSession) throws -> [StewardDecision] {
        var latest: [String: StewardDecision] = [:]
        for row in try session.rows("""
            SELECT at, steward, source_l, record_id_l, source_r, record_id_r, decision, reason FROM decision ORDER BY id
            """) {
            let (at, steward, sl, il, sr, ir, kind, reason) = try row.decode((String, String, String, String, String, String, String, String).self)
            let decision = StewardDecision(left: RecordKey(source: sl, recordId: il), right: RecordKey(source: sr, recordId: ir),
                                           kind: DecisionKind(rawValue: kind) ?? .notSure, steward: steward, reason: reason, at: at)
            latest[IdentityStore.pairKey(decision.left, decision.right)] = decision
        }
        return latest.values.sorted { ($0.at, $0.left, $0.right) < ($1.at, $1.left, $1.right) }
    }
}
