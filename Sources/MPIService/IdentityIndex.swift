public import MPICore
public import MPINormalize
public import MPIStore
import Foundation
import Synchronization

/// The live index behind the lookup service: every active record in memory with its blocking values,
/// its person and the model, so that a lookup never scans and a registration is linked exactly as
/// `mpi link` links (same normalisers, blocking rules, model, term frequencies and clustering
/// safeguards; see `RealTimeLinking`).
///
/// Reads (resolve, match) take a short lock on the in-memory state. Registrations are serialised: one
/// at a time decides, writes to the store (durably, before the answer) and then updates memory, so
/// memory never shows what the store does not hold.
public final class IdentityIndex: Sendable {
    private let store: any IdentityBackend
    private let builder: MatchRecordBuilder
    private let normalizer: DemographicsNormalizer
    private let state: Mutex<State>
    private let registration = Mutex(())
    /// Settings given at start (`mpi serve --job`), kept over reloads; nil: the store's.
    private let givenSettings: LinkSettings?
    /// While a reload builds its new state: the records this index changed meanwhile, to carry over.
    private let changedDuringReload = Mutex<[RecordKey]?>(nil)
    /// The newest outbox entry the index reflects, for following other writers (`followChanges`).
    private let followedThrough: Mutex<Int64>
    /// Other processes register into the same store (`mpi serve --replica`): each registration then
    /// catches up on their changes and decides under the store's registration lock.
    private let followsOtherWriters: Bool
    public let audit: AuditBuffer

    /// The blocking rules and thresholds registrations are placed with.
    public var settings: LinkSettings { state.withLock { $0.settings } }
    /// The model version the index was loaded from (the store's latest link run when it loaded).
    public var modelVersion: Int64? { state.withLock { $0.modelVersion } }

    /// Loads the index from the store: the latest model and its settings (or `settings` when given).
    public init(store: any IdentityBackend, builder: MatchRecordBuilder, settings given: LinkSettings? = nil, today: CalendarDate,
                followsOtherWriters: Bool = false) throws {
        self.store = store
        self.followsOtherWriters = followsOtherWriters
        self.builder = builder
        givenSettings = given
        normalizer = try DemographicsNormalizer(today: today)
        audit = AuditBuffer(store: store)
        let snapshot = try store.liveSnapshot()
        followedThrough = Mutex(snapshot.outboxSequence)
        state = Mutex(try Self.load(snapshot, builder: builder, given: given))
    }

    /// A state built from a snapshot of the store.
    private static func load(_ snapshot: LiveSnapshot, builder: MatchRecordBuilder, given: LinkSettings?) throws -> State {
        guard let model = snapshot.model else {
            throw ServiceError(.notReady, "the store has no model yet: run `mpi link JOB --db PATH` first")
        }
        guard let settings = given ?? snapshot.settings else {
            throw ServiceError(.notReady, "the store's model has no link settings: re-run `mpi link JOB --db PATH` or pass --job")
        }
        return State(snapshot: snapshot, model: model, settings: settings, builder: builder)
    }

    // MARK: reload

    /// True when a link run has committed persons since the index loaded (another process, `mpi link`).
    public func storeHasNewerLinkRun() throws -> Bool {
        try store.latestModelVersion() != modelVersion
    }

