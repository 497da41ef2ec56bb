internal import Foundation
public import MPICore
internal import GRDB

/// One identity change as the outbox holds it: written in the same transaction as the change, so a
/// change and its notification cannot part. It names persons and records, never demographics.
public struct IdentityChange: Sendable, Hashable {
    public enum Event: String, Sendable, Hashable, Codable, CaseIterable {
        /// A new person (a link run's, or a registration's).
        case created
        /// Two persons became one: `enterpriseId` survives, `otherId` is retired and redirects to it.
        case merged
        /// Records split off `otherId` into the new person `enterpriseId`.
        case split
        /// A person's records changed: one joined, left or was updated (identifiers or demographics).
        case updated
        /// A steward said two records are one patient (`records` holds the two; the next link run
        /// applies it, and its merge is an entry of its own).
        case linked
        /// A steward said two records are different patients.
        case unlinked
    }

    /// What made the change.
    public enum Cause: String, Sendable, Hashable, Codable {
        case linkRun = "link_run"
        case registration
        case steward
        /// A source's own merge (HL7 A40 into the identity feed).
        case sourceMerge = "source_merge"
    }

    /// Increases with every entry, never reused: a subscriber's place in the outbox.
    public let sequence: Int64
    public let at: String
    public let event: Event
    public let enterpriseId: EnterpriseID
    /// merged: the retired id; split: the person split from; linked and unlinked: the second record's person.
    public let otherId: EnterpriseID?
    public let cause: Cause
    /// The client, the steward's name, or the link run's actor.
    public let actor: String
    /// The person's records after the change (created, merged, split, updated), or the two records
    /// decided (linked, unlinked), in key order.
    public let records: [RecordKey]

    public init(sequence: Int64, at: String, event: Event, enterpriseId: EnterpriseID, otherId: EnterpriseID?, cause: Cause,
                actor: String, records: [RecordKey]) {
        self.sequence = sequence
        self.at = at
        self.event = event
        self.enterpriseId = enterpriseId
        self.otherId = otherId
        self.cause = cause
        self.actor = actor
        self.records = records
    }
}

/// A notification a subscriber refused (HL7 AE or AR), kept until an operator retries it.
public struct ParkedNotification: Sendable, Hashable, Codable {
    public let subscriber: String
    public let sequence: Int64
    public let controlId: String
    public let at: String
    public let reason: String
    /// An operator asked for it to be sent again (`mpi outbox retry`); the service sends it next.
    public let retryRequested: Bool

    package init(subscriber: String, sequence: Int64, controlId: String, at: String, reason: String, retryRequested: Bool) {
        self.subscriber = subscriber
        self.sequence = sequence
        self.controlId = controlId
        self.at = at
        self.reason = reason
        self.retryRequested = retryRequested
    }
}

/// How far a subscriber has been sent the outbox.
public struct SubscriberProgress: Sendable, Hashable, Codable {
    public let subscriber: String
    /// The last entry acknowledged (or parked) for it; 0 before the first.
    public let deliveredThrough: Int64
    public let waiting: Int
    public let parked: Int

    public init(subscriber: String, deliveredThrough: Int64, waiting: Int, parked: Int) {
        self.subscriber = subscriber
        self.deliveredThrough = deliveredThrough
        self.waiting = waiting
        self.parked = parked
    }
}

extension IdentityStore {

    // MARK: writing entries (inside a change's own transaction)

    /// Adds an entry to the outbox, in the transaction of the change it records.
    func appendChange(_ db: Database, _ event: IdentityChange.Event, person: Int64, other: Int64? = nil, cause: IdentityChange.Cause,
                      actor: String, records: [RecordKey], at: String) throws {
        try db.cachedStatement(sql: """
            INSERT INTO outbox (at, event, enterprise_id, other_id, cause, actor, records) VALUES (?, ?, ?, ?, ?, ?, ?)
            """).execute(arguments: [at, event.rawValue, person, other, cause.rawValue, actor, Self.recordsText(records.sorted())])
    }

    /// The records a person holds now, for an entry written after the change.
    func members(_ db: Database, of person: Int64) throws -> [RecordKey] {
        try Row.fetchAll(db.cachedStatement(sql: "SELECT source, record_id FROM record WHERE enterprise_id = ? ORDER BY source, record_id"),
                         arguments: [person]).map { RecordKey(source: $0[0], recordId: $0[1]) }
    }

