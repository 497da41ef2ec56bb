public import MPICore

/// An identity store, whatever holds it: what `mpi import`, a link run (batch or incremental), the
/// lookup service, review and audit need of it. Its values are the core's and the store's plain value
/// types (`EnterpriseID`, `LinkageModel`, `LinkSettings`, `ReviewEntry` ...); its one error type is
/// `StoreError`.
///
/// `IdentityStore` (SQLite, embedded, the default) and `PostgresIdentityStore` (MPIStorePostgres, for
/// several service replicas sharing one database) implement it. `MPILinkage` and `MPIService` speak
/// only to this protocol. A backend must give the same guarantees:
/// - each change is one transaction, its audit entry in it;
/// - one source record belongs to one person at any time;
/// - enterprise ids are never reused;
/// - a snapshot is consistent: one moment's records, persons, decisions and model.
public protocol IdentityBackend: Sendable {
    // MARK: import

    /// Stores one identifier domain's records in one transaction (`mpi import`).
    func importSource(code: String, records: [StoredRecord], fullExtract: Bool, actor: String) throws -> ImportSummary

    // MARK: link runs

    /// The latest link run's model and settings; nil before the first run.
    func linkageModel() throws -> LinkageModel?
    func linkSettings() throws -> LinkSettings?
    /// Whether any record has a person yet (a run is incremental only then).
    func hasPersons() throws -> Bool
    /// Active records imported or changed since the last link run.
    func recordsWaitingToBeLinked() throws -> Set<RecordKey>
    /// Every active record.
    func activeRecords() throws -> [NormalizedRecord]
    /// The active ones of these records.
    func activeRecords(_ keys: some Sequence<RecordKey>) throws -> [NormalizedRecord]
    /// Calls `body` with the stored link keys (nil when none) of each active, linked record and a
    /// function giving its key; the bytes are valid only during the call.
    func scanLinkKeys(_ body: (UnsafeRawBufferPointer?, () -> RecordKey) throws -> Void) throws
    /// The persons of these records, with every member of those persons.
    func personsWithMembers(of keys: some Sequence<RecordKey>) throws -> [RecordKey: EnterpriseID]
    /// The person of each of these records that has one.
    func memberships(of keys: some Sequence<RecordKey>) throws -> [RecordKey: EnterpriseID]
    /// Every record's person, in key order, streamed.
    func forEachMembership(_ body: (RecordKey, EnterpriseID) throws -> Void) throws
    /// Writes a run's persons (ids kept, merged, split or minted by `EnterpriseIDPlan`), its model and
    /// settings, link keys and review items in one transaction. With `scope`, only these records'
    /// persons (an incremental run); `scopePersonsWhenRead`, the persons the run found them in, is
    /// where a backend may start reading their persons now (a hint: the result must not depend on it).
    func applyPersons(_ groups: [[RecordKey]], model: LinkageModel, settings: LinkSettings, reason: String, actor: String,
                      scope: Set<RecordKey>?, scopePersonsWhenRead: Set<EnterpriseID>, linkKeys: [(RecordKey, [UInt8])],
                      review: ReviewUpdate?) throws -> LinkApplySummary

    // MARK: the lookup service

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

    // MARK: lookups (each audited)

    /// The person a source record belongs to, with every record and NHS number of that person.
    func resolve(source: String, recordId: String, actor: String) throws -> Resolution?
    /// The person with an enterprise id, following redirects from ids retired by merges.
    func person(_ enterpriseId: EnterpriseID, actor: String) throws -> Resolution?
    /// The normalised records of these keys that the store holds (active or not).
    func normalizedRecords(_ keys: [RecordKey]) throws -> [RecordKey: NormalizedRecord]
    /// Every linked record's person.
    func memberships() throws -> [RecordKey: EnterpriseID]
    /// What the store holds, in counts (`mpi status`).
    func status() throws -> StoreStatus

    // MARK: review

    func reviewQueue(limit: Int) throws -> [ReviewEntry]
    func reviewItem(_ id: Int64) throws -> ReviewEntry?
    func decide(_ left: RecordKey, _ right: RecordKey, _ kind: DecisionKind, reason: String, steward: String) throws
    /// The latest decision per pair.
    func decisions() throws -> [StewardDecision]

    // MARK: audit and lineage

    /// Lookup audit entries, written in batches (the service's `AuditBuffer`).
    func appendAudit(_ events: [AuditEvent]) throws
    /// Audits a demographic search: how many candidates and the top person, never the demographics.
    func recordSearch(candidates: Int, top: EnterpriseID?, actor: String) throws
    /// The audit trail, oldest first; since a time, or about one person.
    func auditTrail(since: String?, person: EnterpriseID?) throws -> [AuditEntry]
    /// An enterprise id's lineage: minted, merged, split.
    func history(_ id: EnterpriseID) throws -> [LineageEntry]

    // MARK: the outbox of identity changes (notifications to subscribers)

    /// Entries after `sequence`, oldest first. Every change above writes its entries in its own
    /// transaction.
    func identityChanges(after sequence: Int64, limit: Int) throws -> [IdentityChange]
    func identityChanges(_ sequences: [Int64]) throws -> [IdentityChange]
    func latestChangeSequence() throws -> Int64
    /// A subscriber's place; one met for the first time starts at the newest entry.
    func deliveredThrough(subscriber: String) throws -> Int64
    func recordDelivery(subscriber: String, through sequence: Int64) throws
    /// A refused entry, parked with its reason; the subscriber's place moves past it.
    func park(subscriber: String, sequence: Int64, controlId: String, reason: String) throws
    func unpark(subscriber: String, sequence: Int64) throws
    func parkedNotifications(subscriber: String?) throws -> [ParkedNotification]
    @discardableResult
    func retryParked(subscriber: String, sequence: Int64?, actor: String) throws -> Int
    func subscriberProgress() throws -> [SubscriberProgress]
    /// Deletes the entries every subscriber has passed (parked ones stay).
    @discardableResult
    func pruneOutbox(actor: String) throws -> Int
    /// How many entries the outbox holds.
    func outboxSize() throws -> Int

    // MARK: several writers

    /// Runs `body` while no other process sharing the store runs its own: a registration's decision
    /// and write at one lookup-service replica, so two replicas never place the same new patient
    /// apart.
    func whileDecidingRegistration<Value>(_ body: () throws -> Value) throws -> Value
    /// Claims the sending of `subscriber`'s notifications for this process without waiting: nil when
    /// another process holds the claim. Of several replicas, one sends to each subscriber; the others
    /// take over when its claim ends (released, or its process gone).
    func claimDelivery(subscriber: String) throws -> DeliveryClaim?
    /// Wake-ups when another process commits identity changes, for a replica following them; nil
    /// when the backend has none to give (SQLite: the follower polls).
    func changeWakeUps() throws -> ChangeWakeUps?
}

extension IdentityStore: IdentityBackend {}

extension IdentityBackend {
    /// The whole audit trail, oldest first.
    public func auditTrail() throws -> [AuditEntry] { try auditTrail(since: nil, person: nil) }
}
