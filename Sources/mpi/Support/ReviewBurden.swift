import Foundation

/// How much work a run leaves for the data stewards: review items per 1,000 records, and, against a
/// truth, the share of them that are the same person. A queue nobody can clear is not safety, so this
/// is a figure every run reports (docs/quality.md).
struct ReviewBurden {
    let items: Int
    let records: Int
    /// Review items whose two records the truth says are one person.
    let trueMatches: Int

    var perThousandRecords: Double { Self.perThousand(items, records: records) }
    var shareTrueMatches: Double { items == 0 ? 0 : Double(trueMatches) / Double(items) }

    static func perThousand(_ items: Int, records: Int) -> Double {
        records == 0 ? 0 : (Double(items) * 1000 / Double(records) * 10).rounded() / 10
    }

    var line: String {
        "review items \(items), \(String(format: "%.1f", perThousandRecords)) per 1,000 records; "
            + "\(String(format: "%.0f%%", shareTrueMatches * 100)) of them the same person"
    }
}

/// The share of the true pairs that a pairs.csv holds. When it holds every candidate pair of its run
/// (`output.pairsFloor` 0), that is the blocking recall: true pairs blocking never proposed are lost
/// whatever the model does.
struct PairsFileRecall {
    let truePairsHeld: Int
    let truePairs: Int
    let rows: Int
    /// The run's candidate pairs (summary.json), when known.
    let candidatePairs: Int?

    var recall: Double { truePairs == 0 ? 1 : Double(truePairsHeld) / Double(truePairs) }
    var isBlockingRecall: Bool { candidatePairs == rows }

    var line: String {
        let share = String(format: "%.4f", recall), held = "\(truePairsHeld) of \(truePairs) true pairs"
        return isBlockingRecall
            ? "blocking recall       \(share) (\(held) are candidate pairs)"
            : "recall of pairs.csv   \(share) (\(held); pairs below output.pairsFloor are not written: "
                + "with pairsFloor 0 this is the blocking recall)"
    }
}
