/// One part of a blocking rule: a value computed from a record. Two records can be paired by a rule
/// only when every part's value is present in both and equal. A missing value never matches
/// anything, so a missing field can only narrow a rule, never widen it.
public enum BlockingKey: Sendable, Hashable, Codable, CustomStringConvertible {
    case nhsNumber
    case forename
    case surname
    /// The first `n` bytes of the forename or surname.
    case forenamePrefix(Int)
    case surnamePrefix(Int)
    case forenameMetaphone
    case surnameMetaphone
    /// Any one part of a double-barrelled surname (or the whole surname).
    case surnamePart
    /// Forename and surname in either order: catches swapped columns.
    case namesEitherOrder
    case dateOfBirth
    case yearOfBirth
    /// Day and month, any year: catches mistyped years.
    case dayMonthOfBirth
    case postcode
    case postcodeSector
    case postcodeDistrict
    case sex
    /// A field outside the NHS set, exactly.
    case field(String)

    public var description: String {
        switch self {
        case .nhsNumber: "nhs_number"
        case .forename: "forename"
        case .surname: "surname"
        case .forenamePrefix(let n): "forename[:\(n)]"
        case .surnamePrefix(let n): "surname[:\(n)]"
        case .forenameMetaphone: "metaphone(forename)"
        case .surnameMetaphone: "metaphone(surname)"
        case .surnamePart: "surname_part"
        case .namesEitherOrder: "names_either_order"
        case .dateOfBirth: "date_of_birth"
        case .yearOfBirth: "year_of_birth"
        case .dayMonthOfBirth: "day_month_of_birth"
        case .postcode: "postcode"
        case .postcodeSector: "postcode_sector"
        case .postcodeDistrict: "postcode_district"
        case .sex: "sex"
        case .field(let name): "field(\(name))"
        }
    }

    /// Parses the text form used in job files (the inverse of `description`).
    public init?(parsing text: String) {
        let trimmed = String(text.filter { $0 != " " })
        let simple: [String: BlockingKey] = [
            "nhs_number": .nhsNumber, "forename": .forename, "surname": .surname,
            "metaphone(forename)": .forenameMetaphone, "metaphone(surname)": .surnameMetaphone,
            "surname_part": .surnamePart, "names_either_order": .namesEitherOrder, "date_of_birth": .dateOfBirth,
            "year_of_birth": .yearOfBirth, "day_month_of_birth": .dayMonthOfBirth, "postcode": .postcode,
            "postcode_sector": .postcodeSector, "postcode_district": .postcodeDistrict, "sex": .sex,
        ]
        if let key = simple[trimmed] { self = key; return }
        for (prefix, make) in [("forename[:", BlockingKey.forenamePrefix), ("surname[:", BlockingKey.surnamePrefix)]
            where trimmed.hasPrefix(prefix) && trimmed.hasSuffix("]") {
            guard let n = Int(trimmed.dropFirst(prefix.count).dropLast()), n > 0 else { return nil }
            self = make(n)
            return
        }
        if trimmed.hasPrefix("field("), trimmed.hasSuffix(")"), trimmed.count > 7 {
            self = .field(String(trimmed.dropFirst(6).dropLast()))
            return
        }
        return nil
    }

    public static let textForms = ["nhs_number", "forename", "surname", "forename[:N]", "surname[:N]", "metaphone(forename)",
                                   "metaphone(surname)", "surname_part", "names_either_order", "date_of_birth", "year_of_birth",
                                   "day_month_of_birth", "postcode", "postcode_sector", "postcode_district", "sex", "field(NAME)"]

    /// The comparisons this key fixes: a training pass blocking on it cannot estimate their m.
    public var blockedComparison: ComparisonKind? {
        switch self {
        case .nhsNumber: .nhsNumber
        case .forename, .forenamePrefix, .forenameMetaphone: .forename
        case .surname, .surnamePrefix, .surnameMetaphone, .surnamePart: .surname
        case .namesEitherOrder: .surname
        case .dateOfBirth, .yearOfBirth, .dayMonthOfBirth: .dateOfBirth
        case .postcode, .postcodeSector, .postcodeDistrict: .postcode
        case .sex: .sex
        case .field: nil
        }
    }

