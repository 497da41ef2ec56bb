/// The blocking values of every record in a live index, for finding a new record's candidates without
/// scanning: the same rules and the same oversized-block limit as batch linkage, so a real-time lookup
/// proposes the pairs a link run would.
///
/// Records loaded at start are held in one sorted array per rule (16 bytes per value); records added
/// later go to a small dictionary. A record that changes is removed (`remove`, with its old values)
/// and inserted again, under the same index or a new one: an added record's entries are deleted; a
/// loaded record's entries are marked retired, once each. So stale values are never returned, and
/// repeated updates never pile up entries (which would also make a block look larger than it is and
/// be skipped).
public struct BlockingIndex: Sendable {
    public let rules: [BlockingRule]
    public let maximumBlockSize: Int

    private var sortedHashes: [[UInt64]]
    private var sortedRecords: [[Int32]]
    private var added: [[UInt64: [Int32]]]
    /// Loaded entries whose record has since changed or gone: (rule, value, record).
    private var retired = Set<RetiredEntry>()

    private struct RetiredEntry: Hashable, Sendable {
        let rule: Int
        let hash: UInt64
        let record: Int32
    }

    /// Indexes `records` (record i at index i).
    public init(records: [MatchRecord], rules: [BlockingRule], maximumBlockSize: Int) {
        self.rules = rules
        self.maximumBlockSize = maximumBlockSize
        sortedHashes = []
        sortedRecords = []
        for rule in rules {
            var entries: [(hash: UInt64, record: Int32)] = []
            entries.reserveCapacity(records.count)
            for (index, record) in records.enumerated() {
                for hash in rule.hashes(record) { entries.append((hash, Int32(index))) }
            }
            HashOrder.sort(&entries)
            sortedHashes.append(entries.map(\.hash))
            sortedRecords.append(entries.map(\.record))
        }
        added = Array(repeating: [:], count: rules.count)
    }

    public mutating func insert(_ record: MatchRecord, at index: Int32) {
        for (ruleIndex, rule) in rules.enumerated() {
            for hash in rule.hashes(record) { added[ruleIndex][hash, default: []].append(index) }
        }
    }

    /// Takes a record (as it was indexed) out of every later answer.
    public mutating func remove(_ record: MatchRecord, at index: Int32) {
        for (ruleIndex, rule) in rules.enumerated() {
            for hash in rule.hashes(record) {
                if var list = added[ruleIndex][hash], let position = list.firstIndex(of: index) {
                    list.remove(at: position)
                    added[ruleIndex][hash] = list.isEmpty ? nil : list
                } else {
                    retired.insert(RetiredEntry(rule: ruleIndex, hash: hash, record: index))
                }
            }
        }
    }

    public struct Lookup: Sendable, Hashable {
        /// Indexes of the records sharing a blocking value with the query, each once, ascending.
        public var candidates: [Int32]
        /// Blocks left out because they hold more than `maximumBlockSize` records with the query.
        public var skippedBlocks: Int
    }

    /// The records sharing at least one blocking value with `query` under any rule.
    public func candidates(for query: MatchRecord) -> Lookup {
        var found = Set<Int32>()
        var skipped = 0
        for (ruleIndex, rule) in rules.enumerated() {
            for hash in rule.hashes(query) {
                let range = equalRange(of: hash, in: sortedHashes[ruleIndex])
                let extra = added[ruleIndex][hash] ?? []
                func isLive(_ position: Int) -> Bool {
                    retired.isEmpty || !retired.contains(RetiredEntry(rule: ruleIndex, hash: hash, record: sortedRecords[ruleIndex][position]))
                }
                let loaded = retired.isEmpty ? range.count : range.reduce(0) { $0 + (isLive($1) ? 1 : 0) }
                // The query itself would make the block one larger, exactly as a batch run sees it.
                if loaded + extra.count + 1 > maximumBlockSize {
                    skipped += 1
                    continue
                }
                for position in range where isLive(position) { found.insert(sortedRecords[ruleIndex][position]) }
                found.formUnion(extra)
            }
        }
        return Lookup(candidates: found.sorted(), skippedBlocks: skipped)
    }

    private func equalRange(of hash: UInt64, in hashes: [UInt64]) -> Range<Int> {
        var low = 0, high = hashes.count
        while low < high {
            let middle = (low + high) / 2
            if hashes[middle] < hash { low = middle + 1 } else { high = middle }
        }
        var end = low
        while end < hashes.count, hashes[end] == hash { end += 1 }
        return low..<end
    }
}
