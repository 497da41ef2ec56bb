/// Bit-parallel edit distances for a pattern of at most 64 bytes (Myers 1999, in Hyyrö's 2003 form
/// for global distance; Hyyrö 2003 for the transposition extension). One machine word holds a whole
/// column of the dynamic-programming matrix as vertical deltas, so a distance costs a few word
/// operations per byte of the longer string instead of a cell per pair of bytes.
///
/// The pattern's positions per byte value live in a 64-entry table on the stack. That needs a
/// one-to-one map from bytes to 0..<64: `byte & 0x3F` is one over 0x20...0x5F (space, digits,
/// punctuation and upper-case letters: everything normalised text holds). Other bytes go to the
/// general algorithms.
enum BitParallel {
    /// True when every byte is in 0x20...0x5F, where `byte & 0x3F` is one-to-one.
    @inline(__always)
    static func fitsAlphabet(_ bytes: UnsafeBufferPointer<UInt8>) -> Bool {
        for byte in bytes where byte < 0x20 || byte > 0x5F { return false }
        return true
    }

    /// Runs `body` with the pattern's match masks: entry `byte & 0x3F` has bit i set when pattern[i] == byte.
    @inline(__always)
    static func withMatchMasks<R>(_ pattern: UnsafeBufferPointer<UInt8>, _ body: (UnsafeMutableBufferPointer<UInt64>) -> R) -> R {
        withUnsafeTemporaryAllocation(of: UInt64.self, capacity: 64) { masks in
            masks.initialize(repeating: 0)
            for (index, byte) in pattern.enumerated() { masks[Int(byte & 0x3F)] |= 1 << UInt64(index) }
            return body(masks)
        }
    }

    /// Levenshtein distance; `pattern` is 1...64 bytes, both strings within the alphabet.
    static func levenshtein(pattern: UnsafeBufferPointer<UInt8>, text: UnsafeBufferPointer<UInt8>) -> Int {
        withMatchMasks(pattern) { masks in
            let last: UInt64 = 1 << UInt64(pattern.count - 1)
            var positiveVertical: UInt64 = ~0, negativeVertical: UInt64 = 0
            var distance = pattern.count
            for byte in text {
                let match = masks[Int(byte & 0x3F)]
                let xv = match | negativeVertical
                let xh = (((match & positiveVertical) &+ positiveVertical) ^ positiveVertical) | match
                var positiveHorizontal = negativeVertical | ~(xh | positiveVertical)
                var negativeHorizontal = positiveVertical & xh
                if positiveHorizontal & last != 0 { distance += 1 }
                if negativeHorizontal & last != 0 { distance -= 1 }
                positiveHorizontal = positiveHorizontal << 1 | 1
                negativeHorizontal <<= 1
                positiveVertical = negativeHorizontal | ~(xv | positiveHorizontal)
                negativeVertical = positiveHorizontal & xv
            }
            return distance
        }
    }

    /// Optimal-string-alignment distance; same conditions as `levenshtein`.
    static func optimalStringAlignment(pattern: UnsafeBufferPointer<UInt8>, text: UnsafeBufferPointer<UInt8>) -> Int {
        withMatchMasks(pattern) { masks in
            let last: UInt64 = 1 << UInt64(pattern.count - 1)
            var positiveVertical: UInt64 = ~0, negativeVertical: UInt64 = 0
            var diagonalZero: UInt64 = 0, previousMatch: UInt64 = 0
            var distance = pattern.count
            for byte in text {
                let match = masks[Int(byte & 0x3F)]
                let transposition = ((~diagonalZero & match) << 1) & previousMatch
                diagonalZero = (((match & positiveVertical) &+ positiveVertical) ^ positiveVertical) | match | negativeVertical
                diagonalZero |= transposition
                var positiveHorizontal = negativeVertical | ~(diagonalZero | positiveVertical)
                var negativeHorizontal = diagonalZero & positiveVertical
                if positiveHorizontal & last != 0 { distance += 1 }
                if negativeHorizontal & last != 0 { distance -= 1 }
                positiveHorizontal = positiveHorizontal << 1 | 1
                negativeHorizontal <<= 1
                positiveVertical = negativeHorizontal | ~(diagonalZero | positiveHorizontal)
                negativeVertical = positiveHorizontal & diagonalZero
                previousMatch = match
            }
            return distance
        }
    }
}
