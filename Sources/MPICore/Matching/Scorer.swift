internal import RealModule

/// Scores record pairs with a model: comparison levels, a sum of precomputed weights, and the
/// term-frequency adjustment on exact agreement. A value type built once per run and shared by the
/// scoring workers.
public struct Scorer: Sendable {
    public let model: LinkageModel
    public let kinds: [ComparisonKind]
    /// `kinds` as payload-free tags, nil for a field outside the NHS set (see `StandardComparison`).
    private let standardKinds: [StandardComparison?]
    /// weights[comparison][level]; level 0 (null) is always 0.
    public let weights: [[Double]]
    public let priorWeight: Double
    /// Term frequencies per comparison (nil when the comparison does not use them).
    public private(set) var termFrequencies: [TermFrequencyTable?]
    /// Bound on one term-frequency adjustment, in bits, so one rare value cannot decide a pair alone.
    public static let maximumAdjustment = 8.0

    private let forenameIndex: Int?
    private let forenameElseLevel: UInt8
    /// Comparisons whose exact agreement no two people share: the NHS number and `identifier(...)`.
    private let uniqueIdentifierIndexes: [Int]
    private let nhsIndex: Int?
    private let dateOfBirthIndex: Int?
    private let dateOfBirthElseLevel: UInt8

    public init(model: LinkageModel, termFrequencies: [TermFrequencyTable?]? = nil) {
        self.model = model
        kinds = model.comparisons.map(\.kind)
        standardKinds = kinds.map(StandardComparison.init)
        weights = model.comparisons.map { comparison in [0] + comparison.levels.map(\.weight) }
        priorWeight = model.priorWeight
        self.termFrequencies = termFrequencies ?? Array(repeating: nil, count: model.comparisons.count)
        forenameIndex = kinds.firstIndex(of: .forename)
        forenameElseLevel = UInt8(ComparisonKind.forename.levelCount - 1)
        uniqueIdentifierIndexes = model.comparisons.indices.filter { model.comparisons[$0].kind.isUniqueIdentifier }
        nhsIndex = kinds.firstIndex(of: .nhsNumber)
        dateOfBirthIndex = kinds.firstIndex(of: .dateOfBirth)
        dateOfBirthElseLevel = UInt8(ComparisonKind.dateOfBirth.levelCount - 1)
    }

    /// Builds the term-frequency tables of the model's comparisons that use them, from the records.
    public static func termFrequencies(for model: LinkageModel, records: [MatchRecord]) -> [TermFrequencyTable?] {
        model.comparisons.map { comparison in
            guard comparison.termFrequencies else { return nil }
            var table = TermFrequencyTable()
            for index in records.indices {   // by index: a copy of each record would be a reference count
                if let value = comparison.kind.termFrequencyValue(records[index]) { table.add(value) }
            }
            return table
        }
    }

    /// Counts a record's values in the term-frequency tables: a real-time index adds each record it
    /// registers, so its tables stay those a batch run over the same records would build.
    public mutating func addTermFrequencies(of record: MatchRecord) {
        for index in termFrequencies.indices where termFrequencies[index] != nil {
            if let value = kinds[index].termFrequencyValue(record) { termFrequencies[index]!.add(value) }
        }
    }

    /// Writes the pair's level for each comparison into `levels` (one byte per comparison).
    ///
    /// Safeguard: an NHS number shared by two records whose dates of birth disagree outright is not
    /// counted (null level). A number borrowed by a relative, or keyed onto the wrong record, must not
    /// be able to force a link on its own.
    @inline(__always)
    public func levels(_ a: MatchRecord, _ b: MatchRecord, into levels: inout [UInt8]) {
        levels.withUnsafeMutableBufferPointer { self.levels(a, b, into: $0) }
    }

