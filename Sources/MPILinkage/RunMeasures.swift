import Foundation

/// How much work a run leaves for the data stewards: review items per 1,000 records, and, against a
/// truth, the share of them that are the same person. A queue nobody can clear is not safety, so this
/// is a figure every run reports (docs/quality.md).
public struct ReviewBurden: Sendable {
    public let items: Int
    public let records: Int
    /// Review items whose two records the truth says are one person.
    public let trueMatches: Int

    public init(items: Int, records: Int, trueMatches: Int) {
        self.items = items
        self.records = records
        self.trueMatches = trueMatches
    }

    public var perThousandRecords: Double { Self.perThousand(items, records: records) }
    public var shareTrueMatches: Double { items == 0 ? 0 : Double(trueMatches) / Double(items) }

    public static func perThousand(_ items: Int, records: Int) -> Double {
        records == 0 ? 0 : (Double(items) * 1000 / Double(records) * 10).rounded() / 10
    }

    public var line: String {
        "review items \(items), \(String(format: "%.1f", perThousandRecords)) per 1,000 records; "
            + "\(String(format: "%.0f%%", shareTrueMatches * 100)) of them the same person"
    }
}

/// The share of the true pairs that a pairs.csv holds. When it holds every candidate pair of its run
/// (`output.pairsFloor` 0), that is the blocking recall: true pairs blocking never proposed are lost
/// whatever the model does.
public struct PairsFileRecall: Sendable {
    public let truePairsHeld: Int
    public let truePairs: Int
    public let rows: Int
    /// The run's candidate pairs (summary.json), when known.
    public let candidatePairs: Int?

    public init(truePairsHeld: Int, truePairs: Int, rows: Int, candidatePairs: Int?) {
        self.truePairsHeld = truePairsHeld
        self.truePairs = truePairs
        self.rows = rows
        self.candidatePairs = candidatePairs
    }

    public var recall: Double { truePairs == 0 ? 1 : Double(truePairsHeld) / Double(truePairs) }
    public var isBlockingRecall: Bool { candidatePairs == rows }

    public var line: String {
        let share = String(format: "%.4f", recall), held = "\(truePairsHeld) of \(truePairs) true pairs"
        return isBlockingRecall
            ? "blocking recall       \(share) (\(held) are candidate pairs)"
            : "recall of pairs.csv   \(share) (\(held); pairs below output.pairsFloor are not written: "
                + "with pairsFloor 0 this is the blocking recall)"
    }
}
