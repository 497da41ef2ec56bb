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
        case .surnameMetaphone: return names ? one(record.familyMetaphone) : []
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
    func hashes(_ record: MatchRecord) -> [UInt64] {
        var combined: [[UInt8]] = [[]]
        for key in keys {
            let values = key.values(record)
            if values.isEmpty { return [] }
            combined = combined.flatMap { prefix in values.map { prefix + [0x1F] + $0 } }
        }
        return Array(Set(combined.map(Self.fnv1a))).sorted()
    }

    /// FNV-1a, 64-bit: deterministic across runs and platforms, unlike `Hasher`.
    static func fnv1a(_ bytes: [UInt8]) -> UInt64 {
        var hash: UInt64 = 0xCBF2_9CE4_8422_2325
        for byte in bytes { hash = (hash ^ UInt64(byte)) &* 0x0000_0100_0000_01B3 }
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
    public static let trainingDefaults: [BlockingRule] = [
        BlockingRule([.dateOfBirth]),
        BlockingRule([.forename, .surname]),
        BlockingRule([.postcode]),
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
    /// Candidate pairs from the union of `rules`, each pair once: a pair is emitted by the first rule
    /// (in order) that blocks it. Blocks with more than `maximumBlockSize` records are skipped and
    /// reported, never silently dropped.
    public static func candidatePairs(records: [MatchRecord], rules: [BlockingRule], maximumBlockSize: Int) -> CandidatePairs {
        // Each rule's hashes per record, and the blocks per rule.
        let hashes: [[[UInt64]]] = rules.map { rule in records.map { rule.hashes($0) } }
        var pairs: [(Int32, Int32)] = []
        var reports: [CandidatePairs.RuleReport] = []
        var skippedKeys: [Set<UInt64>] = Array(repeating: [], count: rules.count)

        for (ruleIndex, rule) in rules.enumerated() {
            var blocks: [UInt64: [Int32]] = [:]
            for (recordIndex, values) in hashes[ruleIndex].enumerated() {
                for value in values { blocks[value, default: []].append(Int32(recordIndex)) }
            }
            var report = CandidatePairs.RuleReport(rule: rule.description, pairsAdded: 0, skippedBlocks: 0,
                                                   recordsInSkippedBlocks: 0, largestSkippedBlock: 0)
            for (key, members) in blocks.sorted(by: { $0.key < $1.key }) where members.count > 1 {
                if members.count > maximumBlockSize {
                    skippedKeys[ruleIndex].insert(key)
                    report.skippedBlocks += 1
                    report.recordsInSkippedBlocks += members.count
                    report.largestSkippedBlock = max(report.largestSkippedBlock, members.count)
                    continue
                }
                for x in 0..<members.count {
                    for y in (x + 1)..<members.count {
                        let i = members[x], j = members[y]
                        if coveredEarlier(i, j, key: key, ruleIndex: ruleIndex, hashes: hashes, skipped: skippedKeys) { continue }
                        pairs.append(i < j ? (i, j) : (j, i))
                        report.pairsAdded += 1
                    }
                }
            }
            reports.append(report)
        }
        return CandidatePairs(pairs: pairs, reports: reports)
    }

    /// True when an earlier rule, or a smaller shared value of this rule, already emitted (i, j).
    private static func coveredEarlier(_ i: Int32, _ j: Int32, key: UInt64, ruleIndex: Int, hashes: [[[UInt64]]],
                                       skipped: [Set<UInt64>]) -> Bool {
        for earlier in 0..<ruleIndex {
            if shareUnskipped(hashes[earlier][Int(i)], hashes[earlier][Int(j)], skipped: skipped[earlier]) { return true }
        }
        // Multi-valued keys: emit the pair only under the smallest value the two records share.
        let own = hashes[ruleIndex]
        if own[Int(i)].count > 1 || own[Int(j)].count > 1 {
            for value in own[Int(i)] where value < key && own[Int(j)].contains(value) && !skipped[ruleIndex].contains(value) {
                return true
            }
        }
        return false
    }

    /// True when the two records share a value whose block was not skipped.
    private static func shareUnskipped(_ a: [UInt64], _ b: [UInt64], skipped: Set<UInt64>) -> Bool {
        a.contains { b.contains($0) && !skipped.contains($0) }
    }
}