    /// As `levels(_:_:into:)`, into memory the caller holds: the pair loops' form, without an array's
    /// uniqueness check per level.
    @inline(__always)
    public func levels(_ a: MatchRecord, _ b: MatchRecord, into levels: UnsafeMutableBufferPointer<UInt8>) {
        for index in standardKinds.indices {
            levels[index] = if let standard = standardKinds[index] { standard.level(a, b) } else { kinds[index].level(a, b) }
        }
        if let nhs = nhsIndex, let dob = dateOfBirthIndex, levels[nhs] == 1 || levels[nhs] == 2,
           levels[dob] == dateOfBirthElseLevel {
            levels[nhs] = 0
        }
    }

    /// True when the pair's forenames disagree at every level and nothing else explains it (see
    /// `ScoredPair.conflictingForenames` and docs/clustering.md). The safeguard holds back twins and
    /// relatives at one home; it does not object where the evidence says "same person" another way:
    /// - the forename and surname are swapped on one side, even with a typing error, even when only
    ///   one of the two names crosses over (twins share their surname, so one twin's forename is never
    ///   the other's surname);
    /// - the forenames are one typing error apart (an edit the similarity levels missed, such as a
    ///   wrong first letter);
    /// - a unique identifier agrees: an NHS number exactly, an `identifier(...)` column exactly or but
    ///   for one typing error. Twins never share one.
    @inline(__always)
    public func hasConflictingForenames(_ levels: [UInt8], _ a: MatchRecord, _ b: MatchRecord) -> Bool {
        guard let forename = forenameIndex, levels[forename] == forenameElseLevel else { return false }
        // Cheapest first: the levels, then the names (a swap also covers the surname's swapped level).
        if identifierAgrees(levels, allowingOneTypo: true) { return false }
        return !Levels.namesCrossAgree(a, b) && !Self.oneTypingErrorApart(a.given, b.given)
    }

    /// One edit apart, for names of five letters or more: in shorter names one letter is a different
    /// name as often as a typing error (JACK and JACE, ALI and ADI are twins' names).
    static func oneTypingErrorApart(_ x: [UInt8], _ y: [UInt8]) -> Bool {
        guard x.count >= 5, y.count >= 5 else { return false }
        return EditDistance.optimalStringAlignment(x, y) <= 1
    }

    /// A unique identifier agrees: an NHS number exactly (verified or not), an `identifier(...)` column
    /// exactly or, when `allowingOneTypo`, but for one character. Two valid NHS numbers never differ by
    /// one digit or a transposition (the modulus 11 check digit catches both), so only the other
    /// identifiers have a typing-error level that counts.
    @inline(__always)
    public func identifierAgrees(_ levels: [UInt8], allowingOneTypo: Bool = false) -> Bool {
        for index in uniqueIdentifierIndexes {
            let level = levels[index]
            if level == 1 || (level == 2 && (index == nhsIndex || allowingOneTypo)) { return true }
        }
        return false
    }

    /// A unique identifier and the full date of birth agree exactly (see `ScoredPair.identityConfirmed`).
    /// The NHS number's level is already null when the dates of birth disagree outright (see `levels`).
    @inline(__always)
    public func confirmsIdentity(_ levels: [UInt8]) -> Bool {
        guard let dob = dateOfBirthIndex, levels[dob] == 1 else { return false }
        return identifierAgrees(levels)
    }

    /// Match weight (log2 Bayes factor including the prior) of a pair whose levels are known.
    @inline(__always)
    public func weight(levels: [UInt8], _ a: MatchRecord, _ b: MatchRecord) -> Double {
        var total = priorWeight
        for index in levels.indices {
            let level = Int(levels[index])
            total += weights[index][level]
            if level == 1, let table = termFrequencies[index] { total += adjustment(index, table, a) }
        }
        return total
    }