    /// Rebuilds the index from the store, as a restart would, without stopping: lookups keep answering
    /// from the old state and registrations keep being placed until the new state replaces it. The
    /// records this index changes meanwhile are read back from the store into the new state before
    /// the swap, so nothing registered during a reload is lost. Blocks its caller for as long as loading
    /// takes (12.5 s for a million records): call it off the request path.
    ///
    /// - Parameter beforeSwap: runs after the new state is built and before it is completed and swapped
    ///   in (tests register a record there).
    public func reload(beforeSwap: () throws -> Void = {}) throws {
        registration.withLock { _ in changedDuringReload.withLock { $0 = [] } }
        var fresh: State?
        var snapshotSequence: Int64 = 0
        do {
            let snapshot = try store.liveSnapshot()
            snapshotSequence = snapshot.outboxSequence
            fresh = try Self.load(snapshot, builder: builder, given: givenSettings)
            try beforeSwap()
        } catch {
            changedDuringReload.withLock { $0 = nil }
            throw error
        }
        try registration.withLock { _ throws in
            let changed = changedDuringReload.withLock { changed in
                defer { changed = nil }
                return changed ?? []
            }
            for key in Set(changed).sorted() { try carryOver(key, into: &fresh!) }
            // Merges retire persons and decisions change constraints: both are small, read them whole.
            fresh!.followRetirements(try store.retiredPersons())
            fresh!.setDecisions(try store.decisions())
            state.withLock { $0 = fresh.take()! }
            followedThrough.withLock { $0 = max($0, snapshotSequence) }
        }
    }

    // MARK: following other writers

    /// Wake-ups when other writers commit changes (`ChangeFollower`); nil when the store gives none.
    func changeWakeUps() throws -> ChangeWakeUps? { try store.changeWakeUps() }

    /// Applies what other writers of the store (replicas of the service on one PostgreSQL database)
    /// changed since the index last looked: the outbox entries after its place, up to `limit`. Each
    /// entry's records are read back as the store holds them now and replace what memory holds, a
    /// merge's retired id redirects, and a steward's or a source's decision constrains later
    /// placements. Link runs' entries are left to `StoreWatcher`, which reloads the whole index.
    ///
    /// Runs under the registration lock: a registration here commits and updates memory inside it, so
    /// a record read back here can never overwrite a newer one this index wrote. Entries this index
    /// wrote itself are read back too, which changes nothing. Returns how many entries it went past.
    @discardableResult
    public func followChanges(limit: Int = 1000) throws -> Int {
        try registration.withLock { _ throws -> Int in try applyOtherWritersChanges(limit: limit) }
    }

    /// `followChanges`, with the registration lock held by the caller.
    private func applyOtherWritersChanges(limit: Int) throws -> Int {
        let after = followedThrough.withLock { $0 }
        let changes = try store.identityChanges(after: after, limit: limit)
        guard let last = changes.last else { return 0 }
        var keys = Set<RecordKey>()
        var persons = Set<Int64>()
        var retirements = false, decisions = false
        for change in changes where change.cause != .linkRun {
            keys.formUnion(change.records)
            persons.insert(Int64(change.enterpriseId.value))
            if let other = change.otherId { persons.insert(Int64(other.value)) }
            if change.event == .merged { retirements = true }
            if change.event == .linked || change.event == .unlinked || change.cause == .sourceMerge { decisions = true }
        }
        // An entry lists a person's records after the change; a record that left it (a source's merge
        // makes the retired record inactive) is found by what memory still holds for the person.
        state.withLock { state in
            for person in persons { keys.formUnion(Self.person(person, redirectedFrom: nil, in: state).records) }
        }
        // Read the store first, then change memory in one short step: lookups wait for that step only.
        let stored = try keys.sorted().map { key in (key, try store.liveRecord(key)) }
        let retired = retirements ? try store.retiredPersons() : nil
        let decided = decisions ? try store.decisions() : nil
        state.withLock { state in
            for (key, record) in stored {
                if let record, record.active {
                    state.put(builder.build(record.record), person: record.person.map { Int64($0.value) })
                } else {
                    state.remove(key)
                }
            }
            if let retired { state.followRetirements(retired) }
            if let decided { state.setDecisions(decided) }
        }
        for key in keys { noteChanged(key) }
        followedThrough.withLock { $0 = max($0, last.sequence) }
        return changes.count
    }

    /// Notes a record this index changed, when a reload is building its new state.
    private func noteChanged(_ keys: RecordKey...) {
        changedDuringReload.withLock { $0?.append(contentsOf: keys) }
    }

