@testable import MPICore
import Testing

@Suite struct BlockingIndexTests {
    private func population(seed: UInt64, count: Int) -> [MatchRecord] {
        var generator = SplitMix64(seed: seed)
        let names = ["SMITH", "PATEL", "KHAN", "JONES", "OKAFOR"]
        return (0..<count).map { index in
            var record = MatchRecord(key: RecordKey(source: "T", recordId: String(index)))
            record.family = Array(names[Int(generator.next() % 5)].utf8)
            record.given = Array(names[Int(generator.next() % 5)].utf8)
            record.dateOfBirth = CalendarDate(year: 1980 + Int(generator.next() % 3), month: 1, day: 1 + Int(generator.next() % 3))
            return record
        }
    }

    /// For each record, the index's candidates are exactly the records a batch run pairs it with.
    @Test func candidatesAreTheBatchRunsPairs() async {
        let records = population(seed: 11, count: 400)
        let rules = [BlockingRule([.surname, .dateOfBirth]), BlockingRule([.forename, .yearOfBirth]), BlockingRule([.surnamePart])]
        // Built from all but the last 50, then those added one by one: both paths must agree with batch.
        var index = BlockingIndex(records: Array(records.prefix(350)), rules: rules, maximumBlockSize: 60)
        for (position, record) in records.enumerated().dropFirst(350) { index.insert(record, at: Int32(position)) }
        let batch = await Blocking.candidatePairs(records: records, rules: rules, maximumBlockSize: 60).pairs
        var partners: [Int32: Set<Int32>] = [:]
        for (i, j) in batch { partners[i, default: []].insert(j); partners[j, default: []].insert(i) }
        var compared = 0
        for (position, record) in records.enumerated() {
            let found = Set(index.candidates(for: record).candidates).subtracting([Int32(position)])
            #expect(found == partners[Int32(position)] ?? [], "record \(position)")
            compared += found.count
        }
        #expect(compared > 0)
    }

    @Test func retiredRecordsAreNeverReturned() {
        let records = population(seed: 3, count: 50)
        var index = BlockingIndex(records: records, rules: [BlockingRule([.surname])], maximumBlockSize: 1_000)
        let before = index.candidates(for: records[0]).candidates
        index.remove(records[Int(before.last!)], at: before.last!)
        #expect(!index.candidates(for: records[0]).candidates.contains(before.last!))
    }

    /// Found by the fuzzer: a record updated many times must not leave an entry per version, which
    /// slowed every lookup and made its blocks look oversized, so they were skipped.
    @Test func repeatedUpdatesLeaveOneEntryAndBlocksKeepTheirSize() {
        let records = population(seed: 8, count: 20)
        var index = BlockingIndex(records: records, rules: [BlockingRule([.surname])], maximumBlockSize: 30)
        var current = records[0]
        var slot = Int32(records.count)
        index.remove(records[0], at: 0)
        index.insert(current, at: slot)
        for _ in 0..<100 {   // the same record, re-sent a hundred times as an update
            index.remove(current, at: slot)
            slot += 1
            current = records[0]
            index.insert(current, at: slot)
        }
        let found = index.candidates(for: records[0])
        #expect(found.skippedBlocks == 0)
        #expect(found.candidates.filter { $0 >= Int32(records.count) } == [slot])   // only the latest version
        #expect(!found.candidates.contains(0))
    }

    @Test func oversizedBlocksAreSkippedAndCounted() {
        var records: [MatchRecord] = []
        for id in 0..<10 {
            var record = MatchRecord(key: RecordKey(source: "T", recordId: String(id)))
            record.family = Array("SMITH".utf8)
            records.append(record)
        }
        let index = BlockingIndex(records: records, rules: [BlockingRule([.surname])], maximumBlockSize: 10)
        let lookup = index.candidates(for: records[0])   // with the query the block would hold 11
        #expect(lookup.candidates.isEmpty)
        #expect(lookup.skippedBlocks == 1)
    }
}

@Suite struct RealTimeLinkingTests {
    private let thresholds = LinkThresholds(autoLink: 0.99, review: 0.5, maximumClusterSize: 20)

    private func candidate(_ record: Int32, person: Int64, probability: Double, conflicting: Bool = false) -> RealTimeLinking.Candidate {
        .init(record: record, person: person, weight: Scorer.weight(probability: probability), probability: probability,
              conflictingForenames: conflicting, placeholder: false)
    }

