/// How often each value of a field occurs among the records being linked, for the term-frequency
/// adjustment: when two records agree exactly on a value, the evidence is log2(m / f(value)) rather
/// than log2(m / u), so agreeing on SMITH counts for less than agreeing on a rare surname.
///
/// Values are counted by a 32-bit hash (`key(of:)`), so that an incremental link run can rebuild the
/// table from the hashes stored with each record (`LinkKeys`) instead of loading every record. Two
/// values sharing a hash share a count: that only ever makes a value look commoner, so agreement on it
/// weighs less, never more. With a few hundred thousand distinct names such a collision is expected a
/// handful of times, each costing at most one bit of weight to one rare name.
public struct TermFrequencyTable: Sendable {
    private var counts: [UInt32: Int] = [:]
    public private(set) var total = 0

    public init() {}

    /// The hash a value is counted under.
    public static func key(of value: some Sequence<UInt8>) -> UInt32 {
        var hash = BlockingRule.fnvOffset
        for byte in value { hash = BlockingRule.fnvFeed(hash, byte) }
        return LinkKeys.short(hash)
    }

    public mutating func add(_ value: [UInt8]) {
        add(key: Self.key(of: value))
    }

    /// Counts one more value with this hash.
    public mutating func add(key: UInt32, count: Int = 1) {
        counts[key, default: 0] += count
        total += count
    }

    /// The value's share of all values seen; a value never seen counts as seen once.
    public func frequency(of value: [UInt8]) -> Double {
        guard total > 0 else { return 1 }
        return Double(max(counts[Self.key(of: value)] ?? 0, 1)) / Double(total)
    }

    public var distinctValues: Int { counts.count }
}
