/// Edit distances over normalised bytes. Both run in O(|a|·|b|) time with one or two rows of
/// scratch space taken from the stack (`withUnsafeTemporaryAllocation`), so nothing is allocated
/// on the heap for strings of name length.
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
        return withUnsafeTemporaryAllocation(of: Int.self, capacity: columns.count + 1) { row in
            for j in 0...columns.count { row[j] = j }
            for i in 1...rows.count {
                var diagonal = row[0]
                row[0] = i
                let character = rows[i - 1]
                for j in 1...columns.count {
                    let above = row[j]
                    let substitution = diagonal + (character == columns[j - 1] ? 0 : 1)
                    row[j] = min(substitution, above + 1, row[j - 1] + 1)
                    diagonal = above
                }
            }
            return row[columns.count]
        }
    }

    public static func optimalStringAlignment(_ a: UnsafeBufferPointer<UInt8>, _ b: UnsafeBufferPointer<UInt8>) -> Int {
        let (rows, columns) = a.count >= b.count ? (a, b) : (b, a)
        if columns.isEmpty { return rows.count }
        let width = columns.count + 1
        // Three rows: two back (for transpositions), one back, and the current one.
        return withUnsafeTemporaryAllocation(of: Int.self, capacity: 3 * width) { scratch in
            var twoBack = 0, oneBack = width, current = 2 * width
            for j in 0...columns.count { scratch[oneBack + j] = j }
            for i in 1...rows.count {
                scratch[current] = i
                for j in 1...columns.count {
                    let cost = rows[i - 1] == columns[j - 1] ? 0 : 1
                    var best = min(scratch[oneBack + j - 1] + cost,
                                   scratch[oneBack + j] + 1,
                                   scratch[current + j - 1] + 1)
                    if i > 1, j > 1, rows[i - 1] == columns[j - 2], rows[i - 2] == columns[j - 1] {
                        best = min(best, scratch[twoBack + j - 2] + 1)
                    }
                    scratch[current + j] = best
                }
                (twoBack, oneBack, current) = (oneBack, current, twoBack)
            }
            return scratch[oneBack + columns.count]
        }
    }
}
