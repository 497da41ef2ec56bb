internal import RealModule

/// Counts of distinct comparison-vector patterns. EM iterates over these instead of over pairs, so an
/// iteration costs the same for a thousand pairs or a hundred million.
public struct PatternHistogram: Sendable {
    /// Pattern (levels packed four bits each, comparison 0 lowest) -> number of pairs.
    public private(set) var counts: [UInt64: Double] = [:]
    public let comparisonCount: Int
    public private(set) var pairs = 0

    /// At most 16 comparisons with at most 15 levels each fit a pattern key.
    public static let maximumComparisons = 16

    public init(comparisonCount: Int) {
        precondition(comparisonCount <= Self.maximumComparisons, "at most 16 comparisons")
        self.comparisonCount = comparisonCount
    }

    public static func key(_ levels: some Collection<UInt8>) -> UInt64 {
        var key: UInt64 = 0
        for (index, level) in levels.enumerated() { key |= UInt64(level & 0x0F) << UInt64(4 * index) }
        return key
    }

    public func levels(of key: UInt64) -> [UInt8] {
        (0..<comparisonCount).map { UInt8((key >> UInt64(4 * $0)) & 0x0F) }
    }

    public mutating func add(_ levels: [UInt8], count: Double = 1) {
        add(Self.key(levels), count: count)
    }

    /// Counts a pattern by its key (`key(_:)`).
    public mutating func add(_ key: UInt64, count: Double = 1) {
        counts[key, default: 0] += count
        pairs += Int(count)
    }

    public mutating func merge(_ other: PatternHistogram) {
        for (key, count) in other.counts { counts[key, default: 0] += count }
        pairs += other.pairs
    }
}

/// Expectation-maximisation for the m probabilities and λ, with u held at the values estimated from
/// random pairs (as Splink does: u from random sampling is more reliable than u from EM).
public enum ExpectationMaximisation {
    public struct Outcome: Sendable {
        /// m per comparison per level (null excluded), after the last iteration.
        public var m: [[Double]]
        /// λ among the pairs the histogram holds.
        public var lambda: Double
        public var iterations: Int
        public var converged: Bool
    }

    /// Smallest m kept for a level, so that a level unseen in one pass keeps a finite weight.
    public static let minimumM = 1e-6

    /// - Parameters:
    ///   - estimate: which comparisons' m to estimate; the others stay as given.
    ///   - ignore: comparisons left out of the likelihood altogether. A training pass that blocks on a
    ///     field must ignore that field's comparison: every pair agrees on it, so it would make every pair
    ///     look like a match and EM would learn the non-matches' distribution as m.
    public static func run(histogram: PatternHistogram, comparisons: [ComparisonParameters], estimate: [Bool],
                           ignore: [Bool]? = nil, lambda initialLambda: Double, maximumIterations: Int = 30,
                           tolerance: Double = 1e-5) -> Outcome {
        let ignored = ignore ?? comparisons.map { _ in false }
        var m = comparisons.map { $0.levels.map(\.m) }
        let u = comparisons.map { $0.levels.map(\.u) }
        var lambda = min(max(initialLambda, 1e-6), 1 - 1e-6)
        let patterns = histogram.counts.map { (levels: histogram.levels(of: $0.key), count: $0.value) }
        guard !patterns.isEmpty else { return Outcome(m: m, lambda: lambda, iterations: 0, converged: true) }

        for iteration in 1...maximumIterations {
            var expected = m.map { $0.map { _ in 0.0 } }
            var matchTotal = 0.0, total = 0.0
            for pattern in patterns {
                var logMatch = Double.log(lambda), logNonMatch = Double.log(1 - lambda)
                for (index, level) in pattern.levels.enumerated() where level > 0 && !ignored[index] {
                    logMatch += Double.log(m[index][Int(level) - 1])
                    logNonMatch += Double.log(u[index][Int(level) - 1])
                }
                let probability = 1 / (1 + Double.exp(logNonMatch - logMatch))
                let weight = probability * pattern.count
                matchTotal += weight
                total += pattern.count
                for (index, level) in pattern.levels.enumerated() where level > 0 { expected[index][Int(level) - 1] += weight }
            }
            var largestChange = 0.0
            for index in m.indices where estimate[index] {
                let sum = expected[index].reduce(0, +)
                guard sum > 0 else { continue }
                var updated = expected[index].map { max($0 / sum, minimumM) }
                let renormalise = updated.reduce(0, +)
                updated = updated.map { $0 / renormalise }
                for level in updated.indices { largestChange = max(largestChange, abs(updated[level] - m[index][level])) }
                m[index] = updated
            }
            let newLambda = min(max(matchTotal / total, 1e-9), 1 - 1e-9)
            largestChange = max(largestChange, abs(newLambda - lambda))
            lambda = newLambda
            if largestChange < tolerance {
                return Outcome(m: m, lambda: lambda, iterations: iteration, converged: true)
            }
        }
        return Outcome(m: m, lambda: lambda, iterations: maximumIterations, converged: false)
    }
}

/// u probabilities from record pairs drawn at random, almost all of which are different people.
public enum RandomPairSampling {
    /// - Returns: u per comparison per level (null excluded), with add-one smoothing so no level has u = 0.
    public static func estimateU(records: [MatchRecord], scorer: Scorer, sampleSize: Int, seed: UInt64, workers: Int = 1) async -> [[Double]] {
        let kinds = scorer.kinds
        guard records.count >= 2 else {
            return kinds.map { kind in (1..<kind.levelCount).map { _ in 1 / Double(kind.levelCount - 1) } }
        }
        // The pairs are drawn in one sequence (so the estimate depends on the seed, not on the number
        // of cores), then compared in chunks on `workers` tasks; the counts are whole numbers, so their
        // sum does not depend on the order either.
        var generator = SplitMix64(seed: seed)
        var drawn = [(Int32, Int32)]()
        drawn.reserveCapacity(sampleSize)
        for _ in 0..<sampleSize {
            let i = Int(generator.next() % UInt64(records.count))
            var j = Int(generator.next() % UInt64(records.count - 1))
            if j >= i { j += 1 }
            drawn.append((Int32(i), Int32(j)))
        }
        let pairs = drawn
        let reader = PairReader(records)
        let parts = await Parallel.map(PairLevels.chunkRanges(count: pairs.count, workers: workers), workers: workers) { range in
            var counts = kinds.map { [Double](repeating: 0, count: $0.levelCount - 1) }
            let levels = UnsafeMutableBufferPointer<UInt8>.allocate(capacity: kinds.count)
            defer { levels.deallocate() }
            for (i, j) in pairs[range] {
                reader.withPair(Int(i), Int(j)) { a, b in scorer.levels(a, b, into: levels) }
                for (index, level) in levels.enumerated() where level > 0 { counts[index][Int(level) - 1] += 1 }
            }
            return counts
        }
        var counts = kinds.map { [Double](repeating: 0, count: $0.levelCount - 1) }
        for part in parts {
            for index in counts.indices { for level in counts[index].indices { counts[index][level] += part[index][level] } }
        }
        return counts.map { levelCounts in
            let total = levelCounts.reduce(0, +) + Double(levelCounts.count)
            return levelCounts.map { ($0 + 1) / total }
        }
    }
}

/// A small, fast, seedable generator (Steele, Lea and Flood's SplitMix64), so training is deterministic
/// for a seed on every platform.
public struct SplitMix64: RandomNumberGenerator, Sendable {
    private var state: UInt64

    public init(seed: UInt64) { state = seed }

    public mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}
