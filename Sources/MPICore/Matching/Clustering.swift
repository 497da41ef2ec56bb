/// A scored candidate pair (indexes into the record array, i < j).
///
/// 24 bytes: the two safeguard facts ride in the top bits of the record indexes (which never need
/// them: an index is below 2^31), because a run at a million records holds ten million of these
/// while it clusters, and the two flags alone would round each to 32 bytes.
public struct ScoredPair: Sendable, Hashable {
    private let packedI: UInt32
    private let packedJ: UInt32
    public let weight: Double
    public let probability: Double

    private static let flag: UInt32 = 1 << 31

    public var i: Int32 { Int32(bitPattern: packedI & ~Self.flag) }
    public var j: Int32 { Int32(bitPattern: packedJ & ~Self.flag) }
    /// Both records have a forename and the forenames agree at no level (not even as nicknames,
    /// initials or a middle name): the signature of twins and of relatives sharing a home. Such a pair
    /// is never linked automatically, whatever its score.
    public var conflictingForenames: Bool { packedI & Self.flag != 0 }
    /// An identifier no two people share (a valid NHS number, an `identifier(...)` column) agrees
    /// exactly, and so does the full date of birth: the pair's identity is certain without names. It
    /// lifts the placeholder veto (an unnamed newborn is not an unknown patient).
    public var identityConfirmed: Bool { packedJ & Self.flag != 0 }

    public init(i: Int32, j: Int32, weight: Double, probability: Double, conflictingForenames: Bool = false,
                identityConfirmed: Bool = false) {
        precondition(i >= 0 && j >= 0, "record indexes are not negative")
        packedI = UInt32(i) | (conflictingForenames ? Self.flag : 0)
        packedJ = UInt32(j) | (identityConfirmed ? Self.flag : 0)
        self.weight = weight
        self.probability = probability
    }
}

/// The decisions thresholds, each a documented choice (docs/clustering.md).
public struct LinkThresholds: Sendable, Hashable, Codable {
    /// Pairs at or above this probability are linked automatically, if no safeguard objects.
    public var autoLink: Double
    /// Pairs at or above this probability but below `autoLink` go to review.
    public var review: Double
    /// A person larger than this is never formed automatically.
    public var maximumClusterSize: Int

    public init(autoLink: Double = 0.99, review: Double = 0.5, maximumClusterSize: Int = 20) {
        self.autoLink = autoLink
        self.review = review
        self.maximumClusterSize = maximumClusterSize
    }

    public static let defaults = LinkThresholds()

    private enum CodingKeys: String, CodingKey { case autoLink, review, maximumClusterSize }

    /// Keys a job file leaves out take the defaults.
    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        let defaults = LinkThresholds.defaults
        autoLink = try container.decodeIfPresent(Double.self, forKey: .autoLink) ?? defaults.autoLink
        review = try container.decodeIfPresent(Double.self, forKey: .review) ?? defaults.review
        maximumClusterSize = try container.decodeIfPresent(Int.self, forKey: .maximumClusterSize) ?? defaults.maximumClusterSize
    }
}

/// Why a pair was held for an analyst instead of linked.
public enum ReviewReason: String, Sendable, Hashable, Codable {
    /// Probability in the review band.
    case reviewBand = "review_band"
    /// One record is a placeholder identity (unknown patient, unnamed newborn) and no identifier with the
    /// date of birth confirms the pair: never auto-linked.
    case placeholderIdentity = "placeholder_identity"
    /// The forenames disagree outright: possibly twins or relatives at one address.
    case conflictingForenames = "conflicting_forenames"
    /// Linking would give one person two different NHS numbers.
    case differentNHSNumbers = "different_nhs_numbers"
    /// Linking would join records that the model scores as different people: a chain through a third.
    case wouldChain = "would_chain"
    /// Linking would make a person larger than the limit.
    case clusterTooLarge = "cluster_too_large"
    /// An incremental run would join two persons that already exist: that is a steward's decision, or a
    /// full re-link's.
    case wouldMergePersons = "would_merge_persons"
}

public struct ReviewItem: Sendable, Hashable {
    public let pair: ScoredPair
    public let reason: ReviewReason
    /// For `wouldChain`: the pair across the two groups that objected.
    public let conflictingPair: ScoredPair?
}

/// Records grouped into persons.
public struct Clusters: Sendable {
    /// Person number of each record, 0..<personCount, numbered in order of each person's first record.
    public let personOf: [Int32]
    public let personCount: Int
    public let review: [ReviewItem]
    public let autoLinks: Int
}

