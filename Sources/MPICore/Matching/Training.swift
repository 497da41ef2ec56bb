/// Training settings of a linkage job.
public struct TrainingSettings: Sendable, Hashable, Codable {
    /// Random pairs drawn to estimate u.
    public var uSampleSize: Int
    public var seed: UInt64
    /// One EM pass per rule; each comparison must be left unblocked by at least one rule.
    public var rules: [BlockingRule]
    public var maximumIterations: Int
    /// A training pass uses at most this many of its rule's pairs, drawn at random (with the seed): EM's
    /// estimates settle long before, and common-name blocks can hold tens of millions. 250,000: from
    /// 2,000,000 down to 150,000 pairs the trained weights moved by 0.001 to 0.003 bits (weighted by
    /// how often matches fall in each level) and F1 did not move at a million records (docs/quality.md,
    /// "Training sample sizes").
    public var maximumPairsPerPass: Int

    public init(uSampleSize: Int = 1_000_000, seed: UInt64 = 20_261_128, rules: [BlockingRule] = BlockingRule.trainingDefaults,
                maximumIterations: Int = 30, maximumPairsPerPass: Int = 250_000) {
        self.uSampleSize = uSampleSize
        self.seed = seed
        self.rules = rules
        self.maximumIterations = maximumIterations
        self.maximumPairsPerPass = maximumPairsPerPass
    }

    private enum CodingKeys: String, CodingKey { case uSampleSize, seed, rules, maximumIterations, maximumPairsPerPass }

    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        let defaults = TrainingSettings()
        uSampleSize = try container.decodeIfPresent(Int.self, forKey: .uSampleSize) ?? defaults.uSampleSize
        seed = try container.decodeIfPresent(UInt64.self, forKey: .seed) ?? defaults.seed
        rules = try container.decodeIfPresent([BlockingRule].self, forKey: .rules) ?? defaults.rules
        maximumIterations = try container.decodeIfPresent(Int.self, forKey: .maximumIterations) ?? defaults.maximumIterations
        maximumPairsPerPass = try container.decodeIfPresent(Int.self, forKey: .maximumPairsPerPass) ?? defaults.maximumPairsPerPass
    }
}