    /// True when a training pass blocking on this key cannot estimate `comparison`'s m: every pair it
    /// yields agrees on the field the comparison reads.
    public func blocks(_ comparison: ComparisonKind) -> Bool {
        if case .field(let name) = self { return comparison.otherField == name }
        return blockedComparison == comparison
    }

    /// The key's values for a record: usually one, none when the field is missing, several for
    /// `surnamePart`.
    func values(_ record: MatchRecord) -> [[UInt8]] {
        func one(_ bytes: [UInt8]) -> [[UInt8]] { bytes.isEmpty ? [] : [bytes] }
        let names = !record.isPlaceholder
        switch self {
        case .nhsNumber: return record.nhsNumber.map { [Self.bytes(of: $0)] } ?? []
        case .forename: return names ? one(record.given) : []
        case .surname: return names ? one(record.family) : []
        case .forenamePrefix(let n): return names && record.given.count >= 1 ? [Array(record.given.prefix(n))] : []
        case .surnamePrefix(let n): return names && record.family.count >= 1 ? [Array(record.family.prefix(n))] : []
        case .forenameMetaphone: return names ? one(record.givenMetaphone) : []
        case .surnameMetaphone: return one(record.familyMetaphone)   // an unnamed newborn's real surname too
        case .surnamePart:
            guard names, !record.family.isEmpty else { return [] }
            return [record.family] + record.familyParts.filter { $0 != record.family }
        case .namesEitherOrder:
            guard names, !record.given.isEmpty, !record.family.isEmpty else { return [] }
            let (first, second) = record.given.lexicographicallyPrecedes(record.family)
                ? (record.given, record.family) : (record.family, record.given)
            return [first + [0x7C] + second]
        case .dateOfBirth:
            guard let date = record.dateOfBirth, date.precision == .day else { return [] }
            return [Self.bytes(of: UInt64(date.year * 10_000 + date.month * 100 + date.day))]
        case .yearOfBirth:
            return record.dateOfBirth.map { [Self.bytes(of: UInt64($0.year))] } ?? []
        case .dayMonthOfBirth:
            guard let date = record.dateOfBirth, date.precision == .day else { return [] }
            return [Self.bytes(of: UInt64(date.month * 100 + date.day))]
        case .postcode: return one(record.postcodeUnit)
        case .postcodeSector: return one(record.postcodeSector)
        case .postcodeDistrict: return one(record.postcodeDistrict)
        case .sex: return record.sex.map { [Array($0.rawValue.utf8)] } ?? []
        case .field(let name): return one(record.otherFields[name] ?? [])
        }
    }

    private static func bytes(of value: UInt64) -> [UInt8] {
        withUnsafeBytes(of: value.littleEndian) { Array($0) }
    }

    /// Feeds the key's single value into an FNV-1a hash, exactly as hashing `values(record)[0]` would;
    /// false when the record has no value. Not for `surnamePart`, which may have several.
    func feed(_ record: MatchRecord, into hash: inout UInt64) -> Bool {
        func bytes(_ value: some Sequence<UInt8>) -> Bool {
            var any = false
            for byte in value { hash = BlockingRule.fnvFeed(hash, byte); any = true }
            return any
        }
        func number(_ value: UInt64) -> Bool {
            withUnsafeBytes(of: value.littleEndian) { for byte in $0 { hash = BlockingRule.fnvFeed(hash, byte) } }
            return true
        }
        let names = !record.isPlaceholder
        switch self {
        case .nhsNumber: return record.nhsNumber.map(number) ?? false
        case .forename: return names && bytes(record.given)
        case .surname: return names && bytes(record.family)
        case .forenamePrefix(let n): return names && bytes(record.given.prefix(n))
        case .surnamePrefix(let n): return names && bytes(record.family.prefix(n))
        case .forenameMetaphone: return names && bytes(record.givenMetaphone)
        case .surnameMetaphone: return bytes(record.familyMetaphone)   // an unnamed newborn's real surname too
        case .surnamePart:
            preconditionFailure("surname_part is multi-valued")
        case .namesEitherOrder:
            guard names, !record.given.isEmpty, !record.family.isEmpty else { return false }
            let (first, second) = record.given.lexicographicallyPrecedes(record.family)
                ? (record.given, record.family) : (record.family, record.given)
            _ = bytes(first)
            hash = BlockingRule.fnvFeed(hash, 0x7C)
            return bytes(second)
        case .dateOfBirth:
            guard let date = record.dateOfBirth, date.precision == .day else { return false }
            return number(UInt64(date.year * 10_000 + date.month * 100 + date.day))
        case .yearOfBirth:
            return record.dateOfBirth.map { number(UInt64($0.year)) } ?? false
        case .dayMonthOfBirth:
            guard let date = record.dateOfBirth, date.precision == .day else { return false }
            return number(UInt64(date.month * 100 + date.day))
        case .postcode: return bytes(record.postcodeUnit)
        case .postcodeSector: return bytes(record.postcodeSector)
        case .postcodeDistrict: return bytes(record.postcodeDistrict)
        case .sex: return record.sex.map { bytes($0.rawValue.utf8) } ?? false
        case .field(let name): return bytes(record.otherFields[name] ?? [])
        }
    }
}

