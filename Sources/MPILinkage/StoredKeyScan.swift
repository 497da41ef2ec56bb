import Dispatch
import Foundation
public import MPICore
public import MPINormalize
public import MPIStore
import Synchronization

/// One pass over the link keys stored with every linked record (`LinkKeys`): which stored records share
/// a blocking value with some query records, how large each of those blocks is in the store, and how
/// often each term-frequency value occurs. An incremental link run and `mpi search` use it instead of
/// loading and blocking every record.
///
/// Records whose keys are missing, or were stored under other settings (other rules or term-frequency
/// comparisons), are loaded and their keys computed; a link run stores them.
public struct StoredKeyScan: Sendable {
    public let rules: [BlockingRule]
    public let termFrequencyKinds: [ComparisonKind]
    public let fingerprint: UInt32

    public init(rules: [BlockingRule], model: LinkageModel) {
        self.rules = rules
        termFrequencyKinds = model.comparisons.filter(\.termFrequencies).map(\.kind)
        fingerprint = LinkKeys.fingerprint(rules: rules, termFrequencyKinds: termFrequencyKinds)
    }

    public func keys(of record: MatchRecord) -> LinkKeys {
        LinkKeys(record, rules: rules, termFrequencyKinds: termFrequencyKinds)
    }

    public struct Found: Sendable {
        /// Per rule, per wanted hash, the stored records having it.
        public var sharing: [[UInt32: [RecordKey]]]
        /// Per rule, per wanted hash, how many stored records have it.
        public var blockSizes: [[UInt32: Int]]
        /// Per term-frequency comparison (model order), each value hash's count among the stored records.
        public var termCounts: [[UInt32: Int]]
        /// Keys computed for records that had none (or stale ones), encoded for the store.
        public var computedKeys: [(RecordKey, [UInt8])] = []
        public var scanned = 0

        /// The stored records sharing a value with a query record in a block of at most `maximumBlockSize`
        /// records, counting `extra` (the query records' own counts) into each block's size.
        public func candidates(maximumBlockSize: Int = .max, extra: [[UInt32: Int]]? = nil) -> Set<RecordKey> {
            var found = Set<RecordKey>()
            for rule in sharing.indices {
                for (hash, keys) in sharing[rule] {
                    let size = blockSizes[rule][hash, default: 0] + (extra?[rule][hash] ?? 0)
                    if size <= maximumBlockSize { found.formUnion(keys) }
                }
            }
            return found
        }
    }

    /// Scans every linked record but those in `skipping` for the blocking hashes of `queries`.
    public func scan(_ store: any IdentityBackend, for queries: [LinkKeys], skipping: Set<RecordKey>, builder: MatchRecordBuilder) throws -> Found {
        var wanted = WantedHashes(ruleCount: rules.count)
        for query in queries {
            for (rule, hashes) in query.blocking.enumerated() { for hash in hashes { wanted.insert(rule: rule, hash) } }
        }
        var result = Found(sharing: Array(repeating: [:], count: rules.count), blockSizes: Array(repeating: [:], count: rules.count),
                            termCounts: Array(repeating: [:], count: termFrequencyKinds.count))
        var hits: [(rule: Int, hash: UInt32)] = []
        func recordHits(of key: RecordKey) {
            defer { hits.removeAll(keepingCapacity: true) }
            for (rule, hash) in hits {
                result.blockSizes[rule][hash, default: 0] += 1
                result.sharing[rule][hash, default: []].append(key)
            }
        }
        var stale: [RecordKey] = []
        try store.scanLinkKeys { bytes, key in
            let valid = bytes.map { bytes in
                LinkKeys.visit(bytes, fingerprint: fingerprint, ruleCount: rules.count, termFrequencyCount: termFrequencyKinds.count,
                               blocking: { rule, hash in if wanted.contains(rule: rule, hash) { hits.append((rule, hash)) } },
                               termFrequency: { index, hash in if hash != 0 { result.termCounts[index][hash, default: 0] += 1 } })
            } ?? false
            if !valid {
                hits.removeAll(keepingCapacity: true)
                stale.append(key())
                return
            }
            result.scanned += 1
            guard !hits.isEmpty else { return }
            let key = key()
            if skipping.contains(key) {
                // Already among the queries: its term frequencies count, its blocks are the queries' own.
                hits.removeAll(keepingCapacity: true)
            } else {
                recordHits(of: key)
            }
        }
        for record in try Self.loadAndBuild(stale, store: store, builder: builder) {
            let keys = keys(of: record)
            result.computedKeys.append((record.key, keys.encoded(fingerprint: fingerprint)))
            result.scanned += 1
            for (index, hash) in keys.termFrequencies.enumerated() where hash != 0 { result.termCounts[index][hash, default: 0] += 1 }
            guard !skipping.contains(record.key) else { continue }
            for (rule, hashes) in keys.blocking.enumerated() {
                for hash in hashes where wanted.contains(rule: rule, hash) { hits.append((rule, hash)) }
            }
            recordHits(of: record.key)
        }
        return result
    }