/// Fellegi-Sunter training in stages, as Splink does it: u from random pairs; m by EM in one pass per
/// training rule, each pass estimating only the comparisons its rule does not block on; then λ from
/// the candidate pairs of the linkage itself.
public enum Training {
    public static func train(records: [MatchRecord], initial: LinkageModel, settings: TrainingSettings,
                             candidateLevels: PairLevels, maximumBlockSize: Int, workers: Int) async -> LinkageModel {
        var model = initial
        let untrainedScorer = Scorer(model: model)

        // Each EM pass's pairs, drawn from its rule's blocks (one task per rule, each mostly one core's
        // hashing and sorting), while u is estimated on the others: the draws do not need u.
        async let samples = samples(rules: settings.rules, records: records, count: settings.maximumPairsPerPass,
                                    seed: settings.seed, maximumBlockSize: maximumBlockSize)

        // 1. u from random pairs.
        let u = await RandomPairSampling.estimateU(records: records, scorer: untrainedScorer,
                                                   sampleSize: min(settings.uSampleSize, max(records.count * (records.count - 1) / 2, 1)),
                                                   seed: settings.seed, workers: workers)
        for index in model.comparisons.indices {
            for level in model.comparisons[index].levels.indices { model.comparisons[index].levels[level].u = u[index][level] }
        }

        // 2. m by EM, one pass per training rule. A pass whose solution is implausible is rejected and
        //    says why: EM on a rule whose blocks hold households converges on "same household".
        var mSums = model.comparisons.map { $0.levels.map { _ in 0.0 } }
        var mPasses = model.comparisons.map { _ in 0 }
        var passes: [TrainingPass] = []
        for (rule, (blockedPairCount, pairs)) in zip(settings.rules, await samples) {
            let estimate = model.comparisons.map { comparison in !rule.keys.contains { $0.blocks(comparison.kind) } }
            let histogram = await PairLevels.histogram(records: records, pairs: pairs, scorer: untrainedScorer, workers: workers)
            let outcome = ExpectationMaximisation.run(histogram: histogram, comparisons: model.comparisons,
                                                      estimate: estimate, ignore: estimate.map { !$0 }, lambda: 0.3,
                                                      maximumIterations: settings.maximumIterations)
            let rejection = Plausibility.rejection(of: outcome, comparisons: model.comparisons, estimate: estimate,
                                                   pairs: pairs.count, records: distinctRecords(in: pairs))
            if rejection == nil, !pairs.isEmpty {
                for index in model.comparisons.indices where estimate[index] {
                    for level in mSums[index].indices { mSums[index][level] += outcome.m[index][level] }
                    mPasses[index] += 1
                }
            }
            passes.append(TrainingPass(blockingRule: rule.description, pairs: blockedPairCount, pairsUsed: pairs.count,
                                       iterations: outcome.iterations,
                                       converged: outcome.converged,
                                       estimated: model.comparisons.indices.filter { estimate[$0] }.map { model.comparisons[$0].kind.name },
                                       lambdaAmongPairs: outcome.lambda, rejected: rejection))
        }
        for index in model.comparisons.indices where mPasses[index] > 0 {
            for level in model.comparisons[index].levels.indices {
                model.comparisons[index].levels[level].m = mSums[index][level] / Double(mPasses[index])
            }
        }

        // 2b. m where the data labels itself: candidate pairs agreeing on a valid NHS number and the full
        //     date of birth are near-certain matches, so they measure m of every other comparison without
        //     EM; pairs agreeing on names, date of birth and postcode measure m of the NHS number. Where
        //     there are enough of them, that measurement is the model's m.
        if let labelled = LabelledMatches.estimate(comparisons: model.comparisons, candidateLevels: candidateLevels) {
            for (index, m) in labelled.m.enumerated() {
                guard let m else { continue }
                for level in m.indices { model.comparisons[index].levels[level].m = m[level] }
            }
            passes += labelled.passes
        }

        // 3. λ, the prior: expected matches over all possible pairs.
        let possiblePairs = Double(records.count) * Double(max(records.count - 1, 1)) / 2
        let expectedMatches = deterministicMatchEstimate(model: model, records: records, candidateLevels: candidateLevels)
            ?? {
                // Without NHS number and date of birth comparisons: EM's share of matches among the candidates.
                let outcome = ExpectationMaximisation.run(histogram: candidateLevels.histogram(), comparisons: model.comparisons,
                                                          estimate: model.comparisons.map { _ in false }, lambda: 0.1,
                                                          maximumIterations: settings.maximumIterations)
                return outcome.lambda * Double(candidateLevels.pairCount)
            }()
        model.lambda = min(max(expectedMatches / possiblePairs, 1e-12), 0.5)
        model.training = passes
        return model
    }

    /// Matches expected among all pairs, from a deterministic rule as Splink does it: the candidate
    /// pairs agreeing exactly on NHS number and date of birth (almost all true matches), divided by that
    /// rule's recall. The recall comes from the data and the trained m: both records must carry an NHS
    /// number (share p of records, so p² of pairs), and a true match agrees exactly on both fields with
    /// probability m(NHS exact) × m(date exact). Nil when the model lacks those comparisons or the rule
    /// finds nothing.
    static func deterministicMatchEstimate(model: LinkageModel, records: [MatchRecord], candidateLevels: PairLevels) -> Double? {
        let kinds = model.comparisons.map(\.kind)
        guard let nhs = kinds.firstIndex(of: .nhsNumber), let dob = kinds.firstIndex(of: .dateOfBirth), !records.isEmpty else { return nil }
        var agreeing = 0
        for pair in 0..<candidateLevels.pairCount {
            if LabelledMatches.isLabelledMatch(candidateLevels.levels(ofPair: pair), nhs: nhs, dob: dob) { agreeing += 1 }
        }
        let withNHS = Double(records.lazy.filter { $0.nhsNumber != nil }.count) / Double(records.count)
        let withDate = Double(records.lazy.filter { $0.dateOfBirth != nil }.count) / Double(records.count)
        let nhsLevels = model.comparisons[nhs].levels, dobLevels = model.comparisons[dob].levels
        let recall = withNHS * withNHS * withDate * withDate * (nhsLevels[0].m + nhsLevels[1].m) * dobLevels[0].m
        guard agreeing > 0, recall > 0.01 else { return nil }
        return Double(agreeing) / recall
    }

