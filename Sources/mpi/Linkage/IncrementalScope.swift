import Dispatch
import Foundation
import MPICore
import MPINormalize
import MPIStore
import Synchronization

/// The part of an identity store an incremental link run needs: the new and changed records, every
/// stored record that shares a blocking value with one of them, and every record of those records'
/// persons (so the clustering sees each person it might touch whole). Everything else keeps its person
/// without being loaded.
///
/// Found from the link keys stored with each record (`LinkKeys`): one scan of a few bytes per record
/// gives the candidates, the size each of the new records' blocks has in the whole store, and the
/// term-frequency tables of the whole store, so the run scores and blocks exactly as a run over every
/// record would. Records whose keys are missing or were stored under other settings (registered by the
/// service, or linked before keys were stored) have them computed here and stored by the run.
struct IncrementalScope {
    /// The records to link: the pending ones, their candidates and the members of their persons.
    var loaded: LinkRun.Loaded
    /// New and changed records, and records a steward unlinked.
    var pending: Set<RecordKey>
    /// The current person of every loaded record that has one.
    var persons: [RecordKey: EnterpriseID]
    var termFrequencies: [TermFrequencyTable?]
    /// Per rule, the whole store's block size of each blocking value a pending record has.
    var storeBlockSizes: [[UInt32: Int]]
    /// Link keys computed by this run, encoded, for the store.
    var computedKeys: [(RecordKey, [UInt8])]
    /// Stored records scanned.
    var scanned = 0
    var candidates = 0

