/// Quality of a clustering against a known truth, from contingency tables (no pair enumeration, so a
/// million records evaluate in seconds).
public enum Evaluation {
    public struct Metrics: Sendable, Hashable, Codable {
        public var records: Int
        public var truePairs: Int
        public var predictedPairs: Int
        public var truePositivePairs: Int
        /// Predicted pairs that are two different people: false merges.
        public var falseMergePairs: Int { predictedPairs - truePositivePairs }
        /// True pairs not linked: missed links.
        public var missedPairs: Int { truePairs - truePositivePairs }
        public var precision: Double { predictedPairs == 0 ? 1 : Double(truePositivePairs) / Double(predictedPairs) }
        public var recall: Double { truePairs == 0 ? 1 : Double(truePositivePairs) / Double(truePairs) }
        public var f1: Double { precision + recall == 0 ? 0 : 2 * precision * recall / (precision + recall) }
        public var bCubedPrecision: Double
        public var bCubedRecall: Double
    }

    /// - Parameters: truth and predicted cluster labels of the same records, by index.
    public static func evaluate(truth: [Int], predicted: [Int]) -> Metrics {
        precondition(truth.count == predicted.count)
        var cells: [UInt64: Int] = [:]
        var truthSizes: [Int: Int] = [:], predictedSizes: [Int: Int] = [:]
        for (t, p) in zip(truth, predicted) {
            cells[UInt64(UInt32(truncatingIfNeeded: t)) << 32 | UInt64(UInt32(truncatingIfNeeded: p)), default: 0] += 1
            truthSizes[t, default: 0] += 1
            predictedSizes[p, default: 0] += 1
        }
        func pairs(_ n: Int) -> Int { n * (n - 1) / 2 }
        let truePositive = cells.values.reduce(0) { $0 + pairs($1) }
        // B-cubed: for each record, the share of its predicted cluster that is truly its, and of its true
        // cluster that it was predicted with; summed per cell (n records share the same values).
        var bPrecision = 0.0, bRecall = 0.0
        for (key, n) in cells {
            let t = Int(Int32(truncatingIfNeeded: UInt32(key >> 32))), p = Int(Int32(truncatingIfNeeded: UInt32(key & 0xFFFF_FFFF)))
            bPrecision += Double(n) * Double(n) / Double(predictedSizes[p]!)
            bRecall += Double(n) * Double(n) / Double(truthSizes[t]!)
        }
        let count = Double(max(truth.count, 1))
        return Metrics(records: truth.count, truePairs: truthSizes.values.reduce(0) { $0 + pairs($1) },
                       predictedPairs: predictedSizes.values.reduce(0) { $0 + pairs($1) }, truePositivePairs: truePositive,
                       bCubedPrecision: bPrecision / count, bCubedRecall: bRecall / count)
    }

    public struct CurvePoint: Sendable, Hashable, Codable {
        public var threshold: Double
        public var precision: Double
        public var recall: Double
        public var f1: Double
    }

    /// Pairwise precision and recall of "link every scored pair at or above the threshold", at each
    /// distinct score, from scored pairs labelled by the truth. Recall counts all true pairs, including
    /// those blocking never proposed.
    public static func curve(scores: [(weight: Double, isMatch: Bool)], truePairs: Int) -> [CurvePoint] {
        let sorted = scores.sorted { $0.weight > $1.weight }
        var points: [CurvePoint] = []
        var truePositive = 0, predicted = 0
        var index = 0
        while index < sorted.count {
            let threshold = sorted[index].weight
            while index < sorted.count, sorted[index].weight == threshold {
                predicted += 1
                if sorted[index].isMatch { truePositive += 1 }
                index += 1
            }
            let precision = Double(truePositive) / Double(predicted)
            let recall = truePairs == 0 ? 1 : Double(truePositive) / Double(truePairs)
            let f1 = precision + recall == 0 ? 0 : 2 * precision * recall / (precision + recall)
            points.append(CurvePoint(threshold: threshold, precision: precision, recall: recall, f1: f1))
        }
        return points
    }
}
