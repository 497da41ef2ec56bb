/// How sure a match is, by the thresholds a link run decides with: certain at or above auto-link,
/// probable in the review band, possible below it. PDQ, `$match` and `mpi search` all grade this way.
public enum MatchGrade: String, Sendable, Hashable, Codable {
    case certain, probable, possible

    public init(probability: Double, thresholds: LinkThresholds) {
        self = probability >= thresholds.autoLink ? .certain : probability >= thresholds.review ? .probable : .possible
    }
}

/// The one ranking of persons for a query's demographics, used by `mpi search` and the service's
/// match (PDQ, JSON `match`): every candidate record is scored against the query, each person is
/// represented by its best-scoring record, and persons are ranked by that record's match weight
/// (ties: the lower person number first, so answers are repeatable).
public enum PersonRanking {
    public struct Ranked: Sendable {
        /// The representative record, as the caller numbered it.
        public let record: Int
        /// The record's person, or nil for a record not yet in a person (ranked on its own).
        public let person: Int64?
        public let explanation: Explanation
        public let grade: MatchGrade
    }

    /// - Parameters:
    ///   - candidates: record numbers to score, each once.
    ///   - record: the record of a number.
    ///   - person: a record's person; nil for a record that has none yet.
    public static func rank(_ query: MatchRecord, candidates: some Sequence<Int>, record: (Int) -> MatchRecord, person: (Int) -> Int64?,
                            scorer: Scorer, thresholds: LinkThresholds, limit: Int) -> [Ranked] {
        var best: [Int64: Ranked] = [:]
        var alone: [Ranked] = []
        for index in candidates {
            let explanation = scorer.explain(query, record(index))
            let ranked = Ranked(record: index, person: person(index), explanation: explanation,
                                grade: MatchGrade(probability: explanation.probability, thresholds: thresholds))
            guard let id = ranked.person else { alone.append(ranked); continue }
            if let current = best[id], current.explanation.matchWeight >= explanation.matchWeight { continue }
            best[id] = ranked
        }
        return (Array(best.values) + alone).sorted { a, b in
            if a.explanation.matchWeight != b.explanation.matchWeight { return a.explanation.matchWeight > b.explanation.matchWeight }
            return (a.person ?? .max, a.record) < (b.person ?? .max, b.record)
        }.prefix(max(limit, 0)).map { $0 }
    }
}