    /// Puts the record's current stored form and person into `state`, replacing what it held.
    private func carryOver(_ key: RecordKey, into state: inout State) throws {
        if let stored = try store.liveRecord(key), stored.active {
            state.put(builder.build(stored.record), person: stored.person.map { Int64($0.value) })
        } else {
            state.remove(key)
        }
    }

    public var recordCount: Int { state.withLock { $0.indexOfKey.count } }

    /// True when the index holds the record (not a lookup: nothing is audited).
    public func holds(_ key: RecordKey) -> Bool { state.withLock { $0.indexOfKey[key] != nil } }

    // MARK: resolve

    /// An identifier a client can ask about.
    public enum Identifier: Sendable, Hashable {
        case record(RecordKey)
        case nhsNumber(String)
        case enterprise(EnterpriseID)
    }

    /// A person and every identifier it has.
    public struct Person: Sendable, Hashable, Codable {
        public let enterpriseId: String
        /// The retired id asked about, when the person was found through a redirect.
        public let redirectedFrom: String?
        public let records: [RecordKey]
        public let nhsNumbers: [String]
        /// Those of `nhsNumbers` a record holds as verified (NHS number status 01, traced against PDS).
        /// For FHIR's verification-status extension; not part of the socket protocols' answers.
        public var verifiedNHSNumbers: [String] = []

        enum CodingKeys: String, CodingKey { case enterpriseId, redirectedFrom, records, nhsNumbers }
    }

    /// The persons an identifier names: one for a record or an enterprise id; for an NHS number, each
    /// person holding it (normally one; several is a data quality problem the caller should see).
    public func resolve(_ identifier: Identifier, actor: String) -> [Person] {
        let persons: [Person] = state.withLock { state in
            switch identifier {
            case .record(let key):
                guard let index = state.indexOfKey[key], state.personOf[Int(index)] >= 0 else { return [] }
                return [Self.person(state.personOf[Int(index)], redirectedFrom: nil, in: state)]
            case .nhsNumber(let text):
                guard let number = UInt64(text.filter(\.isNumber)), text.filter(\.isNumber).count == 10 else { return [] }
                let ids = Set((state.byNHSNumber[number] ?? []).filter { state.alive[Int($0)] }.map { state.personOf[Int($0)] }.filter { $0 >= 0 })
                return ids.sorted().map { Self.person($0, redirectedFrom: nil, in: state) }
            case .enterprise(let id):
                var current = Int64(id.value)
                var hops = 0
                while let next = state.retiredInto[current], hops < 100 { current = next; hops += 1 }
                guard state.members[current] != nil else { return [] }
                return [Self.person(current, redirectedFrom: hops > 0 ? id.description : nil, in: state)]
            }
        }
        audit.record(actor: actor, action: "resolve", detail: ["query": Self.describe(identifier),
                                                               "enterpriseId": persons.map(\.enterpriseId).joined(separator: " ")])
        return persons
    }

    private static func describe(_ identifier: Identifier) -> String {
        switch identifier {
        case .record(let key): key.description
        case .nhsNumber: "NHS number"   // the number itself is an identifier: it goes to the audit trail only as a lookup kind
        case .enterprise(let id): id.description
        }
    }

    private static func person(_ id: Int64, redirectedFrom: String?, in state: borrowing State) -> Person {
        var keys: [RecordKey] = []
        var numbers = Set<UInt64>(), verified = Set<UInt64>()
        for index in state.members[id] ?? [] where state.alive[Int(index)] {
            keys.append(state.records[Int(index)].key)   // no copy of the whole record
            if let number = state.records[Int(index)].nhsNumber {
                numbers.insert(number)
                if state.records[Int(index)].nhsNumberVerified { verified.insert(number) }
            }
        }
        var person = Person(enterpriseId: EnterpriseID(value: UInt64(id)).description, redirectedFrom: redirectedFrom,
                            records: keys.sorted(), nhsNumbers: numbers.sorted().map(NHSNumber.digits(of:)))
        person.verifiedNHSNumbers = verified.sorted().map(NHSNumber.digits(of:))
        return person
    }