/// A conjunction of keys: records pair when all keys agree. In job and model files a rule is text:
/// "date_of_birth & metaphone(surname)".
public struct BlockingRule: Sendable, Hashable, Codable, CustomStringConvertible {
    public var keys: [BlockingKey]

    public init(_ keys: [BlockingKey]) { self.keys = keys }

    public var description: String { keys.map(\.description).joined(separator: " & ") }

    public init(from decoder: any Decoder) throws {
        let text = try decoder.singleValueContainer().decode(String.self)
        var keys: [BlockingKey] = []
        for part in text.split(separator: "&") {
            guard let key = BlockingKey(parsing: String(part)) else {
                throw DecodingError.dataCorrupted(.init(codingPath: decoder.codingPath, debugDescription:
                    "unknown blocking key \"\(part.filter { $0 != " " })\"; expected keys joined by &, from: "
                    + BlockingKey.textForms.joined(separator: ", ")))
            }
            keys.append(key)
        }
        guard !keys.isEmpty else {
            throw DecodingError.dataCorrupted(.init(codingPath: decoder.codingPath, debugDescription: "a blocking rule needs at least one key"))
        }
        self.keys = keys
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        try container.encode(description)
    }

    /// The rule's values for a record, each a 64-bit hash of the keys' values joined. Empty when a
    /// key has no value. Several when a key is multi-valued (`surnamePart`).
    ///
    /// Each is `fnv1a` of one combination's joined bytes (0x1F before each key's value), fed into the
    /// hash key by key rather than joined first: a million records' joined arrays, sets and sorts made
    /// hashing the largest part of blocking. Sorted, without repeats.
    func hashes(_ record: MatchRecord) -> [UInt64] {
        if isSingleValued { return singleHash(record).map { [$0] } ?? [] }
        var partial: [UInt64] = [Self.fnvOffset]
        for key in keys {
            if key == .surnamePart {
                let values = key.values(record)
                if values.isEmpty { return [] }
                partial = partial.flatMap { hash in
                    let separated = Self.fnvFeed(hash, 0x1F)
                    return values.map { value in value.reduce(separated, Self.fnvFeed) }
                }
            } else {
                for index in partial.indices {
                    var hash = Self.fnvFeed(partial[index], 0x1F)
                    guard key.feed(record, into: &hash) else { return [] }
                    partial[index] = hash
                }
            }
        }
        partial.sort()
        var kept = 0
        for index in partial.indices where kept == 0 || partial[kept - 1] != partial[index] {
            partial[kept] = partial[index]
            kept += 1
        }
        partial.removeSubrange(kept...)
        return partial
    }

    /// True when every key has at most one value per record, so `singleHash` applies.
    var isSingleValued: Bool { !keys.contains(.surnamePart) }

    /// The rule's one hash for a record, computed without building the joined value; nil when a key has
    /// no value. Equal to `fnv1a` of the joined bytes that `hashes` would hash.
    func singleHash(_ record: MatchRecord) -> UInt64? {
        var hash = Self.fnvOffset
        for key in keys {
            hash = Self.fnvFeed(hash, 0x1F)
            guard key.feed(record, into: &hash) else { return nil }
        }
        return hash
    }

    static let fnvOffset: UInt64 = 0xCBF2_9CE4_8422_2325

    @inline(__always)
    static func fnvFeed(_ hash: UInt64, _ byte: UInt8) -> UInt64 {
        (hash ^ UInt64(byte)) &* 0x0000_0100_0000_01B3
    }

