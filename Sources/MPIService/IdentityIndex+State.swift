import MPICore
import MPINormalize
import MPIStore

extension IdentityIndex {
    /// Everything the live index holds, as one value: every record (by slot) with its person and its
    /// entries in the blocking, search and NHS-number indexes, and the steward decisions. Its fields
    /// are changed only through the mutating operations below, so the invariants live here:
    /// - a slot is alive exactly when `indexOfKey` maps its record's key to it;
    /// - an alive slot's record is in `blocking`, `search` and `byNHSNumber`, and in `members` of its
    ///   person when it has one (`personOf` -1 when not);
    /// - a retired person has no members, and `retiredInto` says where it went.
    struct State: ~Copyable {
        private(set) var settings: LinkSettings
        private(set) var modelVersion: Int64?
        private(set) var records: [MatchRecord]
        private(set) var alive: [Bool]
        private(set) var indexOfKey: [RecordKey: Int32]
        /// Enterprise id of each record (by slot), -1 for none.
        private(set) var personOf: [Int64]
        private(set) var members: [Int64: [Int32]]
        private(set) var retiredInto: [Int64: Int64]
        private(set) var byNHSNumber: [UInt64: [Int32]]
        private(set) var blocking: BlockingIndex
        /// Single-field keys for searches whose demographics give no value the link rules block on
        /// (a PDQ by surname alone); never used to place a registration.
        private(set) var search: BlockingIndex
        private(set) var scorer: Scorer
        private(set) var linked: [RecordKey: Set<RecordKey>] = [:]
        private(set) var unlinked: [RecordKey: Set<RecordKey>] = [:]

        /// Keys a search falls back on, and the largest block it will score (a common surname alone
        /// is too broad to rank usefully: the caller should add a forename or a date of birth).
        static let searchRules = ["nhs_number", "surname", "date_of_birth", "year_of_birth", "postcode", "forename"]
            .compactMap { BlockingKey(parsing: $0) }.map { BlockingRule([$0]) }
        static let searchBlockLimit = 2_000

        /// The state of a store's snapshot, linked with `model` and `settings`.
        init(snapshot: LiveSnapshot, model: LinkageModel, settings: LinkSettings, builder: MatchRecordBuilder) {
            let sharing = ValueSharing()   // equal values one array across the index (most names and postcodes repeat)
            var records = snapshot.records.map { builder.build($0, sharing: sharing) }
            for index in NHSNumberSharing.newbornsUnderAParentsNumber(records) {   // as a batch run matches them
                records[index] = NHSNumberSharing.droppingNHSNumber(records[index])
            }
            self.settings = settings
            modelVersion = snapshot.modelVersion
            self.records = records
            alive = Array(repeating: true, count: records.count)
            indexOfKey = [:]
            indexOfKey.reserveCapacity(records.count)
            personOf = Array(repeating: -1, count: records.count)
            members = [:]
            byNHSNumber = [:]
            for (index, record) in records.enumerated() {
                indexOfKey[record.key] = Int32(index)
                if let person = snapshot.memberships[record.key].map(Self.number) {
                    personOf[index] = person
                    members[person, default: []].append(Int32(index))
                }
                if let nhs = record.nhsNumber { byNHSNumber[nhs, default: []].append(Int32(index)) }
            }
            retiredInto = Self.numbers(snapshot.retiredInto)
            blocking = BlockingIndex(records: records, rules: settings.rules, maximumBlockSize: settings.maximumBlockSize)
            search = BlockingIndex(records: records, rules: Self.searchRules, maximumBlockSize: Self.searchBlockLimit)
            scorer = Scorer(model: model, termFrequencies: Scorer.termFrequencies(for: model, records: records))
            setDecisions(snapshot.decisions)
        }

        /// The person of an alive record, if it has one.
        func person(of key: RecordKey) -> Int64? {
            guard let index = indexOfKey[key], personOf[Int(index)] >= 0 else { return nil }
            return personOf[Int(index)]
        }

