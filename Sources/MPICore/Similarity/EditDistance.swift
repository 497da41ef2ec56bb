/// Edit distances over normalised bytes. When the shorter string has at most 64 bytes and both hold
/// only normalised-text bytes, a bit-parallel algorithm runs in O(|a| + |b|) (see `BitParallel`).
/// Otherwise both run in O(|a|·|b|) time with one or three rows of
/// 16-bit scratch cells taken from the stack (`withUnsafeTemporaryAllocation`), so nothing is
/// allocated on the heap for strings up to about 150 bytes (names, address lines). Longer strings
/// still work; the scratch space may then come from the heap.
public enum EditDistance {
    /// Levenshtein distance: insertions, deletions and substitutions each cost 1.
    @inlinable
    public static func levenshtein(_ a: [UInt8], _ b: [UInt8]) -> Int {
        a.withUnsafeBufferPointer { a in b.withUnsafeBufferPointer { b in levenshtein(a, b) } }
    }

    /// Damerau-Levenshtein distance in its optimal-string-alignment form: as Levenshtein, plus the
    /// transposition of two adjacent characters at cost 1, with no substring edited twice.
    @inlinable
    public static func optimalStringAlignment(_ a: [UInt8], _ b: [UInt8]) -> Int {
        a.withUnsafeBufferPointer { a in b.withUnsafeBufferPointer { b in optimalStringAlignment(a, b) } }
    }

    public static func levenshtein(_ a: UnsafeBufferPointer<UInt8>, _ b: UnsafeBufferPointer<UInt8>) -> Int {
        // Keep the row as short as possible.
        let (rows, columns) = a.count >= b.count ? (a, b) : (b, a)
        if columns.isEmpty { return rows.count }
        if columns.count <= 64, BitParallel.fitsAlphabet(columns), BitParallel.fitsAlphabet(rows) {
            return BitParallel.levenshtein(pattern: columns, text: rows)
        }
        guard rows.count < Int(UInt16.max) else { return levenshteinWide(rows, columns) }
        return withUnsafeTemporaryAllocation(of: UInt16.self, capacity: columns.count + 1) { row in
            for j in 0...columns.count { row[j] = UInt16(j) }
            for i in 1...rows.count {
                var diagonal = row[0]
                row[0] = UInt16(i)
                let character = rows[i - 1]
                for j in 1...columns.count {
                    let above = row[j]
                    let substitution: UInt16 = diagonal + (character == columns[j - 1] ? 0 : 1)
                    let deletion: UInt16 = above + 1
                    let insertion: UInt16 = row[j - 1] + 1
                    row[j] = min(substitution, deletion, insertion)
                    diagonal = above
                }
            }
            return Int(row[columns.count])
        }
    }

    /// The same with full-width cells, for strings too long for 16-bit distances.
    private static func levenshteinWide(_ rows: UnsafeBufferPointer<UInt8>, _ columns: UnsafeBufferPointer<UInt8>) -> Int {
        var row = Array(0...columns.count)
        for i in 1...rows.count {
            var diagonal = row[0]
            row[0] = i
            for j in 1...columns.count {
                let above = row[j]
                row[j] = min(diagonal + (rows[i - 1] == columns[j - 1] ? 0 : 1), above + 1, row[j - 1] + 1)
                diagonal = above
            }
        }
        return row[columns.count]
    }

    public static func optimalStringAlignment(_ a: UnsafeBufferPointer<UInt8>, _ b: UnsafeBufferPointer<UInt8>) -> Int {
        let (rows, columns) = a.count >= b.count ? (a, b) : (b, a)
        if columns.isEmpty { return rows.count }
        if columns.count <= 64, BitParallel.fitsAlphabet(columns), BitParallel.fitsAlphabet(rows) {
            return BitParallel.optimalStringAlignment(pattern: columns, text: rows)
        }
        let width = columns.count + 1
        guard rows.count < Int(UInt16.max) else { return optimalStringAlignmentWide(rows, columns) }
        // Three rows: two back (for transpositions), one back, and the current one.
        return withUnsafeTemporaryAllocation(of: UInt16.self, capacity: 3 * width) { scratch in
            var twoBack = 0, oneBack = width, current = 2 * width
            for j in 0...columns.count { scratch[oneBack + j] = UInt16(j) }
            for i in 1...rows.count {
                scratch[current] = UInt16(i)
                for j in 1...columns.count {
                    let cost: UInt16 = rows[i - 1] == columns[j - 1] ? 0 : 1
                    let substitution: UInt16 = scratch[oneBack + j - 1] + cost
                    let deletion: UInt16 = scratch[oneBack + j] + 1
                    let insertion: UInt16 = scratch[current + j - 1] + 1
                    var best = min(substitution, deletion, insertion)
                    if i > 1, j > 1, rows[i - 1] == columns[j - 2], rows[i - 2] == columns[j - 1] {
                        best = min(best, scratch[twoBack + j - 2] + 1)
                    }
                    scratch[current + j] = best
                }
                (twoBack, oneBack, current) = (oneBack, current, twoBack)
            }
            return Int(scratch[oneBack + columns.count])
        }
    }

    /// The same with full-width cells, for strings too long for 16-bit distances.
    private static func optimalStringAlignmentWide(_ rows: UnsafeBufferPointer<UInt8>, _ columns: UnsafeBufferPointer<UInt8>) -> Int {
        var twoBack = [Int](repeating: 0, count: columns.count + 1)
        var oneBack = Array(0...columns.count)
        var current = twoBack
        for i in 1...rows.count {
            current[0] = i
            for j in 1...columns.count {
                var best = min(oneBack[j - 1] + (rows[i - 1] == columns[j - 1] ? 0 : 1), oneBack[j] + 1, current[j - 1] + 1)
                if i > 1, j > 1, rows[i - 1] == columns[j - 2], rows[i - 2] == columns[j - 1] {
                    best = min(best, twoBack[j - 2] + 1)
                }
                current[j] = best
            }
            (twoBack, oneBack, current) = (oneBack, current, twoBack)
        }
        return oneBack[columns.count]
    }
}