    static func distinctRecords(in pairs: [(Int32, Int32)]) -> Int {
        var seen = Set<Int32>()
        for (i, j) in pairs { seen.insert(i); seen.insert(j) }
        return seen.count
    }

    /// `sample` for each rule, one task per rule, in the rules' order.
    static func samples(rules: [BlockingRule], records: [MatchRecord], count: Int, seed: UInt64,
                        maximumBlockSize: Int) async -> [(pairCount: Int, pairs: [(Int32, Int32)])] {
        await withTaskGroup(of: (Int, (pairCount: Int, pairs: [(Int32, Int32)])).self) { group in
            for (index, rule) in rules.enumerated() {
                group.addTask {
                    (index, await sample(rule: rule, records: records, count: count, seed: seed, maximumBlockSize: maximumBlockSize))
                }
            }
            var drawn = [(pairCount: Int, pairs: [(Int32, Int32)])](repeating: (0, []), count: rules.count)
            for await (index, sample) in group { drawn[index] = sample }
            return drawn
        }
    }

    /// A training pass's pairs: at most `count` of the rule's pairs, drawn uniformly (Floyd's
    /// sampling with a seeded generator), in blocking order; all of them when there are no more. The
    /// rule's pairs are drawn by number from its blocks, never all held at once (45 million pairs for
    /// `forename & surname` at a million records). Also how many pairs the rule has.
    static func sample(rule: BlockingRule, records: [MatchRecord], count: Int, seed: UInt64,
                       maximumBlockSize: Int) async -> (pairCount: Int, pairs: [(Int32, Int32)]) {
        guard let blocks = RuleBlocks(records: records, rule: rule, maximumBlockSize: maximumBlockSize) else {
            let pairs = await Blocking.candidatePairs(records: records, rules: [rule], maximumBlockSize: maximumBlockSize).pairs
            return (pairs.count, distinctNumbers(below: pairs.count, count: count, seed: seed).map { pairs[$0] })
        }
        return (blocks.pairCount, blocks.pairs(numbered: distinctNumbers(below: blocks.pairCount, count: count, seed: seed)))
    }

    /// `count` distinct numbers from 0..<total drawn uniformly (Floyd's algorithm, with a generator
    /// seeded by `seed` and the total), ascending; all of them when `total` is no more than `count`.
    /// Work and memory grow with `count`, not with `total` (45 million pairs in a pass at a million
    /// records).
    static func distinctNumbers(below total: Int, count: Int, seed: UInt64) -> [Int] {
        guard total > count, count > 0 else { return Array(0..<total) }
        var generator = SplitMix64(seed: seed ^ UInt64(total))
        var chosen = Set<Int>(minimumCapacity: count)
        for upper in (total - count)..<total {
            let candidate = Int(generator.next() % UInt64(upper + 1))
            chosen.insert(chosen.contains(candidate) ? upper : candidate)
        }
        return chosen.sorted()
    }
}

/// The comparison levels of many pairs, flat: pair p's level for comparison c is at p * stride + c.
/// Levels do not depend on the model's parameters, so they are computed once and reused by training
/// and scoring.
public struct PairLevels: Sendable {
    public let levels: [UInt8]
    public let stride: Int
    public var pairCount: Int { stride == 0 ? 0 : levels.count / stride }

    public func histogram() -> PatternHistogram {
        var histogram = PatternHistogram(comparisonCount: stride)
        var pattern = [UInt8](repeating: 0, count: stride)
        for pair in 0..<pairCount {
            for c in 0..<stride { pattern[c] = levels[pair * stride + c] }
            histogram.add(pattern)
        }
        return histogram
    }

    /// The pattern counts of `pairs`, compared on `workers` tasks in one sweep, without keeping each
    /// pair's levels (a training pass needs only the counts).
    public static func histogram(records: [MatchRecord], pairs: [(Int32, Int32)], scorer: Scorer, workers: Int) async -> PatternHistogram {
        let stride = scorer.kinds.count
        let reader = PairReader(records)
        let parts = await Parallel.map(chunkRanges(count: pairs.count, workers: workers), workers: workers) { range in
            var histogram = PatternHistogram(comparisonCount: stride)
            let levels = UnsafeMutableBufferPointer<UInt8>.allocate(capacity: stride)
            defer { levels.deallocate() }
            for (i, j) in pairs[range] {
                reader.withPair(Int(i), Int(j)) { a, b in scorer.levels(a, b, into: levels) }
                histogram.add(PatternHistogram.key(levels))
            }
            return histogram
        }
        var total = PatternHistogram(comparisonCount: stride)
        for part in parts { total.merge(part) }
        return total
    }

