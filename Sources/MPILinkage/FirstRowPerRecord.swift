import MPICore

/// One record per key: the first row read for a record key is the record, and a later row with the
/// same key is kept out and reported. Within one feed that is a duplicated record id. Across two feeds
/// of one identifier domain (a PAS extract, then the emergency department's HL7 feed, both carrying
/// RAS hospital numbers) it is the same registration seen twice: one hospital number, one record, and
/// the feed listed first in the job is the one kept.
struct FirstRowPerRecord {
    struct KeptOut {
        let code: String
        let reason: String
    }

    private var firstSeen: [RecordKey: (feed: String, line: Int)] = [:]

    /// Room for `rows` more keys, so that a million keys are not rehashed as the table grows (that was
    /// most of the time reading spent here).
    mutating func reserve(rows: Int) {
        firstSeen.reserveCapacity(firstSeen.count + rows)
    }

    /// Claims `key` for this row; when an earlier row holds it, why this row is kept out. A key is
    /// hashed once when it is new, as nearly every key is.
    mutating func claim(_ key: RecordKey, feed: String, line: Int) -> KeptOut? {
        guard let earlier = firstSeen.updateValue((feed, line), forKey: key) else { return nil }
        firstSeen[key] = earlier
        if earlier.feed == feed {
            return KeptOut(code: "duplicate_record_id",
                           reason: "the record id is also on line \(earlier.line); the first row was kept")
        }
        return KeptOut(code: "same_registration",
                       reason: "\(key.source) record id already read from feed \(earlier.feed) (line \(earlier.line)); "
                           + "one registration is one record, so the row of the feed listed first was kept")
    }
}
