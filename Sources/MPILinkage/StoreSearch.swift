public import MPICore
public import MPINormalize
public import MPIStore

/// Persons in an identity store who match a query's demographics (`mpi search`), ranked by
/// `PersonRanking`, the ranking the service's match uses. Candidates come from the stored link keys
/// (one scan, no record loaded but the candidates) plus any records imported since the last link run,
/// then are blocked again on full values by the job's rules; term frequencies are the whole store's.
public struct StoreSearch: Sendable {
    public let store: any IdentityBackend
    public let rules: [BlockingRule]
    public let thresholds: LinkThresholds
    public let builder: MatchRecordBuilder

    public init(store: any IdentityBackend, rules: [BlockingRule], thresholds: LinkThresholds, builder: MatchRecordBuilder) {
        self.store = store
        self.rules = rules
        self.thresholds = thresholds
        self.builder = builder
    }

    public struct Candidate: Sendable, Encodable {
        public let rank: Int
        /// Empty for a record not yet linked into a person.
        public let enterpriseId: String
        public let record: String
        public let probability: Double
        public let matchWeight: Double
        public let grade: MatchGrade
        public let explanation: Explanation
    }

    public func candidates(for query: NormalizedRecord, limit: Int) throws -> [Candidate] {
        guard let model = try store.linkageModel() else {
            throw LinkageError("the store has no model yet: run `mpi link JOB --db DB` first")
        }
        let query = builder.build(query)
        let scanner = StoredKeyScan(rules: rules, model: model)
        var found = try scanner.scan(store, for: [scanner.keys(of: query)], skipping: [], builder: builder)
        let waiting = try StoredKeyScan.loadAndBuild(store.recordsWaitingToBeLinked(), store: store, builder: builder)
        for record in waiting {
            for (index, hash) in scanner.keys(of: record).termFrequencies.enumerated() where hash != 0 {
                found.termCounts[index][hash, default: 0] += 1
            }
        }
        let records = try StoredKeyScan.loadAndBuild(found.candidates(), store: store, builder: builder) + waiting
        let scorer = Scorer(model: model, termFrequencies: StoredKeyScan.termFrequencyTables(found.termCounts, model: model))
        let memberships = try store.memberships(of: records.map(\.key))
        let ranked = PersonRanking.rank(query, candidates: CandidateSearch.candidates(for: query, in: records, rules: rules),
                                        record: { records[$0] }, person: { memberships[records[$0].key].map { Int64($0.value) } },
                                        scorer: scorer, thresholds: thresholds, limit: limit)
        return ranked.enumerated().map { rank, item in
            Candidate(rank: rank + 1, enterpriseId: memberships[records[item.record].key]?.description ?? "",
                      record: records[item.record].key.description, probability: item.explanation.probability,
                      matchWeight: item.explanation.matchWeight, grade: item.grade, explanation: item.explanation)
        }
    }
}
