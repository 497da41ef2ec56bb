@testable import MPICore
import Testing

/// A population whose postcodes hold whole blocks of flats: 150 households of one to three people
/// behind each postcode, one surname and phone a household. Every person has two records; the second's
/// forename has a typing error with probability 0.1, so the true m(forename exact) is 0.9.
private func denseBlocksOfFlats(seed: UInt64) -> [MatchRecord] {
    var random = SplitMix64(seed: seed)
    func pick(_ count: Int) -> Int { Int(random.next() % UInt64(count)) }
    let forenames = ["OLIVER", "AMELIA", "GEORGE", "ISLA", "ARTHUR", "AVA", "NOAH", "MIA", "LEO", "IVY", "OSCAR", "FREYA",
                     "HARRY", "LILY", "JACK", "ELLA", "THEO", "GRACE", "ALFIE", "SOPHIA", "MUHAMMAD", "AISHA", "ADAM", "ZARA"]
    var records: [MatchRecord] = []
    var person = 0
    for block in 0..<6 {
        for household in 0..<150 {
            let family = Array("FAMILY\(block)X\(household)".utf8)
            for _ in 0..<(1 + pick(3)) {
                person += 1
                let given = Array(forenames[pick(forenames.count)].utf8)
                let date = CalendarDate(year: 1940 + pick(80), month: 1 + pick(12), day: 1 + pick(28))
                let nhs: UInt64 = 9_000_000_000 + UInt64(person)
                for copy in 0..<2 {
                    var record = MatchRecord(key: RecordKey(source: "T", recordId: "\(person)-\(copy)"))
                    record.given = given
                    if copy == 1, Double(random.next() >> 11) / Double(1 << 53) < 0.1 { record.given = Array("Q".utf8) + given.dropFirst(2) }
                    record.family = family
                    record.dateOfBirth = date
                    record.nhsNumber = copy == 1 && pick(2) == 0 ? nil : nhs
                    record.postcodeUnit = Array("HA\(block) 1AA".utf8)
                    record.postcodeSector = Array("HA\(block) 1".utf8)
                    record.postcodeDistrict = Array("HA\(block)".utf8)
                    record.postcodeArea = Array("HA".utf8)
                    record.phone = Array("0208\(block)\(household)".utf8)
                    records.append(record)
                }
            }
        }
    }
    return records
}

@Suite struct TrainingChecksTests {
    @Test func aPassThatLearntHouseholdsIsRejectedAndMIsRecovered() async {
        let records = denseBlocksOfFlats(seed: 7)
        let kinds: [ComparisonKind] = [.nhsNumber, .forename, .surname, .dateOfBirth, .postcode, .phone]
        let untrained = LinkageModel.untrained(kinds: kinds)
        let candidates = await Blocking.candidatePairs(records: records, rules: BlockingRule.nhsDefaults, maximumBlockSize: 5000).pairs
        let levels = await PairLevels.compute(records: records, pairs: candidates, scorer: Scorer(model: untrained), workers: 2)
        // The old default rules: postcode alone, whose blocks are whole blocks of flats.
        let postcodeAlone = [BlockingRule([.dateOfBirth]), BlockingRule([.forename, .surname]), BlockingRule([.postcode])]
        let model = await Training.train(records: records, initial: untrained,
                                         settings: TrainingSettings(uSampleSize: 200_000, rules: postcodeAlone),
                                         candidateLevels: levels, maximumBlockSize: 5000, workers: 2)
        let postcodePass = model.training.first { $0.blockingRule == "postcode" }
        #expect(postcodePass?.rejected != nil)
        let forename = model.comparisons[1].levels
        #expect(abs(forename[0].m - 0.9) < 0.05, "m(forename exact) \(forename[0].m)")
        #expect(forename[0].m > forename[forename.count - 1].m)

        // Today's defaults pair a postcode with a year of birth: mostly one person's records, a pass that stands.
        let defaults = await Training.train(records: records, initial: untrained, settings: TrainingSettings(uSampleSize: 200_000),
                                            candidateLevels: levels, maximumBlockSize: 5000, workers: 2)
        let yearPass = defaults.training.first { $0.blockingRule == "postcode & year_of_birth" }
        #expect(yearPass != nil && yearPass?.rejected == nil, "\(String(describing: yearPass))")
        #expect(abs(defaults.comparisons[1].levels[0].m - 0.9) < 0.05)
    }

