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