    /// FNV-1a, 64-bit: deterministic across runs and platforms, unlike `Hasher`.
    static func fnv1a(_ bytes: [UInt8]) -> UInt64 {
        var hash = fnvOffset
        for byte in bytes { hash = fnvFeed(hash, byte) }
        return hash
    }

    /// The rules a job gets when it names none: each catches pairs the others miss when one field is
    /// wrong or missing.
    public static let nhsDefaults: [BlockingRule] = [
        BlockingRule([.nhsNumber]),
        BlockingRule([.dateOfBirth, .surnameMetaphone]),
        BlockingRule([.dateOfBirth, .forenameMetaphone]),
        BlockingRule([.dateOfBirth, .postcodeSector]),
        BlockingRule([.surnamePart, .forenamePrefix(1), .yearOfBirth]),
        BlockingRule([.namesEitherOrder, .yearOfBirth]),
        BlockingRule([.forename, .surname, .dayMonthOfBirth]),
        BlockingRule([.postcode, .forenamePrefix(1), .surnamePrefix(1)]),
    ]

    /// Rules for the EM training passes: together they leave every comparison unblocked in some pass.
    /// The third is postcode and year of birth, not postcode alone: a postcode holds a block of flats or
    /// a care home, and EM over its pairs learns "same household" (on the realistic profile it put 89%
    /// of 36 million pairs in the match class and was rejected every time); with the year of birth the
    /// pairs are mostly one person's (17,000 pairs for 21,000 records, accepted), and the linkage is the
    /// same (docs/clustering.md).
    public static let trainingDefaults: [BlockingRule] = [
        BlockingRule([.dateOfBirth]),
        BlockingRule([.forename, .surname]),
        BlockingRule([.postcode, .yearOfBirth]),
    ]
}

/// What blocking produced: each candidate pair once, and per rule how many pairs it added and which
/// blocks it skipped for being too large.
public struct CandidatePairs: Sendable {
    public struct RuleReport: Sendable, Hashable, Codable {
        public let rule: String
        /// Pairs this rule added that no earlier rule had.
        public var pairsAdded: Int
        public var skippedBlocks: Int
        public var recordsInSkippedBlocks: Int
        public var largestSkippedBlock: Int
    }

    /// Pairs (i, j) with i < j, indexes into the record array, each pair once.
    public var pairs: [(Int32, Int32)]
    public var reports: [RuleReport]
}

public enum Blocking {
    /// Each record's hashes under one rule: one per record for single-valued rules (0 for none), or a
    /// list per record for rules with a multi-valued key.
    enum RuleHashes: Sendable {
        case single([UInt64])
        case multiple([[UInt64]])

        func values(_ record: Int) -> [UInt64] {
            switch self {
            case .single(let hashes): hashes[record] == 0 ? [] : [hashes[record]]
            case .multiple(let hashes): hashes[record]
            }
        }
    }

    /// One rule's records sorted by (hash, record), its blocks as runs of `entries`, and the hashes of
    /// the blocks it skipped for size.
    private struct SortedRule: Sendable {
        var entries: [(hash: UInt64, record: Int32)]
        /// Runs of equal hash in `entries` that are small enough to pair (two records or more).
        var blocks: [Range<Int>]
        var skipped: Set<UInt64>
        var report: CandidatePairs.RuleReport
    }

