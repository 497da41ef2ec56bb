/// What an incremental link run needs to know of a record without loading it: its blocking values
/// under each rule and its term-frequency values, as 32-bit hashes. The store keeps them with each
/// record, so a run over a few new records finds their candidates and rebuilds the term-frequency
/// tables by scanning these few bytes per record instead of normalising and blocking every record.
///
/// A 32-bit blocking hash can collide: a stored record may then look like a candidate when it is not.
/// That costs a record loaded for nothing, never a pair: candidates are blocked again on their full
/// values before any pair is formed.
public struct LinkKeys: Sendable, Hashable {
    /// Per blocking rule, the record's value hashes (none when a key is missing, several for a
    /// multi-valued key such as `surname_part`).
    public var blocking: [[UInt32]]
    /// Per comparison that uses term frequencies, in model order, the value's hash; 0 when missing.
    public var termFrequencies: [UInt32]

    public init(blocking: [[UInt32]], termFrequencies: [UInt32]) {
        self.blocking = blocking
        self.termFrequencies = termFrequencies
    }

    public init(_ record: MatchRecord, rules: [BlockingRule], termFrequencyKinds: [ComparisonKind]) {
        blocking = rules.map { rule in
            if rule.isSingleValued { return rule.singleHash(record).map { [Self.short($0)] } ?? [] }
            return Array(Set(rule.hashes(record).map(Self.short))).sorted()
        }
        termFrequencies = termFrequencyKinds.map { kind in
            kind.termFrequencyValue(record).map(TermFrequencyTable.key(of:)) ?? 0
        }
    }

    /// A 64-bit blocking or value hash cut to the 32 bits that are stored; never 0, which marks "none".
    @inline(__always)
    public static func short(_ hash: UInt64) -> UInt32 {
        let cut = UInt32(truncatingIfNeeded: hash ^ (hash >> 32))
        return cut == 0 ? 1 : cut
    }

    /// Names what the hashes were computed under (the rules and the term-frequency comparisons), so keys
    /// stored under other settings are recognised as stale and recomputed.
    public static func fingerprint(rules: [BlockingRule], termFrequencyKinds: [ComparisonKind]) -> UInt32 {
        let text = "v1|" + rules.map(\.description).joined(separator: ";") + "|" + termFrequencyKinds.map(\.name).joined(separator: ";")
        return short(BlockingRule.fnv1a(Array(text.utf8)))
    }

    /// The stored form: the fingerprint, then per rule a count byte and its hashes, then the
    /// term-frequency hashes; all little-endian.
    public func encoded(fingerprint: UInt32) -> [UInt8] {
        var bytes: [UInt8] = []
        bytes.reserveCapacity(4 + blocking.count + 4 * (blocking.reduce(0) { $0 + $1.count } + termFrequencies.count))
        func put(_ value: UInt32) { withUnsafeBytes(of: value.littleEndian) { bytes.append(contentsOf: $0) } }
        put(fingerprint)
        for hashes in blocking {
            let kept = hashes.prefix(255)
            bytes.append(UInt8(kept.count))
            for hash in kept { put(hash) }
        }
        for hash in termFrequencies { put(hash) }
        return bytes
    }

    /// Reads the stored form; nil when it was written under another fingerprint or is malformed.
    public init?(decoding bytes: UnsafeRawBufferPointer, fingerprint: UInt32, ruleCount: Int, termFrequencyCount: Int) {
        var blocking = [[UInt32]](repeating: [], count: ruleCount)
        var termFrequencies: [UInt32] = []
        let valid = Self.visit(bytes, fingerprint: fingerprint, ruleCount: ruleCount, termFrequencyCount: termFrequencyCount,
                               blocking: { rule, hash in blocking[rule].append(hash) },
                               termFrequency: { _, hash in termFrequencies.append(hash) })
        guard valid else { return nil }
        self.init(blocking: blocking, termFrequencies: termFrequencies)
    }

    /// Reads the stored form without building arrays (a scan of a million records calls this a million
    /// times): `blocking(rule, hash)` for each blocking hash, then `termFrequency(index, hash)` for each
    /// term-frequency hash, 0 included. False, having called neither, when the bytes were written under
    /// another fingerprint or are malformed.
    @inline(__always)
    public static func visit(_ bytes: UnsafeRawBufferPointer, fingerprint: UInt32, ruleCount: Int, termFrequencyCount: Int,
                             blocking: (Int, UInt32) -> Void, termFrequency: (Int, UInt32) -> Void) -> Bool {
        func word(_ offset: Int) -> UInt32 { UInt32(littleEndian: bytes.loadUnaligned(fromByteOffset: offset, as: UInt32.self)) }
        guard bytes.count >= 4, word(0) == fingerprint else { return false }
        // Check the layout first, so a malformed value reports nothing rather than half.
        var offset = 4
        for _ in 0..<ruleCount {
            guard offset < bytes.count else { return false }
            offset += 1 + 4 * Int(bytes[offset])
        }
        guard offset + 4 * termFrequencyCount == bytes.count else { return false }
        offset = 4
        for rule in 0..<ruleCount {
            let count = Int(bytes[offset])
            offset += 1
            for _ in 0..<count {
                blocking(rule, word(offset))
                offset += 4
            }
        }
        for index in 0..<termFrequencyCount {
            termFrequency(index, word(offset))
            offset += 4
        }
        return true
    }
}