    // MARK: match

    public typealias Grade = MatchGrade

    public struct Candidate: Sendable, Hashable, Codable {
        public let enterpriseId: String
        /// The person's record that scored best.
        public let record: RecordKey
        public let probability: Double
        public let matchWeight: Double
        public let grade: Grade
        public let explanation: Explanation
        public let person: Person
        /// The best record's normalised demographics (for a PDQ answer's PID segment).
        public let demographics: RecordSummary
    }

    /// A record's normalised demographics as text.
    public struct RecordSummary: Sendable, Hashable, Codable {
        public let family: String
        public let given: String
        public let dateOfBirth: String?
        public let sex: String?
        public let postcode: String?

        init(_ record: MatchRecord) {
            family = String(decoding: record.family, as: UTF8.self)
            given = String(decoding: record.given, as: UTF8.self)
            dateOfBirth = record.dateOfBirth.map { date in
                switch date.precision {
                case .day: String(format: "%04d-%02d-%02d", date.year, date.month, date.day)
                case .month: String(format: "%04d-%02d", date.year, date.month)
                case .year: String(format: "%04d", date.year)
                }
            }
            sex = record.sex?.rawValue
            postcode = record.postcodeUnit.isEmpty ? nil : String(decoding: record.postcodeUnit, as: UTF8.self)
        }
    }

    /// Persons matching demographics, best first (one line per person: its best-scoring record).
    /// Candidates are found by the link settings' blocking rules, so a search sees the pairs a link
    /// run would; when the demographics give no value any rule blocks on, nothing is found.
    public func match(_ demographics: PatientDemographics, dateFormat: DateFormat = .iso, limit: Int, actor: String) throws -> [Candidate] {
        let query = try builder.build(normalizer.normalize(demographics, source: "QUERY", recordId: "query", dateFormat: dateFormat).record)
        let thresholds = settings.thresholds
        let candidates: [Candidate] = state.withLock { state in
            var found = state.blocking.candidates(for: query).candidates
            if found.isEmpty { found = state.search.candidates(for: query).candidates }
            let linked = found.map(Int.init).filter { state.alive[$0] && state.personOf[$0] >= 0 }
            return PersonRanking.rank(query, candidates: linked, record: { state.records[$0] }, person: { state.personOf[$0] },
                                      scorer: state.scorer, thresholds: thresholds, limit: limit).map { ranked in
                Candidate(enterpriseId: EnterpriseID(value: UInt64(ranked.person!)).description, record: state.records[ranked.record].key,
                          probability: ranked.explanation.probability, matchWeight: ranked.explanation.matchWeight, grade: ranked.grade,
                          explanation: ranked.explanation, person: Self.person(ranked.person!, redirectedFrom: nil, in: state),
                          demographics: RecordSummary(state.records[ranked.record]))
            }
        }
        audit.record(actor: actor, action: "match", detail: ["candidates": String(candidates.count),
                                                             "enterpriseId": candidates.first?.enterpriseId ?? ""])
        return candidates
    }

    /// A person as a certain candidate (a PDQ by local identifier): its first record's demographics.
    public func summaryCandidate(for person: Person) -> Candidate? {
        state.withLock { state in
            guard let first = person.records.first, let index = state.indexOfKey[first] else { return nil }
            // Found by identifier, not scored: no comparisons to explain.
            let explanation = Explanation(priorWeight: 0, steps: [], matchWeight: 0, probability: 1)
            return Candidate(enterpriseId: person.enterpriseId, record: first, probability: 1, matchWeight: 0, grade: .certain,
                             explanation: explanation, person: person, demographics: RecordSummary(state.records[Int(index)]))
        }
    }

    // MARK: register

    public struct RegistrationOutcome: Sendable, Hashable, Codable {
        /// What a registration did; its raw value is what the JSON protocol answers.
        public enum Outcome: String, Sendable, Hashable, Codable {
            /// A new person.
            case created
            /// Joined an existing person.
            case linked
            /// The same record with new values.
            case updated
            /// A resend of what the store holds.
            case unchanged
        }