    /// Records as text: source and id apart by a unit separator, records by a record separator
    /// (neither can be in a source code or a record id the readers accept).
    package static func recordsText(_ records: [RecordKey]) -> String {
        records.map { $0.source + "\u{1F}" + $0.recordId }.joined(separator: "\u{1E}")
    }

    package static func records(_ text: String) -> [RecordKey] {
        text.isEmpty ? [] : text.split(separator: "\u{1E}", omittingEmptySubsequences: false).map { part in
            let fields = part.split(separator: "\u{1F}", maxSplits: 1, omittingEmptySubsequences: false)
            return RecordKey(source: String(fields[0]), recordId: fields.count > 1 ? String(fields[1]) : "")
        }
    }

    // MARK: reading and delivering

    /// Outbox entries after `sequence`, oldest first.
    public func identityChanges(after sequence: Int64, limit: Int) throws -> [IdentityChange] {
        try reading { db in
            try Row.fetchAll(db, sql: """
                SELECT sequence, at, event, enterprise_id, other_id, cause, actor, records FROM outbox WHERE sequence > ? ORDER BY sequence LIMIT ?
                """, arguments: [sequence, limit]).map(Self.change)
        }
    }

    /// The outbox entries with these sequence numbers.
    public func identityChanges(_ sequences: [Int64]) throws -> [IdentityChange] {
        try reading { db in
            try sequences.compactMap { sequence in
                try Row.fetchOne(db, sql: """
                    SELECT sequence, at, event, enterprise_id, other_id, cause, actor, records FROM outbox WHERE sequence = ?
                    """, arguments: [sequence]).map(Self.change)
            }
        }
    }

    /// The newest entry's sequence number; 0 when the outbox is empty.
    public func latestChangeSequence() throws -> Int64 {
        try reading { db in try Int64.fetchOne(db, sql: "SELECT max(sequence) FROM outbox") ?? 0 }
    }

    /// How many entries the outbox holds (after pruning, fewer than `latestChangeSequence`).
    public func outboxSize() throws -> Int {
        try reading { db in try Int.fetchOne(db, sql: "SELECT count(*) FROM outbox") ?? 0 }
    }

    /// Where a subscriber stands. A subscriber met for the first time starts at the newest entry:
    /// it is told what changes from now on, not the store's whole past.
    public func deliveredThrough(subscriber: String) throws -> Int64 {
        try writing { db in
            if let through = try Int64.fetchOne(db, sql: "SELECT delivered_through FROM outbox_subscriber WHERE name = ?", arguments: [subscriber]) {
                return through
            }
            let newest = try Int64.fetchOne(db, sql: "SELECT max(sequence) FROM outbox") ?? 0
            try db.execute(sql: "INSERT INTO outbox_subscriber (name, delivered_through) VALUES (?, ?)", arguments: [subscriber, newest])
            return newest
        }
    }

    /// Moves a subscriber's place forward (never back).
    public func recordDelivery(subscriber: String, through sequence: Int64) throws {
        try writing { db in
            try db.execute(sql: """
                INSERT INTO outbox_subscriber (name, delivered_through) VALUES (?, ?)
                ON CONFLICT (name) DO UPDATE SET delivered_through = max(delivered_through, excluded.delivered_through)
                """, arguments: [subscriber, sequence])
        }
    }

    /// Parks an entry the subscriber refused, with its reason, and moves the subscriber past it, in one
    /// transaction.
    public func park(subscriber: String, sequence: Int64, controlId: String, reason: String) throws {
        try writing { db in
            try db.execute(sql: """
                INSERT INTO outbox_parked (subscriber, sequence, control_id, at, reason, retry) VALUES (?, ?, ?, ?, ?, 0)
                ON CONFLICT (subscriber, sequence) DO UPDATE SET at = excluded.at, reason = excluded.reason, retry = 0
                """, arguments: [subscriber, sequence, controlId, Self.now(), reason])
            try db.execute(sql: """
                INSERT INTO outbox_subscriber (name, delivered_through) VALUES (?, ?)
                ON CONFLICT (name) DO UPDATE SET delivered_through = max(delivered_through, excluded.delivered_through)
                """, arguments: [subscriber, sequence])
            try self.audit(db, actor: "outbox", action: "park", detail: try Self.json([
                "subscriber": subscriber, "sequence": String(sequence), "controlId": controlId, "reason": reason]))
        }
    }