    /// Candidate pairs from the union of `rules`, each pair once: a pair is emitted by the first rule
    /// (in order) that blocks it. Blocks with more than `maximumBlockSize` records are skipped and
    /// reported, never silently dropped.
    ///
    /// Blocks are found by sorting (hash, record) entries and scanning runs, so no array is allocated per
    /// block or per record.
    ///
    /// With `touching`, only pairs in which at least one record is marked are produced (an incremental
    /// run: new records against everything), without enumerating the others.
    ///
    /// With `storeBlockSize`, `records` are only part of the store (an incremental run loads the new
    /// records and their candidates): it gives a block's size in the whole store, by rule index and
    /// hash, so that a block too large there is skipped here too.
    ///
    /// The work runs on `workers` tasks in three steps, each rule's hashes, each rule's blocks, then the
    /// pairs of runs of blocks; a rule's pairs only read the earlier rules' hashes and skipped blocks,
    /// so the pairs and their order are the same for any number of workers.
    public static func candidatePairs(records: [MatchRecord], rules: [BlockingRule], maximumBlockSize: Int,
                                      touching: [Bool]? = nil,
                                      storeBlockSize: (@Sendable (_ rule: Int, _ hash: UInt64) -> Int?)? = nil,
                                      workers: Int = 1) async -> CandidatePairs {
        let hashes: [RuleHashes] = await Parallel.map(rules, workers: workers) { rule in
            if rule.isSingleValued {
                return .single(records.map { record in
                    guard let hash = rule.singleHash(record) else { return 0 }
                    return hash == 0 ? 1 : hash   // 0 marks "no value"
                })
            }
            return .multiple(records.map { rule.hashes($0) })
        }
        let sorted: [SortedRule] = await Parallel.map(Array(rules.enumerated()), workers: workers) { ruleIndex, rule in
            var entries: [(hash: UInt64, record: Int32)] = []
            entries.reserveCapacity(records.count)
            switch hashes[ruleIndex] {
            case .single(let values):
                for (record, hash) in values.enumerated() where hash != 0 { entries.append((hash, Int32(record))) }
            case .multiple(let values):
                for (record, list) in values.enumerated() { for hash in list { entries.append((hash, Int32(record))) } }
            }
            HashOrder.sort(&entries)
            var sorted = SortedRule(entries: entries, blocks: [], skipped: [],
                                    report: .init(rule: rule.description, pairsAdded: 0, skippedBlocks: 0, recordsInSkippedBlocks: 0,
                                                  largestSkippedBlock: 0))
            var start = 0
            while start < entries.count {
                var end = start + 1
                while end < entries.count, entries[end].hash == entries[start].hash { end += 1 }
                let key = entries[start].hash
                let size = max(end - start, storeBlockSize?(ruleIndex, key) ?? 0)
                if size > maximumBlockSize {
                    sorted.skipped.insert(key)
                    sorted.report.skippedBlocks += 1
                    sorted.report.recordsInSkippedBlocks += size
                    sorted.report.largestSkippedBlock = max(sorted.report.largestSkippedBlock, size)
                } else if end - start > 1 {
                    sorted.blocks.append(start..<end)
                }
                start = end
            }
            return sorted
        }
        let skippedKeys = sorted.map(\.skipped)

        // The pairs, in runs of blocks of about equal work, so that one rule with most of the pairs is
        // still shared out.
        var work: [(rule: Int, blocks: Range<Int>)] = []
        let pairsPerRun = max(sorted.reduce(0) { total, rule in total + rule.blocks.reduce(0) { $0 + $1.count * ($1.count - 1) / 2 } }
                              / max(workers * 8, 1), 10_000)
        for (ruleIndex, rule) in sorted.enumerated() {
            var first = 0, pairs = 0
            for (index, block) in rule.blocks.enumerated() {
                pairs += block.count * (block.count - 1) / 2
                if pairs >= pairsPerRun {
                    work.append((ruleIndex, first..<(index + 1)))
                    first = index + 1
                    pairs = 0
                }
            }
            if first < rule.blocks.count { work.append((ruleIndex, first..<rule.blocks.count)) }
        }
        var parts: [[(Int32, Int32)]] = await Parallel.map(work, workers: workers) { ruleIndex, blockRange in
            let entries = sorted[ruleIndex].entries
            var pairs: [(Int32, Int32)] = []
            for block in sorted[ruleIndex].blocks[blockRange] {
                let key = entries[block.lowerBound].hash
                if let touching, !block.contains(where: { touching[Int(entries[$0].record)] }) { continue }
                for x in block {
                    for y in (x + 1)..<block.upperBound {
                        let i = entries[x].record, j = entries[y].record
                        if let touching, !touching[Int(i)], !touching[Int(j)] { continue }
                        if coveredEarlier(i, j, key: key, ruleIndex: ruleIndex, hashes: hashes, skipped: skippedKeys) { continue }
                        pairs.append((i, j))
                    }
                }
            }
            return pairs
        }
        var reports = sorted.map(\.report)
        for (item, part) in zip(work, parts) { reports[item.rule].pairsAdded += part.count }
        return CandidatePairs(pairs: Parallel.joined(&parts), reports: reports)
    }

