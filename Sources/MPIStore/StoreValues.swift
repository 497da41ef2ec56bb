internal import Foundation
public import MPICore

// The values the store takes and gives, whatever the backend.

/// A pair of records queued for a steward, with how it scored and why it was not linked automatically.
public struct ReviewEntry: Sendable, Hashable, Codable {
    public var id: Int64 = 0
    public let left: RecordKey
    public let right: RecordKey
    public let matchWeight: Double
    public let probability: Double
    public let reason: String

    public init(left: RecordKey, right: RecordKey, matchWeight: Double, probability: Double, reason: String) {
        self.left = left
        self.right = right
        self.matchWeight = matchWeight
        self.probability = probability
        self.reason = reason
    }
}

/// What a steward decided about two records.
public enum DecisionKind: String, Sendable, Hashable, Codable { case link, unlink, notSure = "not_sure" }

/// The latest decision on a pair of records: who, when and why.
public struct StewardDecision: Sendable, Hashable, Codable {
    public let left: RecordKey
    public let right: RecordKey
    public let kind: DecisionKind
    public let steward: String
    public let reason: String
    public let at: String

    package init(left: RecordKey, right: RecordKey, kind: DecisionKind, steward: String, reason: String, at: String) {
        self.left = left
        self.right = right
        self.kind = kind
        self.steward = steward
        self.reason = reason
        self.at = at
    }
}

/// What a link run does to the review queue.
public enum ReviewUpdate: Sendable {
    /// A run over every record: its items replace the queue.
    case replaceAll([ReviewEntry])
    /// An incremental run, which re-scores only pairs with one of these records: its items replace
    /// those involving them; items between other records stay.
    case replaceItemsInvolving(Set<RecordKey>, [ReviewEntry])
}

/// One entry of the audit trail (`mpi audit`).
public struct AuditEntry: Sendable, Hashable, Codable {
    public let at: String
    public let actor: String
    public let action: String
    public let detail: String

    package init(at: String, actor: String, action: String, detail: String) {
        self.at = at
        self.actor = actor
        self.action = action
        self.detail = detail
    }
}

/// One step in an enterprise id's history (`mpi history`): minted, merged, split.
public struct LineageEntry: Sendable, Hashable, Codable {
    public let at: String
    public let action: String
    public let enterpriseId: String
    public let otherId: String?
    public let modelVersion: Int64?
    public let reason: String

    package init(at: String, action: String, enterpriseId: String, otherId: String?, modelVersion: Int64?, reason: String) {
        self.at = at
        self.action = action
        self.enterpriseId = enterpriseId
        self.otherId = otherId
        self.modelVersion = modelVersion
        self.reason = reason
    }
}

/// Everything the live index is built from, read in one snapshot.
public struct LiveSnapshot: Sendable {
    public var records: [NormalizedRecord] = []
    public var memberships: [RecordKey: EnterpriseID] = [:]
    /// Retired enterprise ids and the id each was merged into.
    public var retiredInto: [EnterpriseID: EnterpriseID] = [:]
    public var decisions: [StewardDecision] = []
    public var modelVersion: Int64?
    /// The latest link run's model and settings; nil before the first run.
    public var model: LinkageModel?
    public var settings: LinkSettings?
    /// The newest outbox entry at the snapshot's moment: the changes after it are what a follower of
    /// other writers applies (`IdentityIndex.followChanges`).
    public var outboxSequence: Int64 = 0

    public init() {}
}

/// What a registration (or a replayed placement) changed.
public struct RegistrationChange: Sendable, Hashable {
    public let enterpriseId: EnterpriseID
    public let minted: Bool
    /// The record's person before, when it was an update that moved it.
    public let movedFrom: EnterpriseID?
    /// A person left with no records by the move, retired into `enterpriseId`.
    public let retired: EnterpriseID?

    package init(enterpriseId: EnterpriseID, minted: Bool, movedFrom: EnterpriseID?, retired: EnterpriseID?) {
        self.enterpriseId = enterpriseId
        self.minted = minted
        self.movedFrom = movedFrom
        self.retired = retired
    }
}

/// One audit entry for an action that changed nothing (a lookup).
public struct AuditEvent: Sendable {
    public let actor: String
    public let action: String
    public let detail: [String: String]
    /// Seconds since 1970; formatted when written, off the lookup's path.
    public let time: Double

    public init(actor: String, action: String, detail: [String: String]) {
        self.actor = actor
        self.action = action
        self.detail = detail
        time = Date().timeIntervalSince1970
    }
}

/// Why a store operation failed, in cases a caller can act on. Database errors are wrapped, never
/// passed up as the backend's own types.
public enum StoreError: Error, CustomStringConvertible, Sendable {
    /// A stored record cannot be decoded.
    case corruptRecord
    /// A person was given a record the store does not hold.
    case unknownRecord(RecordKey)
    /// The latest model or its settings cannot be decoded (written by a newer program, or damaged).
    case unreadableModel(String)
    /// Another process held the write lock for longer than the store waits (a long link run): retry later.
    case busy
    /// The disk is full or the store cannot be written (permissions, a read-only file system).
    case cannotWrite(String)
    /// The database file is damaged or is not a store.
    case damaged(String)
    /// Any other database failure, with the database's own message (never a patient's values).
    case database(String)
    /// The store's schema is newer than this program knows (it was upgraded by a newer `mpi`).
    case schemaTooNew(String)
    /// The store's schema is older than this program: `mpi migrate` upgrades it.
    case schemaNeedsMigration(String)
    /// There is no store where one was expected (an empty database).
    case noStore(String)

    public var description: String {
        switch self {
        case .corruptRecord: "a stored record cannot be read"
        case .unknownRecord(let key): "no record \(key) in the store"
        case .unreadableModel(let reason): "the store's latest model cannot be read (\(reason)); re-train it with `mpi link JOB --db DB --relink`"
        case .busy: "the store is busy: another process (a link run?) held its write lock for longer than the store waits; try again"
        case .cannotWrite(let reason): "the store cannot be written: \(reason)"
        case .damaged(let reason): "the store is damaged or is not an identity store: \(reason)"
        case .database(let reason): "database error: \(reason)"
        case .schemaTooNew(let reason): "the store's schema is newer than this program (\(reason)); use the `mpi` that upgraded it"
        case .noStore(let reason): reason
        case .schemaNeedsMigration(let reason): "the store's schema is older than this program (\(reason)); upgrade it with `mpi migrate --db DB`"
        }
    }
}
