public import MPICore

/// The records a run links, with what reading them rejected.
public struct LoadedRecords: Sendable {
    /// A value or row that reading kept out, with where it was.
    public struct Reject: Sendable, Hashable {
        public let feed: String
        public let line: Int
        public let recordId: String
        /// The field, or "row" when the whole row was kept out.
        public let field: String
        public let code: String
        public let reason: String
    }

    public var records: [MatchRecord] = []
    public var rejects: [Reject] = []
    public var rowsPerSource: [String: Int] = [:]

    public init() {}
}

/// What a run knows once it has scored and before it clusters: all that pairs.csv needs, so that it
/// can be written while the run clusters (`LinkRun.run(model:alongsideClustering:)`).
public struct ScoredCandidates: Sendable {
    /// The records as read (pairs.csv shows their levels as read).
    public let records: [MatchRecord]
    public let model: LinkageModel
    public let scorer: Scorer
    public let scored: [ScoredPair]
}

/// Everything a run decided, for the outputs and the store.
public struct LinkOutcome: Sendable {
    public var loaded: LoadedRecords
    /// How many candidate pairs blocking proposed (each was scored), and what each rule added.
    public var candidatePairCount: Int
    public var blockingReports: [CandidatePairs.RuleReport]
    public var model: LinkageModel
    public var scorer: Scorer
    public var scored: [ScoredPair]
    public var clusters: Clusters
    public var timings: [(stage: String, seconds: Double)]

    public var scoredCandidates: ScoredCandidates {
        ScoredCandidates(records: loaded.records, model: model, scorer: scorer, scored: scored)
    }

    /// The records of each person the clustering formed, by person number.
    public var personGroups: [[RecordKey]] {
        var groups = [[RecordKey]](repeating: [], count: clusters.personCount)
        for (index, record) in loaded.records.enumerated() { groups[Int(clusters.personOf[index])].append(record.key) }
        return groups
    }
}
