/// Jaro and Jaro-Winkler similarity over normalised bytes.
///
/// Conventions follow the reference implementation the fixtures come from (rapidfuzz):
/// two empty strings are identical (1.0); an empty and a non-empty string share nothing (0.0);
/// the Winkler prefix bonus (scale 0.1, common prefix of at most 4) is applied only when the
/// Jaro similarity is above 0.7, as Winkler proposed.
public enum Jaro {
    /// Winkler's prefix scale.
    public static let prefixScale = 0.1
    /// The longest common prefix that earns the bonus.
    public static let maximumPrefix = 4
    /// Jaro similarity at or below which no prefix bonus is given.
    public static let boostThreshold = 0.7

    /// Jaro similarity in 0...1.
    @inlinable
    public static func similarity(_ a: [UInt8], _ b: [UInt8]) -> Double {
        a.withUnsafeBufferPointer { a in b.withUnsafeBufferPointer { b in similarity(a, b) } }
    }

    /// Jaro-Winkler similarity in 0...1.
    @inlinable
    public static func winklerSimilarity(_ a: [UInt8], _ b: [UInt8]) -> Double {
        a.withUnsafeBufferPointer { a in b.withUnsafeBufferPointer { b in winklerSimilarity(a, b) } }
    }

    public static func winklerSimilarity(_ a: UnsafeBufferPointer<UInt8>, _ b: UnsafeBufferPointer<UInt8>) -> Double {
        let jaro = similarity(a, b)
        guard jaro > boostThreshold else { return jaro }
        let limit = min(maximumPrefix, a.count, b.count)
        var prefix = 0
        while prefix < limit, a[prefix] == b[prefix] { prefix += 1 }
        return jaro + Double(prefix) * prefixScale * (1 - jaro)
    }

    public static func similarity(_ a: UnsafeBufferPointer<UInt8>, _ b: UnsafeBufferPointer<UInt8>) -> Double {
        if a.isEmpty && b.isEmpty { return 1 }
        if a.isEmpty || b.isEmpty { return 0 }
        // Scan the shorter string against the longer one; the measure is symmetric.
        let (short, long) = a.count <= b.count ? (a, b) : (b, a)
        if long.count <= 64 {
            return similarityUpTo64(short: short, long: long)
        }
        return similarityAnyLength(short: short, long: long)
    }

    /// Names are short: with both strings at most 64 bytes the "already matched" flags fit in two words
    /// and nothing is allocated.
    @usableFromInline
    static func similarityUpTo64(short: UnsafeBufferPointer<UInt8>, long: UnsafeBufferPointer<UInt8>) -> Double {
        let window = max(0, long.count / 2 - 1)
        var longMatched: UInt64 = 0
        var shortMatched: UInt64 = 0
        var matches = 0
        for i in 0..<short.count {
            let character = short[i]
            let start = max(0, i - window)
            let end = min(long.count, i + window + 1)
            var j = start
            while j < end {
                if longMatched & (1 << UInt64(j)) == 0, long[j] == character {
                    longMatched |= 1 << UInt64(j)
                    shortMatched |= 1 << UInt64(i)
                    matches += 1
                    break
                }
                j += 1
            }
        }
        guard matches > 0 else { return 0 }
        // Count matched characters that appear in a different order.
        var halfTranspositions = 0
        var remainingLong = longMatched
        var remainingShort = shortMatched
        while remainingShort != 0 {
            let i = remainingShort.trailingZeroBitCount
            let j = remainingLong.trailingZeroBitCount
            if short[i] != long[j] { halfTranspositions += 1 }
            remainingShort &= remainingShort - 1
            remainingLong &= remainingLong - 1
        }
        return score(matches: matches, halfTranspositions: halfTranspositions, lengths: short.count, long.count)
    }

    @usableFromInline
    static func similarityAnyLength(short: UnsafeBufferPointer<UInt8>, long: UnsafeBufferPointer<UInt8>) -> Double {
        let window = max(0, long.count / 2 - 1)
        return withUnsafeTemporaryAllocation(of: Bool.self, capacity: short.count + long.count) { flags in
            flags.initialize(repeating: false)
            var matches = 0
            for i in 0..<short.count {
                let start = max(0, i - window)
                let end = min(long.count, i + window + 1)
                var j = start
                while j < end {
                    if !flags[short.count + j], long[j] == short[i] {
                        flags[short.count + j] = true
                        flags[i] = true
                        matches += 1
                        break
                    }
                    j += 1
                }
            }
            guard matches > 0 else { return 0 }
            var halfTranspositions = 0
            var j = 0
            for i in 0..<short.count where flags[i] {
                while !flags[short.count + j] { j += 1 }
                if short[i] != long[j] { halfTranspositions += 1 }
                j += 1
            }
            return score(matches: matches, halfTranspositions: halfTranspositions, lengths: short.count, long.count)
        }
    }

    @inline(__always)
    static func score(matches: Int, halfTranspositions: Int, lengths first: Int, _ second: Int) -> Double {
        let m = Double(matches)
        let transpositions = Double(halfTranspositions / 2)
        return (m / Double(first) + m / Double(second) + (m - transpositions) / m) / 3
    }
}