    /// True when an earlier rule, or a smaller shared value of this rule, already emitted (i, j).
    private static func coveredEarlier(_ i: Int32, _ j: Int32, key: UInt64, ruleIndex: Int, hashes: [RuleHashes],
                                       skipped: [Set<UInt64>]) -> Bool {
        for earlier in 0..<ruleIndex {
            switch hashes[earlier] {
            case .single(let values):
                let value = values[Int(i)]
                if value != 0, value == values[Int(j)], skipped[earlier].isEmpty || !skipped[earlier].contains(value) { return true }
            case .multiple(let values):
                if values[Int(i)].contains(where: { values[Int(j)].contains($0) && !skipped[earlier].contains($0) }) { return true }
            }
        }
        // Multi-valued keys: emit the pair only under the smallest value the two records share.
        if case .multiple(let own) = hashes[ruleIndex], own[Int(i)].count > 1 || own[Int(j)].count > 1 {
            for value in own[Int(i)] where value < key && own[Int(j)].contains(value) && !skipped[ruleIndex].contains(value) {
                return true
            }
        }
        return false
    }
}

/// The blocks of one single-valued rule, without their pairs: the records sorted by (hash, record)
/// and the runs of equal hash that hold 2 to `maximumBlockSize` records. Its pairs, numbered in the
/// order `Blocking.candidatePairs` would emit them for this rule alone, can be drawn by number, so a
/// training pass samples a rule with tens of millions of pairs without holding them.
public struct RuleBlocks: Sendable {
    /// Record indexes, sorted by the rule's hash, then by index.
    private let records: [Int32]
    /// Blocks as ranges of `records`, in order, each with the number of pairs before it.
    private let blocks: [(range: Range<Int>, pairsBefore: Int)]
    public let pairCount: Int

    /// Nil for a rule with a multi-valued key (`surname_part`), whose blocks overlap.
    public init?(records: [MatchRecord], rule: BlockingRule, maximumBlockSize: Int) {
        guard rule.isSingleValued else { return nil }
        var entries: [(hash: UInt64, record: Int32)] = []
        entries.reserveCapacity(records.count)
        for (index, record) in records.enumerated() {
            guard let hash = rule.singleHash(record) else { continue }
            entries.append((hash == 0 ? 1 : hash, Int32(index)))
        }
        HashOrder.sort(&entries)
        var blocks: [(range: Range<Int>, pairsBefore: Int)] = []
        var pairs = 0
        var start = 0
        while start < entries.count {
            var end = start + 1
            while end < entries.count, entries[end].hash == entries[start].hash { end += 1 }
            let size = end - start
            if size > 1, size <= maximumBlockSize {
                blocks.append((start..<end, pairs))
                pairs += size * (size - 1) / 2
            }
            start = end
        }
        self.records = entries.map(\.record)
        self.blocks = blocks
        pairCount = pairs
    }

    /// The pairs with the given numbers (ascending, each below `pairCount`), in that order.
    public func pairs(numbered numbers: [Int]) -> [(Int32, Int32)] {
        var out: [(Int32, Int32)] = []
        out.reserveCapacity(numbers.count)
        var block = 0
        for number in numbers {
            while block + 1 < blocks.count, blocks[block + 1].pairsBefore <= number { block += 1 }
            let (range, before) = blocks[block]
            // Within a block of n records the pairs run (0,1) ... (0,n-1), (1,2) ...: row x holds n-1-x.
            var offset = number - before
            var x = 0
            let n = range.count
            while offset >= n - 1 - x {
                offset -= n - 1 - x
                x += 1
            }
            out.append((records[range.lowerBound + x], records[range.lowerBound + x + 1 + offset]))
        }
        return out
    }
}

/// Candidates for one query record (a real-time search): the records sharing at least one blocking
/// value with it, by the same rules as batch linkage, so a search proposes the pairs a link run would.
public enum CandidateSearch {
    /// Indexes into `records`, each once, in record order.
    public static func candidates(for query: MatchRecord, in records: [MatchRecord], rules: [BlockingRule]) -> [Int] {
        let queryHashes = rules.map { Set($0.hashes(query)) }
        var found: [Int] = []
        for (index, record) in records.enumerated() {
            for (ruleIndex, rule) in rules.enumerated() where !queryHashes[ruleIndex].isEmpty {
                if rule.hashes(record).contains(where: queryHashes[ruleIndex].contains) {
                    found.append(index)
                    break
                }
            }
        }
        return found
    }
}