        public let enterpriseId: String
        public let record: RecordKey
        public let outcome: Outcome
        /// The probability of the link that placed the record, when it joined a person.
        public let probability: Double?
        /// Pairs sent to the review queue instead of being linked, with why.
        public let review: [ReviewNote]
        /// Fields the normalisers rejected (kept out of matching), with why.
        public let rejectedFields: [String]
    }

    public struct ReviewNote: Sendable, Hashable, Codable {
        public let record: RecordKey
        public let enterpriseId: String
        public let probability: Double
        public let reason: ReviewReason
    }

    /// Registers (or updates) a source record: normalise, block against the live index, score with
    /// the model, and place it with `RealTimeLinking`. Durable in the store before it returns.
    public func register(source: String, recordId: String, demographics: PatientDemographics, dateFormat: DateFormat = .iso,
                         actor: String) throws -> RegistrationOutcome {
        let row = try normalizer.normalize(demographics, source: source, recordId: recordId, dateFormat: dateFormat)
        let built = builder.build(row.record)
        let rejected = row.rejections.map { "\($0.field): \($0.reason)" }
        return try registration.withLock { _ throws -> RegistrationOutcome in
            guard followsOtherWriters else { return try place(built, row: row, rejected: rejected, actor: actor) }
            // Other replicas write too: decide only once their registrations so far are in memory.
            return try store.whileDecidingRegistration {
                while try applyOtherWritersChanges(limit: 1000) == 1000 {}
                return try place(built, row: row, rejected: rejected, actor: actor)
            }
        }
    }

    /// Decides where a registered record goes, writes it durably, then shows it: the registration
    /// lock is held by the caller.
    private func place(_ built: MatchRecord, row: NormalizedRow, rejected: [String], actor: String) throws -> RegistrationOutcome {
        let key = built.key
        // Decide, reading memory.
        let (record, plan) = state.withLock { state -> (MatchRecord, Plan) in
            let record = self.asMatched(built, in: state)
            return (record, self.plan(for: record, in: state))
        }
        if case .unchanged(let person) = plan.kind {
            return RegistrationOutcome(enterpriseId: EnterpriseID(value: UInt64(person)).description, record: key, outcome: .unchanged,
                                       probability: nil, review: [], rejectedFields: rejected)
        }
        let reviewEntries = plan.review.map {
            ReviewEntry(left: key, right: $0.key, matchWeight: $0.weight, probability: $0.probability, reason: $0.reason.rawValue)
        }
        // Write, durably.
        let stored = StoredRecord(key: key, raw: row.raw, normalized: row.record)
        let written = try store.register(stored, person: plan.person.map { EnterpriseID(value: UInt64($0)) }, review: reviewEntries, modelVersion: modelVersion, actor: actor,
                                         action: plan.existing == nil ? "register" : "update")
        noteChanged(key)
        // Then show it.
        let person = Int64(written.enterpriseId.value)
        state.withLock { state in
            state.put(record, person: person)
            if let retired = written.retired { state.retire(Int64(retired.value), into: person) }
        }
        let outcome: RegistrationOutcome.Outcome = plan.existing != nil ? .updated : written.minted ? .created : .linked
        let persons = state.withLock { state in
            plan.review.map { EnterpriseID(value: UInt64(max(state.personOf[Int(state.indexOfKey[$0.key] ?? 0)], 0))).description }
        }
        return RegistrationOutcome(
            enterpriseId: written.enterpriseId.description, record: key, outcome: outcome,
            probability: plan.probability,
            review: zip(plan.review, persons).map { ReviewNote(record: $0.key, enterpriseId: $1, probability: $0.probability, reason: $0.reason) },
            rejectedFields: rejected)
    }