/// Safe clustering: links are added strongest first, and a link is refused (and sent to review) when
/// it would make a person that is not safe — see docs/clustering.md. Unlike plain connected components,
/// a third record can never chain two people together when the model has scored those two as different.
public enum Clustering {
    /// - Parameters:
    ///   - mustLink: pairs a steward linked: joined first, whatever their score.
    ///   - cannotLink: pairs a steward unlinked: no automatic link may put them in one person.
    ///   - placeholder: the record's name is a placeholder (unknown patient, unnamed newborn, ...).
    ///   - identifierTrusted: the record's identifier may confirm a placeholder pair. False for an NHS
    ///     number also carried by a record born a generation apart (`NHSNumberSharing`: a newborn
    ///     registered under its mother's number): two such newborns would be twins, never one person.
    public static func cluster(recordCount: Int, pairs: [ScoredPair], placeholder: (Int32) -> Bool,
                               identifierTrusted: (Int32) -> Bool = { _ in true },
                               nhsNumber: (Int32) -> UInt64?, thresholds: LinkThresholds,
                               mustLink: [(Int32, Int32)] = [], cannotLink: [(Int32, Int32)] = [],
                               existing: ((Int32) -> Bool)? = nil) -> Clusters {
        var objecting = ObjectingPairs(pairs, recordCount: recordCount, below: thresholds.review)
        var parent = Array(0..<Int32(recordCount))
        // A component's records, by its root; empty for a record still on its own (a million one-record
        // arrays would be 50 MB for nothing).
        var members = [[Int32]](repeating: [], count: recordCount)
        func membersOf(_ root: Int32) -> [Int32] { members[Int(root)].isEmpty ? [root] : members[Int(root)] }
        var componentNHS: [UInt64?] = (0..<recordCount).map { nhsNumber(Int32($0)) }
        // Components holding a record of an already existing person (incremental runs only).
        var holdsExisting: [Bool] = (0..<recordCount).map { existing?(Int32($0)) ?? false }
        var review: [ReviewItem] = []
        var autoLinks = 0

        func root(_ x: Int32) -> Int32 {
            var x = x
            while parent[Int(x)] != x {
                parent[Int(x)] = parent[Int(parent[Int(x)])]
                x = parent[Int(x)]
            }
            return x
        }
        func join(_ a: Int32, _ b: Int32) {
            let (small, large) = membersOf(a).count <= membersOf(b).count ? (a, b) : (b, a)
            parent[Int(small)] = large
            if members[Int(large)].isEmpty { members[Int(large)] = [large] }
            members[Int(large)].append(contentsOf: membersOf(small))
            members[Int(small)] = []
            componentNHS[Int(large)] = componentNHS[Int(large)] ?? componentNHS[Int(small)]
            holdsExisting[Int(large)] = holdsExisting[Int(large)] || holdsExisting[Int(small)]
        }
        let unlinked = Set(cannotLink.map { key($0.0, $0.1) })
        func stewardObjects(_ a: Int32, _ b: Int32) -> Bool {
            guard !unlinked.isEmpty else { return false }
            return membersOf(a).contains { x in membersOf(b).contains { y in unlinked.contains(key(x, y)) } }
        }

        // Steward links come first and are never undone by the automatic ones.
        for (x, y) in mustLink {
            let a = root(x), b = root(y)
            if a != b { join(a, b) }
        }

        let candidates = pairs.filter { $0.probability >= thresholds.autoLink }
            .sorted { ($0.weight, $1.i, $1.j) > ($1.weight, $0.i, $0.j) }
        for pair in candidates {
            if placeholder(pair.i) || placeholder(pair.j),
               !(pair.identityConfirmed && identifierTrusted(pair.i) && identifierTrusted(pair.j)) {
                review.append(ReviewItem(pair: pair, reason: .placeholderIdentity, conflictingPair: nil))
                continue
            }
            if pair.conflictingForenames {
                if root(pair.i) != root(pair.j) {
                    review.append(ReviewItem(pair: pair, reason: .conflictingForenames, conflictingPair: nil))
                }
                continue
            }
            let a = root(pair.i), b = root(pair.j)
            if a == b { continue }
            if let x = componentNHS[Int(a)], let y = componentNHS[Int(b)], x != y {
                review.append(ReviewItem(pair: pair, reason: .differentNHSNumbers, conflictingPair: nil))
                continue
            }
            if membersOf(a).count + membersOf(b).count > thresholds.maximumClusterSize {
                review.append(ReviewItem(pair: pair, reason: .clusterTooLarge, conflictingPair: nil))
                continue
            }
            if stewardObjects(a, b) { continue }   // decided: not a review item again
            if holdsExisting[Int(a)], holdsExisting[Int(b)] {
                review.append(ReviewItem(pair: pair, reason: .wouldMergePersons, conflictingPair: nil))
                continue
            }
            if let conflict = objecting.first(between: membersOf(a), and: membersOf(b)) {
                review.append(ReviewItem(pair: pair, reason: .wouldChain, conflictingPair: conflict))
                continue
            }
            join(a, b)
            autoLinks += 1
        }

        for pair in pairs where pair.probability >= thresholds.review && pair.probability < thresholds.autoLink {
            if root(pair.i) != root(pair.j), !unlinked.contains(key(pair.i, pair.j)) {
                review.append(ReviewItem(pair: pair, reason: .reviewBand, conflictingPair: nil))
            }
        }

        var personOf = [Int32](repeating: -1, count: recordCount)
        var personOfRoot = [Int32](repeating: -1, count: recordCount)   // -1: the root has no person yet
        var next: Int32 = 0
        for record in 0..<Int32(recordCount) {
            let r = Int(root(record))
            if personOfRoot[r] < 0 {
                personOfRoot[r] = next
                next += 1
            }
            personOf[Int(record)] = personOfRoot[r]
        }
        review.sort { ($0.pair.weight, $0.pair.i, $0.pair.j) > ($1.pair.weight, $1.pair.i, $1.pair.j) }
        // One question per two persons: an analyst who links or unlinks them has answered every pair
        // between them, so only the strongest pair is asked. A pair whose records ended up in one
        // person anyway asks nothing, unless its forenames conflict (a possible twin inside a person).
        var asked = Set<UInt64>()
        review = review.filter { item in
            let a = personOf[Int(item.pair.i)], b = personOf[Int(item.pair.j)]
            if a == b { return item.reason == .conflictingForenames }
            return asked.insert(key(a, b)).inserted
        }
        return Clusters(personOf: personOf, personCount: Int(next), review: review, autoLinks: autoLinks)
    }

