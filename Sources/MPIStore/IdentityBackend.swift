public import MPICore

/// What the lookup service needs of an identity store: a snapshot to load its index from, the
/// single-record changes registrations, updates and merges make (each one transaction, audited), the
/// review queue and steward decisions, and batches of lookup audit entries.
///
/// `IdentityStore` (SQLite) is the one backend so far. The service (`MPIService`) speaks only to this
/// protocol, and its types are the core's values and the store's plain value types, so a second
/// backend (PostgreSQL, for several service instances sharing one index) can follow without touching
/// the core or the service. A backend must give the same guarantees:
/// - each change is one transaction, its audit entry in it;
/// - one source record belongs to one person at any time;
/// - enterprise ids are never reused;
/// - a snapshot is consistent: one moment's records, persons, decisions and model.
public protocol IdentityBackend: Sendable {
    /// Everything the live index is built from, read in one consistent snapshot.
    func liveSnapshot() throws -> LiveSnapshot
    /// The latest link run's model version; nil before the first. A change means persons changed.
    func latestModelVersion() throws -> Int64?
    /// One record as the live index holds it: its normalised form, whether it is active, its person.
    func liveRecord(_ key: RecordKey) throws -> (record: NormalizedRecord, active: Bool, person: EnterpriseID?)?
    /// A record's columns and values as it was received (for answers that return what was registered).
    func rawRecord(_ key: RecordKey) throws -> [String: String]?
    /// Every retired enterprise id and the id it was merged into.
    func retiredPersons() throws -> [EnterpriseID: EnterpriseID]

    /// Stores a registered or updated record and places it in `person` (a new person when nil), with
    /// the review items found while placing it, in one transaction.
    func register(_ record: StoredRecord, person: EnterpriseID?, review: [ReviewEntry], modelVersion: Int64?, actor: String,
                  action: String) throws -> RegistrationChange
    /// Places a stored record that has no person yet.
    func assign(_ key: RecordKey, person: EnterpriseID?, review: [ReviewEntry], modelVersion: Int64?,
                actor: String) throws -> RegistrationChange
    /// A source's merge: `retired` is the same patient as `survivor`; nil when either is unknown.
    func mergeRecords(survivor: RecordKey, retired: RecordKey, actor: String) throws -> (person: EnterpriseID, retiredPerson: EnterpriseID?)?

    func reviewQueue(limit: Int) throws -> [ReviewEntry]
    func reviewItem(_ id: Int64) throws -> ReviewEntry?
    func decide(_ left: RecordKey, _ right: RecordKey, _ kind: DecisionKind, reason: String, steward: String) throws
    /// The latest decision per pair.
    func decisions() throws -> [StewardDecision]

    /// Lookup audit entries, written in batches (the service's `AuditBuffer`).
    func appendAudit(_ events: [AuditEvent]) throws
}

extension IdentityStore: IdentityBackend {}