    /// Places a record the index already holds but no person does yet, exactly as a registration of
    /// it would: the replay behind `mpi agreement`, which measures real-time against batch linking.
    /// Returns the record's enterprise id.
    public func replay(_ key: RecordKey, actor: String) throws -> EnterpriseID {
        try registration.withLock { _ throws -> EnterpriseID in
            let planned = state.withLock { state -> (index: Int32, plan: Plan)? in
                guard let index = state.indexOfKey[key], state.personOf[Int(index)] < 0 else { return nil }
                return (index, self.plan(for: state.records[Int(index)], in: state))
            }
            guard let (index, plan) = planned else { throw ServiceError(.invalidRequest, "\(key) is not waiting to be placed") }
            let review = plan.review.map {
                ReviewEntry(left: key, right: $0.key, matchWeight: $0.weight, probability: $0.probability, reason: $0.reason.rawValue)
            }
            let written = try store.assign(key, person: plan.person.map { EnterpriseID(value: UInt64($0)) }, review: review,
                                           modelVersion: modelVersion, actor: actor)
            noteChanged(key)
            state.withLock { state in state.assign(index, to: Int64(written.enterpriseId.value)) }
            return written.enterpriseId
        }
    }

    private struct Plan {
        enum Kind { case place, unchanged(Int64) }
        var kind: Kind = .place
        var existing: Int32?
        var person: Int64?
        var probability: Double?
        var review: [(key: RecordKey, weight: Double, probability: Double, reason: ReviewReason)] = []
    }

    /// The record as a batch run would match it: an unnamed newborn registered under a parent's NHS
    /// number (another record holds the number with a date of birth twelve years earlier) without it.
    private func asMatched(_ record: MatchRecord, in state: borrowing State) -> MatchRecord {
        guard record.isPlaceholder, let number = record.nhsNumber else { return record }
        for holder in state.byNHSNumber[number] ?? [] where state.alive[Int(holder)] {
            if NHSNumberSharing.isParentsNumber(of: record, heldBy: state.records[Int(holder)]) {
                return NHSNumberSharing.droppingNHSNumber(record)
            }
        }
        return record
    }

    private func plan(for record: MatchRecord, in state: borrowing State) -> Plan {
        var plan = Plan()
        plan.existing = state.indexOfKey[record.key]
        if let existing = plan.existing, state.records[Int(existing)] == record, state.personOf[Int(existing)] >= 0 {
            plan.kind = .unchanged(state.personOf[Int(existing)])
            return plan
        }
        var levels = [UInt8](repeating: 0, count: state.scorer.kinds.count)
        var candidates: [RealTimeLinking.Candidate] = []
        for index in state.blocking.candidates(for: record).candidates where state.alive[Int(index)] && index != plan.existing {
            let other = state.records[Int(index)]
            let person = state.personOf[Int(index)]
            guard person >= 0 else { continue }
            state.scorer.levels(record, other, into: &levels)
            let weight = state.scorer.weight(levels: levels, record, other)
            candidates.append(.init(record: index, person: person, weight: weight, probability: Scorer.probability(weight: weight),
                                    conflictingForenames: state.scorer.hasConflictingForenames(levels, record, other),
                                    identityConfirmed: state.scorer.confirmsIdentity(levels), placeholder: other.isPlaceholder))
        }
        var members: [Int64: [RealTimeLinking.Member]] = [:]
        for person in Set(candidates.map(\.person)) {
            members[person] = (state.members[person] ?? []).filter { state.alive[Int($0)] && $0 != plan.existing }
                .map { .init(record: $0, nhsNumber: state.records[Int($0)].nhsNumber) }
        }
        func indexes(_ keys: Set<RecordKey>?) -> Set<Int32> { Set((keys ?? []).compactMap { state.indexOfKey[$0] }) }
        let decision = RealTimeLinking.assign(newRecordIsPlaceholder: record.isPlaceholder, newNHSNumber: record.nhsNumber,
                                              candidates: candidates, members: members, thresholds: state.settings.thresholds,
                                              linked: indexes(state.linked[record.key]), unlinked: indexes(state.unlinked[record.key]))
        plan.person = decision.person
        if let person = decision.person {
            plan.probability = candidates.filter { $0.person == person }.map(\.probability).max()
        }
        plan.review = decision.review.map { (state.records[Int($0.candidate.record)].key, $0.candidate.weight, $0.candidate.probability, $0.reason) }
        return plan
    }