    @Test func joinsTheOnePersonItLinksTo() {
        let decision = RealTimeLinking.assign(newRecordIsPlaceholder: false, newNHSNumber: nil,
                                              candidates: [candidate(1, person: 7, probability: 0.999), candidate(2, person: 8, probability: 0.1)],
                                              members: [7: [.init(record: 1, nhsNumber: nil)], 8: [.init(record: 2, nhsNumber: nil)]],
                                              thresholds: thresholds)
        #expect(decision.person == 7)
        #expect(decision.review.isEmpty)
    }

    /// A record that links strongly to two existing persons must not merge them: review instead.
    @Test func neverMergesTwoExistingPersons() {
        let decision = RealTimeLinking.assign(newRecordIsPlaceholder: false, newNHSNumber: nil,
                                              candidates: [candidate(1, person: 7, probability: 0.9999), candidate(2, person: 8, probability: 0.999)],
                                              members: [7: [.init(record: 1, nhsNumber: nil)], 8: [.init(record: 2, nhsNumber: nil)]],
                                              thresholds: thresholds)
        #expect(decision.person == 7)   // the stronger link
        #expect(decision.review.map(\.reason) == [.wouldMergePersons])
    }

    @Test func reviewBandIsNeverALink() {
        let decision = RealTimeLinking.assign(newRecordIsPlaceholder: false, newNHSNumber: nil,
                                              candidates: [candidate(1, person: 7, probability: 0.8)],
                                              members: [7: [.init(record: 1, nhsNumber: nil)]], thresholds: thresholds)
        #expect(decision.person == nil)
        #expect(decision.review.map(\.reason) == [.reviewBand])
    }

    @Test func aDifferentNHSNumberInThePersonBlocksTheLink() {
        let decision = RealTimeLinking.assign(newRecordIsPlaceholder: false, newNHSNumber: 9_434_765_919,
                                              candidates: [candidate(1, person: 7, probability: 0.999)],
                                              members: [7: [.init(record: 1, nhsNumber: nil), .init(record: 3, nhsNumber: 9_434_765_870)]],
                                              thresholds: thresholds)
        #expect(decision.person == nil)
        #expect(decision.review.map(\.reason) == [.differentNHSNumbers])
    }

    @Test func aStewardsUnlinkIsHonoured() {
        let decision = RealTimeLinking.assign(newRecordIsPlaceholder: false, newNHSNumber: nil,
                                              candidates: [candidate(1, person: 7, probability: 0.999)],
                                              members: [7: [.init(record: 1, nhsNumber: nil)]], thresholds: thresholds, unlinked: [1])
        #expect(decision.person == nil)
        #expect(decision.review.isEmpty)   // decided already: not asked again
    }

    @Test func aPlaceholderIdentityNeverLinks() {
        let decision = RealTimeLinking.assign(newRecordIsPlaceholder: true, newNHSNumber: nil,
                                              candidates: [candidate(1, person: 7, probability: 0.999)],
                                              members: [7: [.init(record: 1, nhsNumber: nil)]], thresholds: thresholds)
        #expect(decision.person == nil)
        #expect(decision.review.map(\.reason) == [.placeholderIdentity])
    }
}

@Suite struct PartialDateLevelTests {
    private func level(_ a: CalendarDate, _ b: CalendarDate) -> UInt8 {
        var x = MatchRecord(key: RecordKey(source: "T", recordId: "1")), y = MatchRecord(key: RecordKey(source: "T", recordId: "2"))
        x.dateOfBirth = a
        y.dateOfBirth = b
        return ComparisonKind.dateOfBirth.level(x, y)
    }

    /// A date known only to the year that agrees on the year is no evidence either way: it must not
    /// fall in "within a year", whose weight is strongly against a match.
    @Test func partialDatesAreComparedAtTheCoarserPrecision() throws {
        let year1980 = try #require(CalendarDate(year: 1980, precision: .year))
        let may1980 = try #require(CalendarDate(year: 1980, month: 5, precision: .month))
        let june1980 = try #require(CalendarDate(year: 1980, month: 6, precision: .month))
        let fifthMay1980 = try #require(CalendarDate(year: 1980, month: 5, day: 5))
        let year1983 = try #require(CalendarDate(year: 1983, precision: .year))
        #expect(level(year1980, may1980) == 0)         // null
        #expect(level(year1980, fifthMay1980) == 0)
        #expect(level(may1980, fifthMay1980) == 4)     // same year and month
        #expect(level(may1980, june1980) == 5)         // within a year
        #expect(level(year1980, year1983) == 6)        // else
    }
}

@Suite struct NHSNumberDigitsTests {
    @Test func leadingZerosAreKept() {
        #expect(NHSNumber.digits(of: 12_345) == "0000012345")
        #expect(NHSNumber.digits(of: 9_434_765_919) == "9434765919")
    }
}