    /// - Parameters:
    ///   - waiting: records imported or changed since the last run.
    ///   - unlinked: records a steward unlinked, linked again so the decision takes effect.
    ///   - decisionRecords: both records of every steward decision, loaded so each decision binds.
    static func gather(store: IdentityStore, waiting: Set<RecordKey>, unlinked: Set<RecordKey>, decisionRecords: Set<RecordKey>,
                       rules: [BlockingRule], model: LinkageModel, maximumBlockSize: Int,
                       builder: MatchRecordBuilder) throws -> IncrementalScope {
        let pending = waiting.union(unlinked)
        let termFrequencyKinds = model.comparisons.filter(\.termFrequencies).map(\.kind)
        let fingerprint = LinkKeys.fingerprint(rules: rules, termFrequencyKinds: termFrequencyKinds)
        var computedKeys: [(RecordKey, [UInt8])] = []
        var termCounts = [[UInt32: Int]](repeating: [:], count: termFrequencyKinds.count)
        func countTermFrequencies(_ keys: LinkKeys) {
            for (index, hash) in keys.termFrequencies.enumerated() where hash != 0 { termCounts[index][hash, default: 0] += 1 }
        }

        // The pending records' own values: what the store is searched for. (Unlinked records are
        // already linked, so the scan counts their term frequencies.)
        let pendingRecords = try loadAndBuild(pending, store: store, builder: builder)
        var wanted = WantedHashes(ruleCount: rules.count)
        var storeBlockSizes = [[UInt32: Int]](repeating: [:], count: rules.count)
        for record in pendingRecords {
            let keys = LinkKeys(record, rules: rules, termFrequencyKinds: termFrequencyKinds)
            computedKeys.append((record.key, keys.encoded(fingerprint: fingerprint)))
            if waiting.contains(record.key) { countTermFrequencies(keys) }
            for (rule, hashes) in keys.blocking.enumerated() {
                for hash in hashes {
                    wanted.insert(rule: rule, hash)
                    storeBlockSizes[rule][hash, default: 0] += 1
                }
            }
        }

        // Every other record: does it share a value with a pending one?
        var sharing = [[UInt32: [RecordKey]]](repeating: [:], count: rules.count)
        var hits: [(rule: Int, hash: UInt32)] = []
        func recordHits(of key: RecordKey) {
            defer { hits.removeAll(keepingCapacity: true) }
            guard !pending.contains(key) else { return }
            for (rule, hash) in hits {
                storeBlockSizes[rule][hash, default: 0] += 1
                sharing[rule][hash, default: []].append(key)
            }
        }
        var stale: [RecordKey] = []
        var scanned = 0
        try store.scanLinkKeys { bytes, key in
            scanned += 1
            let valid = bytes.map { bytes in
                LinkKeys.visit(bytes, fingerprint: fingerprint, ruleCount: rules.count, termFrequencyCount: termFrequencyKinds.count,
                               blocking: { rule, hash in if wanted.contains(rule: rule, hash) { hits.append((rule, hash)) } },
                               termFrequency: { index, hash in if hash != 0 { termCounts[index][hash, default: 0] += 1 } })
            } ?? false
            if !valid {
                stale.append(key())
            } else if !hits.isEmpty {
                recordHits(of: key())
            }
        }
        for record in try loadAndBuild(stale, store: store, builder: builder) {
            let keys = LinkKeys(record, rules: rules, termFrequencyKinds: termFrequencyKinds)
            computedKeys.append((record.key, keys.encoded(fingerprint: fingerprint)))
            countTermFrequencies(keys)
            for (rule, hashes) in keys.blocking.enumerated() {
                for hash in hashes where wanted.contains(rule: rule, hash) { hits.append((rule, hash)) }
            }
            recordHits(of: record.key)
        }

        // Candidates: records in a block, not too large in the whole store, with a pending record.
        var candidates = Set<RecordKey>()
        for rule in rules.indices {
            for (hash, keys) in sharing[rule] where storeBlockSizes[rule][hash, default: 0] <= maximumBlockSize {
                candidates.formUnion(keys)
            }
        }
        // Steward decisions bind records beyond blocking: load both sides so every decision is honoured.
        let reached = candidates.union(pending).union(decisionRecords)
        let persons = try store.personsWithMembers(of: reached.sorted())
        let others = reached.union(persons.keys).subtracting(pending)
        var loaded = LinkRun.Loaded()
        loaded.records = (pendingRecords + (try loadAndBuild(others, store: store, builder: builder))).sorted { $0.key < $1.key }
        for record in loaded.records { loaded.rowsPerSource[record.key.source, default: 0] += 1 }

        var tables = [TermFrequencyTable?](repeating: nil, count: model.comparisons.count)
        var next = 0
        for (index, comparison) in model.comparisons.enumerated() where comparison.termFrequencies {
            var table = TermFrequencyTable()
            for (hash, count) in termCounts[next] { table.add(key: hash, count: count) }
            tables[index] = table
            next += 1
        }
        return IncrementalScope(loaded: loaded, pending: pending, persons: persons, termFrequencies: tables,
                                storeBlockSizes: storeBlockSizes, computedKeys: computedKeys, scanned: scanned,
                                candidates: candidates.count)
    }

    /// Loads the active ones of these records and builds their match records, on every core.
    private static func loadAndBuild(_ keys: some Collection<RecordKey>, store: IdentityStore,
                                     builder: MatchRecordBuilder) throws -> [MatchRecord] {
        let sorted = keys.sorted()
        let parts = min(ProcessInfo.processInfo.activeProcessorCount, max(1, sorted.count / 1000))
        let results = Mutex([Result<[MatchRecord], any Error>?](repeating: nil, count: parts))
        DispatchQueue.concurrentPerform(iterations: parts) { part in
            let slice = sorted[(sorted.count * part / parts)..<(sorted.count * (part + 1) / parts)]
            let result = Result { try store.activeRecords(slice).map(builder.build) }
            results.withLock { $0[part] = result }
        }
        return try results.withLock { $0 }.flatMap { try $0!.get() }
    }

    /// For `Blocking.candidatePairs`: a block's size in the whole store, when a pending record is in it.
    func storeBlockSize(rule: Int, hash: UInt64) -> Int? {
        storeBlockSizes[rule][LinkKeys.short(hash)]
    }
}

/// The pending records' blocking hashes, looked up a million times in a scan: a bitmap answers most
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