    /// A record's demographics as registered, for a PDQ answer: a record registered through this service
    /// exactly as it was sent (the stored raw values, not the normalised ones: "Quintero-Blake", middle
    /// names, street, town, phone); a record imported from an extract, whose columns are the source's
    /// own, as normalised.
    public func registeredDemographics(_ key: RecordKey) -> PatientDemographics? {
        if let raw = try? store.rawRecord(key), let sent = PatientDemographics(registeredRow: raw) { return sent }
        return (try? store.liveRecord(key)).flatMap { $0.map { PatientDemographics(normalized: $0.record) } }
    }

    // MARK: review

    /// Two records as the model sees them, and why they scored as they did (for the review page).
    public func explain(_ left: RecordKey, _ right: RecordKey) -> (explanation: Explanation, kinds: [ComparisonKind], left: MatchRecord, right: MatchRecord)? {
        state.withLock { state in
            guard let a = state.indexOfKey[left], let b = state.indexOfKey[right] else { return nil }
            let x = state.records[Int(a)], y = state.records[Int(b)]
            return (state.scorer.explain(x, y), state.scorer.kinds, x, y)
        }
    }

    /// The records of the person a record belongs to now (at most `limit`), for showing a held
    /// cluster whole.
    public func personRecords(of key: RecordKey, limit: Int = 12) -> [MatchRecord] {
        state.withLock { state in
            guard let index = state.indexOfKey[key], state.personOf[Int(index)] >= 0 else { return [] }
            return (state.members[state.personOf[Int(index)]] ?? []).filter { state.alive[Int($0)] }.prefix(limit).map { state.records[Int($0)] }
        }
    }

    /// The person each record belongs to now.
    public func enterpriseId(of key: RecordKey) -> String? {
        state.withLock { state in
            guard let index = state.indexOfKey[key], state.personOf[Int(index)] >= 0 else { return nil }
            return EnterpriseID(value: UInt64(state.personOf[Int(index)])).description
        }
    }

    /// A steward's decision, recorded in the store and honoured by every later registration.
    public func decide(_ left: RecordKey, _ right: RecordKey, _ kind: DecisionKind, reason: String, steward: String) throws {
        try registration.withLock { _ throws in
            try store.decide(left, right, kind, reason: reason, steward: steward)
            state.withLock { state in state.recordDecision(left, right, kind) }
        }
    }

    public func reviewQueue(limit: Int) throws -> [ReviewEntry] { try store.reviewQueue(limit: limit) }
    public func reviewItem(_ id: Int64) throws -> ReviewEntry? { try store.reviewItem(id) }

    // MARK: merge

    /// A source's merge (HL7 A40): `retired` is the same patient as `survivor`. Both must be known.
    public func merge(survivor: RecordKey, retired: RecordKey, actor: String) throws -> Person {
        try registration.withLock { _ throws -> Person in
            let known = state.withLock { state in state.indexOfKey[survivor] != nil && state.indexOfKey[retired] != nil }
            guard known, let result = try store.mergeRecords(survivor: survivor, retired: retired, actor: actor) else {
                throw ServiceError(.unknownIdentifier, "both records of a merge must be known: \(survivor) and \(retired)")
            }
            noteChanged(survivor, retired)
            let person = Int64(result.person.value)
            return state.withLock { state in
                if let gone = result.retiredPerson { state.retire(Int64(gone.value), into: person) }
                state.remove(retired)
                state.recordDecision(survivor, retired, .link)
                return Self.person(person, redirectedFrom: nil, in: state)
            }
        }
    }
}
