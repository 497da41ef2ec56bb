/// Where a newly registered record belongs, decided with the batch clustering's own rules (see
/// `Clustering` and docs/clustering.md), so real-time registration and `mpi link` agree:
/// the new record joins an existing person only through an automatic link that every safeguard allows;
/// it never merges two existing persons (that becomes a review item, `would_merge_persons`), and a pair
/// in the review band becomes a review item, never a link.
public enum RealTimeLinking {
    /// A scored pair between the new record and one candidate record of an existing person.
    public struct Candidate: Sendable {
        public let record: Int32
        public let person: Int64
        public let weight: Double
        public let probability: Double
        public let conflictingForenames: Bool
        /// See `ScoredPair.identityConfirmed`.
        public let identityConfirmed: Bool
        public let placeholder: Bool

        public init(record: Int32, person: Int64, weight: Double, probability: Double, conflictingForenames: Bool,
                    identityConfirmed: Bool = false, placeholder: Bool) {
            self.record = record
            self.person = person
            self.weight = weight
            self.probability = probability
            self.conflictingForenames = conflictingForenames
            self.identityConfirmed = identityConfirmed
            self.placeholder = placeholder
        }
    }

    /// A member of a candidate's person: what the safeguards need to know of it.
    public struct Member: Sendable {
        public let record: Int32
        public let nhsNumber: UInt64?
        public init(record: Int32, nhsNumber: UInt64?) {
            self.record = record
            self.nhsNumber = nhsNumber
        }
    }

    public struct Decision: Sendable {
        /// The person the record joins, or nil for a new person.
        public let person: Int64?
        /// Pairs of (new record, candidate record) a steward should look at, with why.
        public let review: [(candidate: Candidate, reason: ReviewReason)]
    }

    /// - Parameters:
    ///   - members: every member of each candidate's person.
    ///   - linked / unlinked: candidate records a steward has linked to, or unlinked from, the new record.
    public static func assign(newRecordIsPlaceholder: Bool, newNHSNumber: UInt64?, candidates: [Candidate],
                              members: [Int64: [Member]], thresholds: LinkThresholds,
                              linked: Set<Int32> = [], unlinked: Set<Int32> = []) -> Decision {
        // The local problem: index 0 is the new record, then every member of every candidate person.
        var local: [Int32: Int32] = [:]
        var nhs: [UInt64?] = [newNHSNumber]
        var personOfLocal: [Int64?] = [nil]
        var mustLink: [(Int32, Int32)] = []
        for person in Set(candidates.map(\.person)).sorted() {
            var previous: Int32? = nil
            for member in members[person] ?? [] {
                let index = Int32(nhs.count)
                local[member.record] = index
                nhs.append(member.nhsNumber)
                personOfLocal.append(person)
                if let previous { mustLink.append((previous, index)) }   // an existing person stays whole
                previous = index
            }
        }
        let byLocal = Dictionary(candidates.compactMap { c in local[c.record].map { ($0, c) } }, uniquingKeysWith: { a, _ in a })
        let pairs = byLocal.map { index, c in
            ScoredPair(i: 0, j: index, weight: c.weight, probability: c.probability, conflictingForenames: c.conflictingForenames,
                       identityConfirmed: c.identityConfirmed)
        }
        mustLink += linked.compactMap { local[$0].map { (0, $0) } }
        let clusters = Clustering.cluster(
            recordCount: nhs.count, pairs: pairs,
            placeholder: { $0 == 0 ? newRecordIsPlaceholder : (byLocal[$0]?.placeholder ?? false) },
            nhsNumber: { nhs[Int($0)] }, thresholds: thresholds,
            mustLink: mustLink, cannotLink: unlinked.compactMap { local[$0].map { (0, $0) } },
            existing: { $0 != 0 })
        let joined = (1..<nhs.count).first { clusters.personOf[$0] == clusters.personOf[0] }.flatMap { personOfLocal[$0] }
        let review = clusters.review.compactMap { item -> (Candidate, ReviewReason)? in
            guard item.pair.i == 0 || item.pair.j == 0, let candidate = byLocal[item.pair.i == 0 ? item.pair.j : item.pair.i] else { return nil }
            return (candidate, item.reason)
        }
        return Decision(person: joined, review: review)
    }
}