    private static func key(_ x: Int32, _ y: Int32) -> UInt64 {
        let (low, high) = x < y ? (x, y) : (y, x)
        return UInt64(UInt32(low)) << 32 | UInt64(UInt32(high))
    }
}

/// The scored pairs below the review threshold, by record: the model says each is two different
/// people, so a link that would put both records of one in a person is refused ("would chain").
///
/// Held as adjacency lists in one array (every pair under both its records), not as a dictionary by
/// pair: at a million records almost all of the ten million candidate pairs are here, and a
/// dictionary of them took half a gigabyte.
struct ObjectingPairs {
    private let pairs: [ScoredPair]
    /// Record r's pairs are `entries[start[r]..<start[r + 1]]`, in the order of `pairs`.
    private let start: [Int]
    private let entries: [(other: Int32, pair: Int32)]
    /// Scratch for `first(between:and:)`: a record's position in the second group, valid while its
    /// stamp is the current call's.
    private var positionInSecondGroup: [Int32]
    private var stamp: [UInt32]
    private var call: UInt32 = 0

    init(_ pairs: [ScoredPair], recordCount: Int, below threshold: Double) {
        var degree = [Int](repeating: 0, count: recordCount + 1)
        for pair in pairs where pair.probability < threshold {
            degree[Int(pair.i)] += 1
            degree[Int(pair.j)] += 1
        }
        var start = [Int](repeating: 0, count: recordCount + 1)
        for record in 0..<recordCount { start[record + 1] = start[record] + degree[record] }
        var next = start
        var entries = [(other: Int32, pair: Int32)](repeating: (0, 0), count: start[recordCount])
        for (index, pair) in pairs.enumerated() where pair.probability < threshold {
            entries[next[Int(pair.i)]] = (pair.j, Int32(index))
            next[Int(pair.i)] += 1
            entries[next[Int(pair.j)]] = (pair.i, Int32(index))
            next[Int(pair.j)] += 1
        }
        self.pairs = pairs
        self.start = start
        self.entries = entries
        positionInSecondGroup = [Int32](repeating: 0, count: recordCount)
        stamp = [UInt32](repeating: 0, count: recordCount)
    }

    /// The objecting pair between the two groups that a scan of `a` in order, then of `b` in order,
    /// meets first; nil when there is none.
    mutating func first(between a: [Int32], and b: [Int32]) -> ScoredPair? {
        guard !entries.isEmpty else { return nil }
        call &+= 1
        if call == 0 {   // the stamps wrapped: start them again
            for index in stamp.indices { stamp[index] = 0 }
            call = 1
        }
        for (position, y) in b.enumerated() {
            stamp[Int(y)] = call
            positionInSecondGroup[Int(y)] = Int32(position)
        }
        for x in a {
            var best: (position: Int32, pair: Int32)? = nil
            for (other, pair) in entries[start[Int(x)]..<start[Int(x) + 1]] where stamp[Int(other)] == call {
                let position = positionInSecondGroup[Int(other)]
                if best == nil || position < best!.position { best = (position, pair) }
            }
            if let best { return pairs[Int(best.pair)] }
        }
        return nil
    }
}

