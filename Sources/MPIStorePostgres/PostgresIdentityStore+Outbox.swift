internal import Foundation
internal import MPICore
public import MPIStore
internal import PostgresNIO

/// An outbox entry about to be written.
struct OutboxRow {
    let event: IdentityChange.Event
    let person: Int64
    let other: Int64?
    let cause: IdentityChange.Cause
    let actor: String
    let records: [RecordKey]
}

/// The outbox of identity changes on PostgreSQL.
///
/// Sequence numbers come from an identity column, which hands them out when rows are inserted, not
/// when transactions commit: two writers could commit 12 before 11, and a reader that has seen 12
/// would never look back for 11. Every transaction that writes the outbox therefore first takes one
/// advisory lock (`AdvisoryLock.identityChanges`), held until it commits, so entries become visible
/// in sequence order and "entries after N" never skips one. The same lock serialises identity changes
/// as SQLite's single writer does.
extension PostgresIdentityStore {

    func appendChanges(_ session: PostgresSession, _ rows: [OutboxRow], at now: String) throws {
        for chunk in rows.chunks(of: 10_000) {
            try session.execute("""
                INSERT INTO outbox (at, event, enterprise_id, other_id, cause, actor, records)
                SELECT \(now), u.event, u.person, NULLIF(u.other, -1), u.cause, u.actor, u.records
                FROM unnest(\(chunk.map(\.event.rawValue)), \(chunk.map(\.person)), \(chunk.map { $0.other ?? -1 }), \(chunk.map(\.cause.rawValue)),
                            \(chunk.map(\.actor)), \(chunk.map { IdentityStore.recordsText($0.records.sorted()) }))
                    WITH ORDINALITY AS u(event, person, other, cause, actor, records, n)
                ORDER BY u.n
                """)
        }
    }

    /// The records each of these persons holds now, in key order.
    func members(_ session: PostgresSession, of persons: [Int64]) throws -> [Int64: [RecordKey]] {
        var result: [Int64: [RecordKey]] = [:]
        // One index probe per person (`= ANY` of 20,000 ids took 280 ms a chunk, the probes 65), the
        // members put in order here rather than by the server.
        try session.forEachRow(ofChunks: persons.chunks(of: 20_000), { chunk in """
            SELECT p.id, r.source, r.record_id FROM unnest(\(chunk)) AS p(id)
            CROSS JOIN LATERAL (SELECT source, record_id FROM record x WHERE x.enterprise_id = p.id) r
            """ }) { row in
            let (person, source, recordId) = try row.columns(Int64.self, String.self, String.self)
            result[person, default: []].append(RecordKey(source: source, recordId: recordId))
        }
        return result.mapValues { $0.sorted() }
    }

    /// The records a person holds now.
    func members(_ session: PostgresSession, of person: Int64) throws -> [RecordKey] {
        try session.rows("SELECT source, record_id FROM record WHERE enterprise_id = \(person) ORDER BY source, record_id").map { row in
            let (source, recordId) = try row.columns(String.self, String.self)
            return RecordKey(source: source, recordId: recordId)
        }
    }

    public func identityChanges(after sequence: Int64, limit: Int) throws -> [IdentityChange] {
        try reading { session in
            try session.rows("""
                SELECT sequence, at, event, enterprise_id, other_id, cause, actor, records FROM outbox
                WHERE sequence > \(sequence) ORDER BY sequence LIMIT \(Int64(limit))
                """).map(Self.change)
        }
    }

    public func identityChanges(_ sequences: [Int64]) throws -> [IdentityChange] {
        try reading { session in
            let found = Dictionary(uniqueKeysWithValues: try session.rows("""
                SELECT sequence, at, event, enterprise_id, other_id, cause, actor, records FROM outbox WHERE sequence = ANY(\(sequences))
                """).map(Self.change).map { ($0.sequence, $0) })
            return sequences.compactMap { found[$0] }
        }
    }

    public func latestChangeSequence() throws -> Int64 {
        try reading { try $0.value("SELECT max(sequence) FROM outbox", as: Int64.self) ?? 0 }
    }

    public func outboxSize() throws -> Int {
        try reading { Int(try $0.value("SELECT count(*) FROM outbox", as: Int64.self) ?? 0) }
    }

    public func deliveredThrough(subscriber: String) throws -> Int64 {
        try writing { session in
            if let through = try session.value("SELECT delivered_through FROM outbox_subscriber WHERE name = \(subscriber)", as: Int64.self) {
                return through
            }
            let newest = try session.value("SELECT max(sequence) FROM outbox", as: Int64.self) ?? 0
            try session.execute("""
                INSERT INTO outbox_subscriber (name, delivered_through) VALUES (\(subscriber), \(newest)) ON CONFLICT (name) DO NOTHING
                """)
            return try session.value("SELECT delivered_through FROM outbox_subscriber WHERE name = \(subscriber)", as: Int64.self) ?? newest
        }
    }