    /// As `weight(levels:_:_:)`, with the term-frequency adjustments looked up by the first record's
    /// index in `adjustments` (made by `termFrequencyAdjustments`) rather than worked out from its
    /// values: the same sum, added in the same order.
    @inline(__always)
    public func weight(levels: [UInt8], firstRecord: Int, adjustments: TermFrequencyAdjustments) -> Double {
        var total = priorWeight
        for index in levels.indices {
            let level = Int(levels[index])
            total += weights[index][level]
            if level == 1, termFrequencies[index] != nil { total += adjustments.byComparison[index][firstRecord] }
        }
        return total
    }

    /// Each record's term-frequency adjustment for each comparison that has one, worked out once. A
    /// pair agreeing exactly on a surname adds the adjustment of its first record's surname: read by
    /// index, where working it out again (the record's value hashed, its frequency looked up, a
    /// logarithm) for each of the millions of candidate pairs was most of scoring's time beside the
    /// levels themselves.
    public func termFrequencyAdjustments(records: [MatchRecord], workers: Int) async -> TermFrequencyAdjustments {
        var byComparison = [[Double]](repeating: [], count: kinds.count)
        for (index, table) in termFrequencies.enumerated() {
            guard let table else { continue }
            let scorer = self
            var parts = await Parallel.map(PairLevels.chunkRanges(count: records.count, workers: workers), workers: workers) { range in
                records[range].map { scorer.adjustment(index, table, $0) }
            }
            byComparison[index] = Parallel.joined(&parts)
        }
        return TermFrequencyAdjustments(byComparison: byComparison)
    }

    private func adjustment(_ index: Int, _ table: TermFrequencyTable, _ record: MatchRecord) -> Double {
        guard let value = kinds[index].termFrequencyValue(record) else { return 0 }
        let u = model.comparisons[index].levels[0].u
        let raw = Double.log2(u / table.frequency(of: value))
        return min(max(raw, -Self.maximumAdjustment), Self.maximumAdjustment)
    }

    public static func probability(weight: Double) -> Double {
        let odds = Double.exp2(weight)
        return odds.isInfinite ? 1 : odds / (1 + odds)
    }

    public static func weight(probability: Double) -> Double {
        Double.log2(probability / (1 - probability))
    }

    /// The full account of one pair: the data behind an explanation (waterfall).
    public func explain(_ a: MatchRecord, _ b: MatchRecord) -> Explanation {
        var levels = [UInt8](repeating: 0, count: kinds.count)
        self.levels(a, b, into: &levels)
        var steps: [Explanation.Step] = []
        for index in levels.indices {
            let level = Int(levels[index])
            let label = level == 0 ? "null" : model.comparisons[index].levels[level - 1].label
            var tf = 0.0
            if level == 1, let table = termFrequencies[index] { tf = adjustment(index, table, a) }
            steps.append(.init(comparison: kinds[index].name, level: level, label: label, weight: weights[index][level],
                               termFrequencyAdjustment: tf))
        }
        let total = priorWeight + steps.reduce(0) { $0 + $1.weight + $1.termFrequencyAdjustment }
        return Explanation(priorWeight: priorWeight, steps: steps, matchWeight: total,
                           probability: Self.probability(weight: total))
    }
}

/// Why a pair scored as it did: the prior, each comparison's level and weight, and the total.
public struct Explanation: Sendable, Hashable, Codable {
    public struct Step: Sendable, Hashable, Codable {
        public let comparison: String
        public let level: Int
        public let label: String
        public let weight: Double
        public let termFrequencyAdjustment: Double
    }

    public let priorWeight: Double
    public let steps: [Step]
    public let matchWeight: Double
    public let probability: Double

    public init(priorWeight: Double, steps: [Step], matchWeight: Double, probability: Double) {
        self.priorWeight = priorWeight
        self.steps = steps
        self.matchWeight = matchWeight
        self.probability = probability
    }
}

/// Per comparison with term frequencies, each record's adjustment in bits (0 for a record without the
/// value); empty for the other comparisons. See `Scorer.termFrequencyAdjustments`.
public struct TermFrequencyAdjustments: Sendable {
    fileprivate let byComparison: [[Double]]
}