    @Test func implausibleSolutionsSayWhy() {
        let comparisons = [ComparisonParameters(defaultsFor: .forename)]
        let count = comparisons[0].levels.count
        func outcome(exact: Double, lambda: Double, converged: Bool = true) -> ExpectationMaximisation.Outcome {
            var m = [Double](repeating: (1 - exact) / Double(count - 1), count: count)
            m[0] = exact
            return ExpectationMaximisation.Outcome(m: [m], lambda: lambda, iterations: 7, converged: converged)
        }
        #expect(Plausibility.rejection(of: outcome(exact: 0.9, lambda: 0.1), comparisons: comparisons, estimate: [true],
                                       pairs: 1000, records: 1000) == nil)
        #expect(Plausibility.rejection(of: outcome(exact: 0.9, lambda: 0.9), comparisons: comparisons, estimate: [true],
                                       pairs: 100_000, records: 1000)?.contains("λ among pairs") == true)
        #expect(Plausibility.rejection(of: outcome(exact: 0.9, lambda: 0.1, converged: false), comparisons: comparisons,
                                       estimate: [true], pairs: 1000, records: 1000)?.contains("did not converge") == true)
        #expect(Plausibility.rejection(of: outcome(exact: 0.01, lambda: 0.1), comparisons: comparisons, estimate: [true],
                                       pairs: 1000, records: 1000)?.contains("forename") == true)
    }

    @Test func labelledPairsMeasureMWithoutEM() async {
        let records = denseBlocksOfFlats(seed: 3)
        let model = LinkageModel.untrained(kinds: [.nhsNumber, .forename, .surname, .dateOfBirth])
        let candidates = await Blocking.candidatePairs(records: records, rules: [BlockingRule([.nhsNumber])], maximumBlockSize: 100).pairs
        let levels = await PairLevels.compute(records: records, pairs: candidates, scorer: Scorer(model: model), workers: 2)
        let estimate = LabelledMatches.estimate(comparisons: model.comparisons, candidateLevels: levels)
        #expect(estimate?.m[0] == nil && estimate?.m[3] == nil)   // the labelling comparisons themselves
        let forename = estimate?.m[1] ?? []
        #expect(abs((forename.first ?? 0) - 0.9) < 0.05)
        #expect(estimate?.passes.first?.pairs == candidates.count)
    }

    /// Pairs that agree on forename, surname, date of birth and postcode measure how often one person's
    /// two records carry two different NHS numbers: here one person in a hundred.
    @Test func namesBirthDateAndPostcodeMeasureTheNHSNumbersM() async {
        var records: [MatchRecord] = []
        for person in 0..<1_000 {
            for copy in 0..<2 {
                var record = MatchRecord(key: RecordKey(source: "T", recordId: "\(person)-\(copy)"))
                record.given = Array("GIVEN\(person)".utf8)
                record.family = Array("FAMILY\(person % 37)".utf8)
                record.dateOfBirth = CalendarDate(daysSinceEpoch: 5_000 + person)
                record.postcodeUnit = Array("UB8 \(person % 9)AA".utf8)
                record.nhsNumber = 9_000_000_000 + UInt64(person) + (copy == 1 && person % 100 == 0 ? 123_456 : 0)
                records.append(record)
            }
        }
        let model = LinkageModel.untrained(kinds: [.nhsNumber, .forename, .surname, .dateOfBirth, .postcode])
        let pairs = (0..<Int32(1_000)).map { (2 * $0, 2 * $0 + 1) }
        let levels = await PairLevels.compute(records: records, pairs: pairs, scorer: Scorer(model: model), workers: 2)
        let estimate = LabelledMatches.estimate(comparisons: model.comparisons, candidateLevels: levels)
        let nhs = estimate?.m[0] ?? []
        #expect(abs((nhs.last ?? 0) - 0.01) < 0.003)
        #expect(estimate?.passes.contains { $0.blockingRule.hasPrefix("labelled: forename & surname") && $0.pairs == 1_000 } == true)
    }
}