        /// Puts a record in the index with its person (none when nil): a record already held keeps its
        /// slot, its old values leaving every index; a new one takes a new slot and counts in the term
        /// frequencies. Returns the slot.
        @discardableResult
        mutating func put(_ record: MatchRecord, person: Int64?) -> Int32 {
            let index: Int32
            if let existing = indexOfKey[record.key] {
                index = existing
                unindex(existing)
                records[Int(existing)] = record
            } else {
                index = Int32(records.count)
                records.append(record)
                alive.append(true)
                personOf.append(-1)
                indexOfKey[record.key] = index
                scorer.addTermFrequencies(of: record)
            }
            alive[Int(index)] = true
            personOf[Int(index)] = person ?? -1
            if let person { members[person, default: []].append(index) }
            if let nhs = record.nhsNumber { byNHSNumber[nhs, default: []].append(index) }
            blocking.insert(record, at: index)
            search.insert(record, at: index)
            return index
        }

        /// Takes a record out (inactive, or retired by a source's merge); nothing when not held.
        mutating func remove(_ key: RecordKey) {
            guard let index = indexOfKey[key] else { return }
            unindex(index)
            alive[Int(index)] = false
            personOf[Int(index)] = -1
            indexOfKey[key] = nil
        }

        /// Places a held record that has no person yet (the replay behind `mpi agreement`).
        mutating func assign(_ index: Int32, to person: Int64) {
            personOf[Int(index)] = person
            members[person, default: []].append(index)
        }

        /// A person merged into another: its records move to `survivor`, and its id redirects there.
        mutating func retire(_ gone: Int64, into survivor: Int64) {
            let moved = (members[gone] ?? []).filter { alive[Int($0)] }
            for index in moved { personOf[Int(index)] = survivor }
            if !moved.isEmpty { members[survivor, default: []].append(contentsOf: moved) }
            members[gone] = nil
            retiredInto[gone] = survivor
        }

        /// The store's retired ids after a reload: persons retired since the snapshot are merged here.
        mutating func followRetirements(_ retired: [EnterpriseID: EnterpriseID]) {
            let retired = Self.numbers(retired)
            for (gone, survivor) in retired where retiredInto[gone] == nil { retire(gone, into: survivor) }
            retiredInto = retired
        }

        /// Persons are numbered by their enterprise id's value, so a slot's person fits in an Int64.
        static func number(_ id: EnterpriseID) -> Int64 { Int64(id.value) }

        private static func numbers(_ retired: [EnterpriseID: EnterpriseID]) -> [Int64: Int64] {
            var numbers: [Int64: Int64] = [:]
            for (gone, survivor) in retired { numbers[number(gone)] = number(survivor) }
            return numbers
        }

        /// A steward's decision on two records replaces any earlier one on the same pair.
        mutating func recordDecision(_ left: RecordKey, _ right: RecordKey, _ kind: DecisionKind) {
            linked[left]?.remove(right); linked[right]?.remove(left)
            unlinked[left]?.remove(right); unlinked[right]?.remove(left)
            switch kind {
            case .link: linked[left, default: []].insert(right); linked[right, default: []].insert(left)
            case .unlink: unlinked[left, default: []].insert(right); unlinked[right, default: []].insert(left)
            case .notSure: break
            }
        }

        /// The latest decision on every pair, replacing those held.
        mutating func setDecisions(_ decisions: [StewardDecision]) {
            linked = [:]
            unlinked = [:]
            for decision in decisions { recordDecision(decision.left, decision.right, decision.kind) }
        }

        /// Takes a slot's values out of every index and its person's members.
        private mutating func unindex(_ index: Int32) {
            let previous = records[Int(index)]
            blocking.remove(previous, at: index)
            search.remove(previous, at: index)
            if let nhs = previous.nhsNumber { byNHSNumber[nhs]?.removeAll { $0 == index } }
            let person = personOf[Int(index)]
            if person >= 0 { members[person]?.removeAll { $0 == index } }
        }
    }
}