    /// Term-frequency tables in model order (nil for comparisons without them) from value-hash counts.
    public static func termFrequencyTables(_ counts: [[UInt32: Int]], model: LinkageModel) -> [TermFrequencyTable?] {
        var tables = [TermFrequencyTable?](repeating: nil, count: model.comparisons.count)
        var next = 0
        for (index, comparison) in model.comparisons.enumerated() where comparison.termFrequencies {
            var table = TermFrequencyTable()
            for (hash, count) in counts[next] { table.add(key: hash, count: count) }
            tables[index] = table
            next += 1
        }
        return tables
    }

    /// Loads the active ones of these records and builds their match records, on every core.
    public static func loadAndBuild(_ keys: some Collection<RecordKey>, store: any IdentityBackend, builder: MatchRecordBuilder) throws -> [MatchRecord] {
        let sorted = keys.sorted()
        let parts = min(ProcessInfo.processInfo.activeProcessorCount, max(1, sorted.count / 1000))
        let results = Mutex([Result<[MatchRecord], any Error>?](repeating: nil, count: parts))
        DispatchQueue.concurrentPerform(iterations: parts) { part in
            let slice = sorted[(sorted.count * part / parts)..<(sorted.count * (part + 1) / parts)]
            let sharing = ValueSharing()
            let result = Result { try store.activeRecords(slice).map { builder.build($0, sharing: sharing) } }
            results.withLock { $0[part] = result }
        }
        return try results.withLock { $0 }.flatMap { try $0!.get() }
    }
}

/// The query records' blocking hashes, looked up a million times in a scan: a bitmap answers most
/// lookups (no) before the set is consulted.
struct WantedHashes {
    private var sets: [Set<UInt32>]
    private var bitmap = [UInt64](repeating: 0, count: 1 << 18)   // 2^24 bits, 2 MB

    init(ruleCount: Int) { sets = Array(repeating: [], count: ruleCount) }

    @inline(__always)
    private static func bit(rule: Int, _ hash: UInt32) -> Int {
        Int((hash &* 0x9E37_79B1 &+ UInt32(truncatingIfNeeded: rule) &* 0x85EB_CA77) >> 8)
    }

    mutating func insert(rule: Int, _ hash: UInt32) {
        sets[rule].insert(hash)
        let bit = Self.bit(rule: rule, hash)
        bitmap[bit >> 6] |= 1 << UInt64(bit & 63)
    }

    @inline(__always)
    func contains(rule: Int, _ hash: UInt32) -> Bool {
        let bit = Self.bit(rule: rule, hash)
        guard bitmap[bit >> 6] & (1 << UInt64(bit & 63)) != 0 else { return false }
        return sets[rule].contains(hash)
    }
}
