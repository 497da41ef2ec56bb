public import MPICore
public import MPINormalize
public import MPIStore

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
public struct IncrementalScope: Sendable {
    /// The records to link: the pending ones, their candidates and the members of their persons.
    public var loaded: LoadedRecords
    /// New and changed records, and records a steward unlinked.
    public var pending: Set<RecordKey>
    /// The current person of every loaded record that has one.
    public var persons: [RecordKey: EnterpriseID]
    public var termFrequencies: [TermFrequencyTable?]
    /// Per rule, the whole store's block size of each blocking value a pending record has.
    public var storeBlockSizes: [[UInt32: Int]]
    /// Link keys computed by this run, encoded, for the store.
    public var computedKeys: [(RecordKey, [UInt8])]
    /// Stored records scanned.
    public var scanned = 0
    /// Stored records sharing a blocking value with a pending record, in a block within the cap.
    public var candidates = 0

    /// - Parameters:
    ///   - waiting: records imported or changed since the last run.
    ///   - unlinked: records a steward unlinked, linked again so the decision takes effect.
    ///   - decisionRecords: both records of every steward decision, loaded so each decision binds.
    public static func gather(store: any IdentityBackend, waiting: Set<RecordKey>, unlinked: Set<RecordKey>, decisionRecords: Set<RecordKey>,
                       rules: [BlockingRule], model: LinkageModel, maximumBlockSize: Int,
                       builder: MatchRecordBuilder) throws -> IncrementalScope {
        let pending = waiting.union(unlinked)
        let scanner = StoredKeyScan(rules: rules, model: model)

        // The pending records' own values: what the store is searched for.
        let pendingRecords = try StoredKeyScan.loadAndBuild(pending, store: store, builder: builder)
        let pendingKeys = pendingRecords.map(scanner.keys(of:))
        var scan = try scanner.scan(store, for: pendingKeys, skipping: pending, builder: builder)
        var pendingBlockSizes = [[UInt32: Int]](repeating: [:], count: rules.count)
        for (record, keys) in zip(pendingRecords, pendingKeys) {
            scan.computedKeys.append((record.key, keys.encoded(fingerprint: scanner.fingerprint)))
            // Unlinked records are already linked: the scan counted their term frequencies.
            if waiting.contains(record.key) {
                for (index, hash) in keys.termFrequencies.enumerated() where hash != 0 { scan.termCounts[index][hash, default: 0] += 1 }
            }
            for (rule, hashes) in keys.blocking.enumerated() { for hash in hashes { pendingBlockSizes[rule][hash, default: 0] += 1 } }
        }
        let candidates = scan.candidates(maximumBlockSize: maximumBlockSize, extra: pendingBlockSizes)
        var storeBlockSizes = pendingBlockSizes
        for rule in rules.indices { storeBlockSizes[rule].merge(scan.blockSizes[rule], uniquingKeysWith: +) }

        // Steward decisions bind records beyond blocking: load both sides so every decision is honoured.
        let reached = candidates.union(pending).union(decisionRecords)
        let persons = try store.personsWithMembers(of: reached.sorted())
        let others = reached.union(persons.keys).subtracting(pending)
        var loaded = LoadedRecords()
        loaded.records = (pendingRecords + (try StoredKeyScan.loadAndBuild(others, store: store, builder: builder))).sorted { $0.key < $1.key }
        for record in loaded.records { loaded.rowsPerSource[record.key.source, default: 0] += 1 }
        return IncrementalScope(loaded: loaded, pending: pending, persons: persons,
                                termFrequencies: StoredKeyScan.termFrequencyTables(scan.termCounts, model: model),
                                storeBlockSizes: storeBlockSizes, computedKeys: scan.computedKeys, scanned: scan.scanned,
                                candidates: candidates.count)
    }

    /// For `Blocking.candidatePairs`: a block's size in the whole store, when a pending record is in it.
    public func storeBlockSize(rule: Int, hash: UInt64) -> Int? {
        storeBlockSizes[rule][LinkKeys.short(hash)]
    }
}
