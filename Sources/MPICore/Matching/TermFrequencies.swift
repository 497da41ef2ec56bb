/// How often each value of a field occurs among the records being linked, for the term-frequency
/// adjustment: when two records agree exactly on a value, the evidence is log2(m / f(value)) rather
/// than log2(m / u), so agreeing on SMITH counts for less than agreeing on a rare surname.
public struct TermFrequencyTable: Sendable {
    private var counts: [[UInt8]: Int] = [:]
    public private(set) var total = 0

    public init() {}

    public mutating func add(_ value: [UInt8]) {
        counts[value, default: 0] += 1
        total += 1
    }

    /// The value's share of all values seen; a value never seen counts as seen once.
    public func frequency(of value: [UInt8]) -> Double {
        guard total > 0 else { return 1 }
        return Double(max(counts[value] ?? 0, 1)) / Double(total)
    }

    public var distinctValues: Int { counts.count }
}