    /// Computes the levels of `pairs` on `workers` tasks, each over a contiguous chunk.
    public static func compute(records: [MatchRecord], pairs: [(Int32, Int32)], scorer: Scorer, workers: Int) async -> PairLevels {
        let stride = scorer.kinds.count
        let reader = PairReader(records)
        var parts = await Parallel.map(chunkRanges(count: pairs.count, workers: workers), workers: workers) { range in
            var out = [UInt8](repeating: 0, count: range.count * stride)
            out.withUnsafeMutableBufferPointer { out in
                for (offset, pairIndex) in range.enumerated() {
                    let (i, j) = pairs[pairIndex]
                    let levels = UnsafeMutableBufferPointer(rebasing: out[(offset * stride)..<((offset + 1) * stride)])
                    reader.withPair(Int(i), Int(j)) { a, b in scorer.levels(a, b, into: levels) }
                }
            }
            return out
        }
        return PairLevels(levels: Parallel.joined(&parts), stride: stride)
    }

    /// Scores every pair (weight and probability) on `workers` tasks, keeping those at or above `floor`.
    /// The safeguards' facts (`conflictingForenames`, `identityConfirmed`) are worked out only for pairs
    /// at or above `safeguardsFrom`: clustering consults them only for pairs it could link, and below
    /// that they would cost name comparisons on most candidate pairs for nothing.
    public func score(records: [MatchRecord], pairs: [(Int32, Int32)], scorer: Scorer, floor: Double, safeguardsFrom: Double = 0,
                      workers: Int) async -> [ScoredPair] {
        let stride = self.stride
        let levels = self.levels
        let adjustments = await scorer.termFrequencyAdjustments(records: records, workers: workers)
        let reader = PairReader(records)
        var parts = await Parallel.map(Self.chunkRanges(count: pairs.count, workers: workers), workers: workers) { range in
            var out: [ScoredPair] = []
            // With no floor every pair is kept: the part is made at its final size, not grown by doubling
            // (a tenth of scoring's time went to copying parts as they grew).
            if floor <= 0 { out.reserveCapacity(range.count) }
            var pattern = [UInt8](repeating: 0, count: stride)
            for pairIndex in range {
                for c in 0..<stride { pattern[c] = levels[pairIndex * stride + c] }
                let (i, j) = pairs[pairIndex]
                let weight = scorer.weight(levels: pattern, firstRecord: Int(i), adjustments: adjustments)
                let probability = Scorer.probability(weight: weight)
                guard probability >= floor else { continue }
                guard probability >= safeguardsFrom else {
                    out.append(ScoredPair(i: i, j: j, weight: weight, probability: probability))
                    continue
                }
                let conflicting = reader.withPair(Int(i), Int(j)) { a, b in scorer.hasConflictingForenames(pattern, a, b) }
                out.append(ScoredPair(i: i, j: j, weight: weight, probability: probability,
                                      conflictingForenames: conflicting, identityConfirmed: scorer.confirmsIdentity(pattern)))
            }
            return out
        }
        return Parallel.joined(&parts)
    }

    /// The levels of one pair.
    public func levels(ofPair index: Int) -> ArraySlice<UInt8> {
        levels[(index * stride)..<((index + 1) * stride)]
    }

    /// `count` items cut into sixteen ranges per worker, taken by the workers as they come free: the
    /// pairs of one range can cost several times those of another (long names, many streets), and
    /// with four ranges per worker the last range ran alone for up to half a second at a million
    /// records while the other core had nothing to do.
    public static func chunkRanges(count: Int, workers: Int) -> [Range<Int>] {
        guard count > 0 else { return [] }
        let chunkCount = min(max(workers, 1) * 16, count)
        let size = (count + chunkCount - 1) / chunkCount
        return Swift.stride(from: 0, to: count, by: size).map { $0..<min($0 + size, count) }
    }
}