/// One NHS number on two generations. A newborn is sometimes registered under its mother's number: the
/// number then says nothing about the baby, and cannot confirm that two unnamed newborns are one child.
public enum NHSNumberSharing {
    /// NHS numbers carried by records born at least `parentGapDays` apart: one of them holds a parent's
    /// number. A number carried with two close dates is one person's, with a typing error in a date, and
    /// still confirms a newborn's identity.
    public static func numbersAcrossGenerations(_ records: [MatchRecord]) -> Set<UInt64> {
        Set(fullBirthDateRanges(records).filter { $0.value.latest - $0.value.earliest >= parentGapDays }.keys)
    }

    /// Per NHS number, the earliest and latest full date of birth its records carry (days since 1970).
    private static func fullBirthDateRanges(_ records: [MatchRecord]) -> [UInt64: (earliest: Int, latest: Int)] {
        var births: [UInt64: (earliest: Int, latest: Int)] = [:]
        births.reserveCapacity(records.count)
        // By index, not `for record in records`: each copy of a record is a reference count, which
        // another core blocking over the same records makes a contended one.
        for index in records.indices {
            guard let number = records[index].nhsNumber, let date = records[index].dateOfBirth, date.precision == .day else { continue }
            let day = date.daysSinceEpoch
            let seen = births[number] ?? (day, day)
            births[number] = (min(seen.earliest, day), max(seen.latest, day))
        }
        return births
    }

    /// A newborn's NHS number is taken for a parent's when another record carries it with a date of birth
    /// at least this many days earlier (twelve years: no parent is younger).
    public static let parentGapDays = 12 * 365

    /// Whether `holder` shows that `newborn`'s NHS number is a parent's: `newborn` is an unnamed newborn
    /// (a placeholder name) and `holder` carries its number with a date of birth `parentGapDays` earlier:
    /// a baby registered under its mother's number. The number says nothing about the baby, so for
    /// matching the baby's record has none. Kept, it would tie the baby to its mother by number and set
    /// it apart from its own later record by a "different" number.
    public static func isParentsNumber(of newborn: MatchRecord, heldBy holder: MatchRecord) -> Bool {
        guard newborn.isPlaceholder, let number = newborn.nhsNumber, holder.nhsNumber == number,
              let born = newborn.dateOfBirth, let holderBorn = holder.dateOfBirth else { return false }
        return born.daysSinceEpoch - holderBorn.daysSinceEpoch >= parentGapDays
    }

    /// The records that carry a parent's NHS number (`isParentsNumber`), by index.
    ///
    /// Only a placeholder's number can be a parent's, so the earliest date of birth is kept for the
    /// numbers placeholders carry (a few hundred in a million records), not for every record's: the
    /// run waits for this before blocking, and a table of a million numbers took it 0.2 s on one core.
    public static func newbornsUnderAParentsNumber(_ records: [MatchRecord]) -> [Int] {
        // The records are read once (at a million records each read is a cache miss): every number
        // carried with a date of birth, and which of them are placeholders'.
        var births: [(number: UInt64, day: Int)] = []
        births.reserveCapacity(records.count)
        var placeholders: [(index: Int, birth: Int)] = []
        for index in records.indices {
            guard let number = records[index].nhsNumber, let date = records[index].dateOfBirth else { continue }
            if records[index].isPlaceholder { placeholders.append((index, births.count)) }
            births.append((number, date.daysSinceEpoch))
        }
        guard !placeholders.isEmpty else { return [] }
        var earliestBirth: [UInt64: Int] = [:]
        for placeholder in placeholders { earliestBirth[births[placeholder.birth].number] = .max }
        for birth in births {
            if let earliest = earliestBirth[birth.number] { earliestBirth[birth.number] = min(earliest, birth.day) }
        }
        return placeholders.filter { placeholder in
            let birth = births[placeholder.birth]
            return birth.day - earliestBirth[birth.number]! >= parentGapDays
        }.map(\.index)
    }

    /// The record as matching sees it once its NHS number is known to be a parent's: without one.
    public static func droppingNHSNumber(_ record: MatchRecord) -> MatchRecord {
        var record = record
        record.nhsNumber = nil
        record.nhsNumberVerified = false
        return record
    }
}