    public func recordDelivery(subscriber: String, through sequence: Int64) throws {
        try writing { session in
            try session.execute("""
                INSERT INTO outbox_subscriber (name, delivered_through) VALUES (\(subscriber), \(sequence))
                ON CONFLICT (name) DO UPDATE SET delivered_through = greatest(outbox_subscriber.delivered_through, excluded.delivered_through)
                """)
        }
    }

    public func park(subscriber: String, sequence: Int64, controlId: String, reason: String) throws {
        try writing { session in
            try session.execute("""
                INSERT INTO outbox_parked (subscriber, sequence, control_id, at, reason, retry)
                VALUES (\(subscriber), \(sequence), \(controlId), \(IdentityStore.now()), \(reason), false)
                ON CONFLICT (subscriber, sequence) DO UPDATE SET at = excluded.at, reason = excluded.reason, retry = false
                """)
            try session.execute("""
                INSERT INTO outbox_subscriber (name, delivered_through) VALUES (\(subscriber), \(sequence))
                ON CONFLICT (name) DO UPDATE SET delivered_through = greatest(outbox_subscriber.delivered_through, excluded.delivered_through)
                """)
            try audit(session, actor: "outbox", action: "park", detail: try IdentityStore.json([
                "subscriber": subscriber, "sequence": String(sequence), "controlId": controlId, "reason": reason]))
        }
    }

    public func unpark(subscriber: String, sequence: Int64) throws {
        try writing { session in
            try session.execute("DELETE FROM outbox_parked WHERE subscriber = \(subscriber) AND sequence = \(sequence)")
        }
    }

    public func parkedNotifications(subscriber: String?) throws -> [ParkedNotification] {
        try reading { session in
            try session.rows("""
                SELECT subscriber, sequence, control_id, at, reason, retry FROM outbox_parked
                WHERE \(subscriber)::text IS NULL OR subscriber = \(subscriber) ORDER BY subscriber, sequence
                """).map { row in
                let (name, sequence, controlId, at, reason, retry) = try row.decode((String, Int64, String, String, String, Bool).self)
                return ParkedNotification(subscriber: name, sequence: sequence, controlId: controlId, at: at, reason: reason, retryRequested: retry)
            }
        }
    }

    @discardableResult
    public func retryParked(subscriber: String, sequence: Int64?, actor: String) throws -> Int {
        try writing { session in
            let marked = try session.execute("""
                UPDATE outbox_parked SET retry = true WHERE subscriber = \(subscriber) AND (\(sequence)::bigint IS NULL OR sequence = \(sequence))
                """)
            try audit(session, actor: actor, action: "outbox retry", detail: try IdentityStore.json([
                "subscriber": subscriber, "sequence": sequence.map(String.init) ?? "all", "marked": String(marked)]))
            return marked
        }
    }

    public func subscriberProgress() throws -> [SubscriberProgress] {
        try reading { session in
            try session.rows("""
                SELECT s.name, s.delivered_through,
                       (SELECT count(*) FROM outbox_parked p WHERE p.subscriber = s.name),
                       (SELECT count(*) FROM outbox o WHERE o.sequence > s.delivered_through)
                FROM outbox_subscriber s ORDER BY s.name
                """).map { row in
                let (name, through, parked, waiting) = try row.decode((String, Int64, Int64, Int64).self)
                return SubscriberProgress(subscriber: name, deliveredThrough: through, waiting: Int(waiting), parked: Int(parked))
            }
        }
    }

    @discardableResult
    public func pruneOutbox(actor: String) throws -> Int {
        try writing { session in
            try session.execute("SELECT pg_advisory_xact_lock(\(AdvisoryLock.identityChanges))")
            let newest = try session.value("SELECT max(sequence) FROM outbox", as: Int64.self) ?? 0
            let through = try session.value("SELECT min(delivered_through) FROM outbox_subscriber", as: Int64.self) ?? newest
            let pruned = try session.execute("""
                DELETE FROM outbox WHERE sequence <= \(through) AND sequence < \(newest)
                    AND sequence NOT IN (SELECT sequence FROM outbox_parked)
                """)
            try audit(session, actor: actor, action: "outbox prune", detail: try IdentityStore.json(["through": String(through), "pruned": String(pruned)]))
            return pruned
        }
    }

    private static func change(_ row: PostgresRow) throws -> IdentityChange {
        let (sequence, at, event, person, other, cause, actor, records) = try row.decode((Int64, String, String, Int64, Int64?, String, String, String).self)
        return IdentityChange(sequence: sequence, at: at, event: IdentityChange.Event(rawValue: event) ?? .updated, enterpriseId: id(person),
                              otherId: other.map(id), cause: IdentityChange.Cause(rawValue: cause) ?? .registration, actor: actor,
                              records: IdentityStore.records(records))
    }
}

extension PostgresIdentityStore: IdentityBackend {}
