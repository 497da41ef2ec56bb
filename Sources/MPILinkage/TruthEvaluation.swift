public import MPICore
import Foundation

/// A linkage measured against a known truth (source,record_id,true_id): what `mpi evaluate` prints.
/// Reads clusters.csv, and pairs.csv and review.csv when given, as `mpi link` writes them.
public struct TruthEvaluation: Sendable {
    public let truth: String
    public let clusters: String
    public let pairs: String?
    /// review.csv; when nil, the review.csv beside `clusters`, if there is one.
    public let review: String?

    public init(truth: String, clusters: String, pairs: String? = nil, review: String? = nil) {
        self.truth = truth
        self.clusters = clusters
        self.pairs = pairs
        self.review = review
    }

    /// What was measured.
    public struct Report: Sendable {
        public var metrics: Evaluation.Metrics
        public var burden: ReviewBurden?
        public var pairsRecall: PairsFileRecall?
        public var best: Evaluation.CurvePoint?
        public var curve: [Evaluation.CurvePoint]
        /// Clustered records the truth file does not hold; they are left out of every figure.
        public var recordsNotInTruth: Int
    }

    /// For a file of pairs (pairs.csv, review.csv): whether a row's two records are one person by the
    /// truth, or nil when either is not in it.
    private func truthOfPair(_ file: (header: [String], rows: [[String]]), path: String, _ trueIdOf: [RecordKey: String]) throws -> ([String]) -> Bool? {
        let h = file.header
        let sl = try CSVFile.column("source_l", in: h, file: path), rl = try CSVFile.column("record_id_l", in: h, file: path)
        let sr = try CSVFile.column("source_r", in: h, file: path), rr = try CSVFile.column("record_id_r", in: h, file: path)
        return { row in
            guard let a = trueIdOf[RecordKey(source: row[sl], recordId: row[rl])],
                  let b = trueIdOf[RecordKey(source: row[sr], recordId: row[rr])] else { return nil }
            return a == b
        }
    }

    /// How many candidate pairs the run that wrote `pairs` scored, from the summary.json beside it.
    private static func candidatePairs(besides pairs: String) -> Int? {
        let summary = ((pairs as NSString).deletingLastPathComponent as NSString).appendingPathComponent("summary.json")
        guard let data = FileManager.default.contents(atPath: summary),
              let object = try? JSONSerialization.jsonObject(with: data) as? [String: Any] else { return nil }
        return object["candidatePairs"] as? Int
    }

    public func measure() throws -> Report {
        let truthFile = try CSVFile.read(truth)
        let ts = try CSVFile.column("source", in: truthFile.header, file: truth)
        let tr = try CSVFile.column("record_id", in: truthFile.header, file: truth)
        let tt = try CSVFile.column("true_id", in: truthFile.header, file: truth)
        var trueIdOf: [RecordKey: String] = [:]
        for row in truthFile.rows { trueIdOf[RecordKey(source: row[ts], recordId: row[tr])] = row[tt] }

        let clusterFile = try CSVFile.read(clusters)
        let cs = try CSVFile.column("source", in: clusterFile.header, file: clusters)
        let cr = try CSVFile.column("record_id", in: clusterFile.header, file: clusters)
        let cp = try CSVFile.column("person_id", in: clusterFile.header, file: clusters)
        var truthLabels: [Int] = [], predictedLabels: [Int] = []
        var trueIds: [String: Int] = [:], personIds: [String: Int] = [:]
        var missing = 0
        for row in clusterFile.rows {
            guard let trueId = trueIdOf[RecordKey(source: row[cs], recordId: row[cr])] else { missing += 1; continue }
            truthLabels.append(trueIds[trueId] ?? { let n = trueIds.count; trueIds[trueId] = n; return n }())
            predictedLabels.append(personIds[row[cp]] ?? { let n = personIds.count; personIds[row[cp]] = n; return n }())
        }
        let metrics = Evaluation.evaluate(truth: truthLabels, predicted: predictedLabels)

        var best: Evaluation.CurvePoint?
        var curve: [Evaluation.CurvePoint] = []
        var pairsRecall: PairsFileRecall?
        if let pairs {
            let pairFile = try CSVFile.read(pairs)
            let sameTruth = try truthOfPair(pairFile, path: pairs, trueIdOf)
            let w = try CSVFile.column("match_weight", in: pairFile.header, file: pairs)
            let scores: [(weight: Double, isMatch: Bool)] = pairFile.rows.compactMap { row in
                guard let weight = Double(row[w]), let isMatch = sameTruth(row) else { return nil }
                return (weight, isMatch)
            }
            curve = Evaluation.curve(scores: scores, truePairs: metrics.truePairs)
            best = curve.max { $0.f1 < $1.f1 }
            pairsRecall = PairsFileRecall(truePairsHeld: scores.filter(\.isMatch).count, truePairs: metrics.truePairs,
                                          rows: pairFile.rows.count, candidatePairs: Self.candidatePairs(besides: pairs))
        }

        let reviewPath = review ?? {
            let sibling = ((clusters as NSString).deletingLastPathComponent as NSString).appendingPathComponent("review.csv")
            return FileManager.default.fileExists(atPath: sibling) ? sibling : nil
        }()
        var burden: ReviewBurden?
        if let reviewPath {
            let reviewFile = try CSVFile.read(reviewPath)
            let sameTruth = try truthOfPair(reviewFile, path: reviewPath, trueIdOf)
            let matches = reviewFile.rows.filter { sameTruth($0) == true }.count
            burden = ReviewBurden(items: reviewFile.rows.count, records: metrics.records, trueMatches: matches)
        }

        return Report(metrics: metrics, burden: burden, pairsRecall: pairsRecall, best: best, curve: curve, recordsNotInTruth: missing)
    }
}