    /// A parked entry that was sent again and accepted.
    public func unpark(subscriber: String, sequence: Int64) throws {
        try writing { db in
            try db.execute(sql: "DELETE FROM outbox_parked WHERE subscriber = ? AND sequence = ?", arguments: [subscriber, sequence])
        }
    }

    /// Parked entries, oldest first; of one subscriber, or of all.
    public func parkedNotifications(subscriber: String? = nil) throws -> [ParkedNotification] {
        try reading { db in
            try Row.fetchAll(db, sql: """
                SELECT subscriber, sequence, control_id, at, reason, retry FROM outbox_parked
                WHERE ?1 IS NULL OR subscriber = ?1 ORDER BY subscriber, sequence
                """, arguments: [subscriber]).map {
                ParkedNotification(subscriber: $0[0], sequence: $0[1], controlId: $0[2], at: $0[3], reason: $0[4], retryRequested: $0[5])
            }
        }
    }

    /// Asks the service to send parked entries again: one (`sequence`), or all of a subscriber's.
    /// Returns how many were marked. Audited with the operator's name.
    @discardableResult
    public func retryParked(subscriber: String, sequence: Int64? = nil, actor: String) throws -> Int {
        try writing { db in
            try db.execute(sql: "UPDATE outbox_parked SET retry = 1 WHERE subscriber = ?1 AND (?2 IS NULL OR sequence = ?2)",
                           arguments: [subscriber, sequence])
            let marked = db.changesCount
            try self.audit(db, actor: actor, action: "outbox retry", detail: try Self.json([
                "subscriber": subscriber, "sequence": sequence.map(String.init) ?? "all", "marked": String(marked)]))
            return marked
        }
    }

    /// Each known subscriber's place, what waits for it and what is parked.
    public func subscriberProgress() throws -> [SubscriberProgress] {
        try reading { db in
            try Row.fetchAll(db, sql: """
                SELECT s.name, s.delivered_through, (SELECT count(*) FROM outbox_parked p WHERE p.subscriber = s.name)
                FROM outbox_subscriber s ORDER BY s.name
                """).map { row in
                let through: Int64 = row[1]
                let waiting = try Int.fetchOne(db, sql: "SELECT count(*) FROM outbox WHERE sequence > ?", arguments: [through]) ?? 0
                return SubscriberProgress(subscriber: row[0], deliveredThrough: through, waiting: waiting, parked: row[2])
            }
        }
    }

    /// Deletes the entries no subscriber can still be sent: those every known subscriber has passed
    /// (all of them when there is none: a subscriber met later starts at the newest entry), keeping
    /// parked ones for `retryParked`. Returns how many went. Audited with the operator's name.
    @discardableResult
    public func pruneOutbox(actor: String) throws -> Int {
        try writing { db in
            let newest = try Int64.fetchOne(db, sql: "SELECT max(sequence) FROM outbox") ?? 0
            let through = try Int64.fetchOne(db, sql: "SELECT min(delivered_through) FROM outbox_subscriber") ?? newest
            // The newest entry stays, so the sequence numbers go on from it (AUTOINCREMENT keeps them
            // increasing anyway; this keeps `latestChangeSequence` meaningful).
            try db.execute(sql: """
                DELETE FROM outbox WHERE sequence <= ? AND sequence < ? AND sequence NOT IN (SELECT sequence FROM outbox_parked)
                """, arguments: [through, newest])
            let pruned = db.changesCount
            try self.audit(db, actor: actor, action: "outbox prune", detail: try Self.json(["through": String(through), "pruned": String(pruned)]))
            return pruned
        }
    }

    private static func change(_ row: Row) -> IdentityChange {
        IdentityChange(sequence: row[0], at: row[1], event: IdentityChange.Event(rawValue: row[2]) ?? .updated,
                       enterpriseId: id(row[3]), otherId: (row[4] as Int64?).map(id),
                       cause: IdentityChange.Cause(rawValue: row[5]) ?? .registration, actor: row[6], records: records(row[7]))
    }
}
