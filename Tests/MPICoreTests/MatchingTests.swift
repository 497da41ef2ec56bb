import Foundation
@testable import MPICore
import Testing

private func record(_ id: String, given: String = "", family: String = "", dob: (Int, Int, Int)? = nil,
                    nhs: UInt64? = nil, postcode: String = "", placeholder: Bool = false) -> MatchRecord {
    var record = MatchRecord(key: RecordKey(source: "T", recordId: id))
    record.given = Array(given.utf8)
    record.family = Array(family.utf8)
    record.dateOfBirth = dob.flatMap { CalendarDate(year: $0.0, month: $0.1, day: $0.2) }
    record.nhsNumber = nhs
    record.postcodeUnit = Array(postcode.utf8)
    record.isPlaceholder = placeholder
    return record
}

@Suite struct ExpectationMaximisationTests {
    /// Simulates comparison vectors from known m, u and λ, then checks EM recovers m (u held at truth).
    @Test func recoversKnownParameters() {
        let trueM: [[Double]] = [[0.85, 0.10, 0.05], [0.70, 0.20, 0.10], [0.90, 0.10]]
        let trueU: [[Double]] = [[0.01, 0.04, 0.95], [0.02, 0.08, 0.90], [0.30, 0.70]]
        let trueLambda = 0.2
        var generator = SplitMix64(seed: 7)
        func draw(_ distribution: [Double]) -> UInt8 {
            let x = Double(generator.next() % 1_000_000) / 1_000_000
            var cumulative = 0.0
            for (index, p) in distribution.enumerated() {
                cumulative += p
                if x < cumulative { return UInt8(index + 1) }
            }
            return UInt8(distribution.count)
        }
        var histogram = PatternHistogram(comparisonCount: 3)
        for _ in 0..<200_000 {
            let isMatch = Double(generator.next() % 1_000_000) / 1_000_000 < trueLambda
            let levels = (0..<3).map { draw(isMatch ? trueM[$0] : trueU[$0]) }
            histogram.add(levels)
        }
        let comparisons = (0..<3).map { index in
            ComparisonParameters(kind: .exactField("f\(index)"), levels: zip(trueM[index], trueU[index]).map {
                LevelParameters(label: "", m: 1 / Double(trueM[index].count), u: $0.1)   // m starts flat
            }, termFrequencies: false)
        }
        let outcome = ExpectationMaximisation.run(histogram: histogram, comparisons: comparisons, estimate: [true, true, true],
                                                  lambda: 0.5, maximumIterations: 200, tolerance: 1e-7)
        // Tolerance: 0.02 absolute on every m and on λ, for 200,000 simulated pairs.
        #expect(abs(outcome.lambda - trueLambda) < 0.02)
        for index in 0..<3 {
            for level in trueM[index].indices {
                #expect(abs(outcome.m[index][level] - trueM[index][level]) < 0.02, "m[\(index)][\(level)] = \(outcome.m[index][level])")
            }
        }
    }

    @Test func fixedComparisonsKeepTheirM() {
        var histogram = PatternHistogram(comparisonCount: 2)
        histogram.add([1, 1], count: 100)
        histogram.add([2, 2], count: 900)
        let comparisons = [ComparisonParameters(defaultsFor: .sex), ComparisonParameters(defaultsFor: .phone)]
        let outcome = ExpectationMaximisation.run(histogram: histogram, comparisons: comparisons, estimate: [false, true], lambda: 0.5)
        #expect(outcome.m[0] == comparisons[0].levels.map(\.m))
        #expect(outcome.m[1] != comparisons[1].levels.map(\.m))
    }
}

@Suite struct ScoringTests {
    @Test func termFrequencyAdjustmentFollowsTheFormula() {
        let model = LinkageModel.untrained(kinds: [.surname], lambda: 0.01)
        var table = TermFrequencyTable()
        for _ in 0..<90 { table.add(Array("SMITH".utf8)) }
        for _ in 0..<10 { table.add(Array("ZELINSKI".utf8)) }
        let scorer = Scorer(model: model, termFrequencies: [table])
        let exact = model.comparisons[0].levels[0]
        let smith = scorer.explain(record("1", family: "SMITH"), record("2", family: "SMITH"))
        let rare = scorer.explain(record("3", family: "ZELINSKI"), record("4", family: "ZELINSKI"))
        // Adjustment = log2(u_exact / frequency), capped at ±8 bits.
        let expectedSmith = min(max(log2(exact.u / 0.9), -8), 8)
        let expectedRare = min(max(log2(exact.u / 0.1), -8), 8)
        #expect(abs(smith.steps[0].termFrequencyAdjustment - expectedSmith) < 1e-9)
        #expect(abs(rare.steps[0].termFrequencyAdjustment - expectedRare) < 1e-9)
        #expect(rare.matchWeight > smith.matchWeight)
        #expect(abs(smith.matchWeight - (model.priorWeight + exact.weight + expectedSmith)) < 1e-9)
    }

    /// Scoring many pairs reads each record's term-frequency adjustment from a table made once; every
    /// pair's weight must be exactly the one `weight(levels:_:_:)` works out from the records.
    @Test func scoringManyPairsGivesEachPairsOwnWeight() async {
        let model = LinkageModel.untrained(kinds: [.forename, .surname, .dateOfBirth], lambda: 0.001)
        let names = [("JOHN", "SMITH"), ("JON", "SMITH"), ("ANNA", "ZELINSKI"), ("ANNA", "ZELINSKA"), ("", "SMITH"), ("JOHN", "")]
        let records = (0..<60).map { index in
            let (given, family) = names[index % names.count]
            return record("\(index)", given: given, family: family, dob: (1980 + index % 3, 1 + index % 2, 12))
        }
        let scorer = Scorer(model: model, termFrequencies: Scorer.termFrequencies(for: model, records: records))
        let pairs = (0..<60).flatMap { i in (i + 1..<60).map { (Int32(i), Int32($0)) } }
        let levels = await PairLevels.compute(records: records, pairs: pairs, scorer: scorer, workers: 2)
        let scored = await levels.score(records: records, pairs: pairs, scorer: scorer, floor: 0, workers: 2)
        #expect(scored.count == pairs.count)
        var pattern = [UInt8](repeating: 0, count: 3)
        for pair in scored {
            scorer.levels(records[Int(pair.i)], records[Int(pair.j)], into: &pattern)
            #expect(pair.weight == scorer.weight(levels: pattern, records[Int(pair.i)], records[Int(pair.j)]))
        }
        #expect(Set(scored.map(\.weight)).count > 5)   // the adjustments differ between names
    }

    /// The pair loops read records through `PairReader` and compare into memory of their own; each
    /// pair's levels, from every loop, must be those of the two records read directly, in order, with
    /// a field outside the NHS set among the comparisons.
    @Test func pairLoopsCompareTheRecordsOfEachPair() async {
        let model = LinkageModel.untrained(kinds: [.forename, .surname, .dateOfBirth, .exactField("nationalId")], lambda: 0.001)
        let records = (0..<40).map { index in
            var made = record("\(index)", given: ["JOHN", "JON", "ANNA", ""][index % 4], family: ["SMITH", "SMYTH", "KHAN"][index % 3],
                              dob: (1980 + index % 2, 1, 12))
            made.otherFields = index % 5 == 0 ? [:] : ["nationalId": Array("N\(index % 3)".utf8)]
            return made
        }
        let reader = PairReader(records)
        for i in records.indices {
            for j in records.indices {
                #expect(reader.withPair(i, j) { a, b in [a.key, b.key] } == [records[i].key, records[j].key])
            }
        }
        let scorer = Scorer(model: model)
        let pairs = (0..<40).flatMap { i in (i + 1..<40).map { (Int32(i), Int32($0)) } }
        let levels = await PairLevels.compute(records: records, pairs: pairs, scorer: scorer, workers: 2)
        var expected = PatternHistogram(comparisonCount: 4)
        var pattern = [UInt8](repeating: 0, count: 4)
        for (index, pair) in pairs.enumerated() {
            scorer.levels(records[Int(pair.0)], records[Int(pair.1)], into: &pattern)
            #expect(Array(levels.levels(ofPair: index)) == pattern)
            expected.add(pattern)
        }
        let counted = await PairLevels.histogram(records: records, pairs: pairs, scorer: scorer, workers: 2)
        #expect(counted.counts == expected.counts)
        #expect(Set(expected.counts.keys).count > 10)   // the pairs differ at several levels
    }

    @Test func nullLevelsWeighNothing() {
        let scorer = Scorer(model: .untrained(lambda: 0.01))
        let explanation = scorer.explain(record("1"), record("2"))
        #expect(explanation.steps.allSatisfy { $0.level == 0 && $0.weight == 0 })
        #expect(abs(explanation.matchWeight - scorer.priorWeight) < 1e-12)
    }

    @Test func placeholderNamesAreNotCompared() {
        let scorer = Scorer(model: .untrained(kinds: [.forename, .surname]))
        let explanation = scorer.explain(record("1", given: "BABY", family: "KHAN", placeholder: true),
                                         record("2", given: "BABY", family: "KHAN", placeholder: true))
        #expect(explanation.steps.map(\.level) == [0, 0])
    }

    @Test func sharedNHSNumberWithDifferentBirthDatesCannotForceALink() {
        let scorer = Scorer(model: .untrained(kinds: [.nhsNumber, .dateOfBirth]))
        let parent = record("1", dob: (1960, 5, 1), nhs: 9_434_765_919)
        let child = record("2", dob: (1995, 8, 12), nhs: 9_434_765_919)
        let twin = record("3", dob: (1960, 5, 1), nhs: 9_434_765_919)
        #expect(scorer.explain(parent, child).steps[0].level == 0)
        #expect(scorer.explain(parent, twin).steps[0].level == 2)
    }

    @Test func nhsNumberTranspositionLevel() {
        let scorer = Scorer(model: .untrained(kinds: [.nhsNumber]))
        #expect(scorer.explain(record("1", nhs: 9_434_765_919), record("2", nhs: 9_434_765_991)).steps[0].level == 3)
        #expect(scorer.explain(record("1", nhs: 9_434_765_919), record("2", nhs: 9_434_765_918)).steps[0].level == 3)
        #expect(scorer.explain(record("1", nhs: 9_434_765_919), record("2", nhs: 9_990_000_018)).steps[0].level == 4)
    }
}

@Suite struct BlockingTests {
    @Test func unionOfRulesYieldsEachPairOnce() async {
        let records = [
            record("a", given: "JOHN", family: "SMITH", dob: (1970, 3, 21), postcode: "HA1 3UJ"),
            record("b", given: "JOHN", family: "SMITH", dob: (1970, 3, 21), postcode: "HA1 3UJ"),
            record("c", given: "JON", family: "SMITH", dob: (1970, 3, 21), postcode: "W2 1NY"),
            record("d", given: "MARY", family: "JONES", dob: (1980, 1, 2), postcode: "HA1 3UJ"),
            record("e", given: "", family: "", dob: nil, postcode: ""),
        ]
        let rules = [BlockingRule([.dateOfBirth]), BlockingRule([.surname]), BlockingRule([.postcode]), BlockingRule([.surname, .dateOfBirth])]
        let result = await Blocking.candidatePairs(records: records, rules: rules, maximumBlockSize: 100)
        let keys = result.pairs.map { "\($0.0)-\($0.1)" }
        #expect(Set(keys).count == keys.count)
        #expect(Set(keys) == ["0-1", "0-2", "1-2", "0-3", "1-3"])
        #expect(result.reports.map(\.pairsAdded) == [3, 0, 2, 0])
        // The record with no fields is in no block: a missing field never widens a rule.
        #expect(!keys.contains { $0.contains("4") })
    }

    /// Blocking shares its work out over tasks (rules, then runs of blocks); the pairs, their order
    /// and the reports must not depend on how many.
    @Test func blockingGivesTheSamePairsOnAnyNumberOfWorkers() async {
        var generator = SplitMix64(seed: 11)
        func pick(_ names: [String]) -> String { names[Int(generator.next() % UInt64(names.count))] }
        let records = (0..<3_000).map { index in
            record(String(index), given: pick(["JOHN", "JON", "MARY", "ALI", "AISHA", ""]),
                   family: pick(["SMITH", "SMITH-JONES", "KHAN", "OKAFOR", "NOWAK", "LEE"]),
                   dob: index % 9 == 0 ? nil : (1950 + Int(generator.next() % 5), 1, 1 + Int(generator.next() % 3)),
                   postcode: pick(["HA1 3UJ", "W2 1NY", "UB8 3NN", ""]))
        }
        let rules = BlockingRule.nhsDefaults + [BlockingRule([.postcode])]
        let one = await Blocking.candidatePairs(records: records, rules: rules, maximumBlockSize: 400, workers: 1)
        #expect(one.pairs.count > 10_000)
        #expect(one.reports.contains { $0.skippedBlocks > 0 })
        for workers in [2, 3, 8] {
            let many = await Blocking.candidatePairs(records: records, rules: rules, maximumBlockSize: 400, workers: workers)
            #expect(many.pairs.map { [$0.0, $0.1] } == one.pairs.map { [$0.0, $0.1] })
            #expect(many.reports == one.reports)
        }
    }

    @Test func oversizedBlocksAreSkippedAndReported() async {
        let records = (0..<30).map { record("\($0)", family: "SMITH", dob: (1970, 1, 1 + $0 % 28)) }
        let result = await Blocking.candidatePairs(records: records, rules: [BlockingRule([.surname]), BlockingRule([.dateOfBirth])],
                                             maximumBlockSize: 10)
        #expect(result.reports[0].skippedBlocks == 1)
        #expect(result.reports[0].recordsInSkippedBlocks == 30)
        #expect(result.reports[0].pairsAdded == 0)
        // Pairs in the skipped block are still found by a later rule.
        #expect(result.reports[1].pairsAdded == 2)
    }

    /// An incremental run blocks only part of the store: a block small there but too large in the
    /// whole store is skipped, as a run over the whole store would skip it.
    @Test func blocksFollowTheirSizeInTheWholeStore() async {
        let records = (0..<3).map { record("\($0)", family: "SMITH", dob: (1970, 1, 1 + $0)) }
        let rules = [BlockingRule([.surname])]
        #expect(await Blocking.candidatePairs(records: records, rules: rules, maximumBlockSize: 10).pairs.count == 3)
        let capped = await Blocking.candidatePairs(records: records, rules: rules, maximumBlockSize: 10, storeBlockSize: { _, _ in 11 })
        #expect(capped.pairs.isEmpty)
        #expect(capped.reports[0].skippedBlocks == 1)
        let fits = await Blocking.candidatePairs(records: records, rules: rules, maximumBlockSize: 10, storeBlockSize: { _, _ in 10 })
        #expect(fits.pairs.count == 3)
    }

    @Test func multiValuedKeysEmitAPairOnce() async {
        var a = record("a", family: "SMITHJONES")
        a.familyParts = [Array("SMITH".utf8), Array("JONES".utf8)]
        var b = record("b", family: "JONESSMITH")
        b.familyParts = [Array("JONES".utf8), Array("SMITH".utf8)]
        let result = await Blocking.candidatePairs(records: [a, b], rules: [BlockingRule([.surnamePart])], maximumBlockSize: 10)
        #expect(result.pairs.count == 1)
    }
}

@Suite struct ClusteringTests {
    private func pair(_ i: Int32, _ j: Int32, _ probability: Double) -> ScoredPair {
        ScoredPair(i: i, j: j, weight: Scorer.weight(probability: probability), probability: probability)
    }

    @Test func aThirdRecordCannotChainTwoPeople() {
        // 0 and 2 are scored as different people; 1 links strongly to both.
        let pairs = [pair(0, 1, 0.9999), pair(1, 2, 0.9995), pair(0, 2, 0.001)]
        let clusters = Clustering.cluster(recordCount: 3, pairs: pairs, placeholder: { _ in false }, nhsNumber: { _ in nil },
                                          thresholds: .defaults)
        #expect(clusters.personOf[0] == clusters.personOf[1])
        #expect(clusters.personOf[2] != clusters.personOf[0])
        #expect(clusters.review.contains { $0.reason == .wouldChain && $0.pair.i == 1 && $0.pair.j == 2 })
    }

    @Test func noPersonHoldsTwoNHSNumbers() {
        let numbers: [UInt64?] = [9_434_765_919, nil, 9_990_000_018]
        let pairs = [pair(0, 1, 0.9999), pair(1, 2, 0.9999)]
        let clusters = Clustering.cluster(recordCount: 3, pairs: pairs, placeholder: { _ in false }, nhsNumber: { numbers[Int($0)] },
                                          thresholds: .defaults)
        #expect(clusters.personCount == 2)
        #expect(clusters.review.map(\.reason) == [.differentNHSNumbers])
    }

    @Test func placeholdersAreNeverAutoLinkedOnDemographics() {
        let clusters = Clustering.cluster(recordCount: 2, pairs: [pair(0, 1, 0.99999)], placeholder: { $0 == 1 },
                                          nhsNumber: { _ in nil }, thresholds: .defaults)
        #expect(clusters.personCount == 2)
        #expect(clusters.review.map(\.reason) == [.placeholderIdentity])
    }

    /// "BABY OF AHMED" and the child's later record with the same NHS number and date of birth are one
    /// child: the identifier confirms what the name cannot.
    @Test func anUnnamedNewbornConfirmedByNHSNumberAndBirthDateIsLinked() {
        let confirmed = ScoredPair(i: 0, j: 1, weight: 40, probability: 0.999999, identityConfirmed: true)
        let linked = Clustering.cluster(recordCount: 2, pairs: [confirmed], placeholder: { $0 == 0 }, nhsNumber: { _ in 9_434_765_919 },
                                        thresholds: .defaults)
        #expect(linked.personCount == 1)
        // The same number on records with another date of birth is the mother's: it confirms nothing.
        let mothers = Clustering.cluster(recordCount: 2, pairs: [confirmed], placeholder: { _ in true },
                                         identifierTrusted: { _ in false }, nhsNumber: { _ in 9_434_765_919 }, thresholds: .defaults)
        #expect(mothers.personCount == 2)
        #expect(mothers.review.map(\.reason) == [.placeholderIdentity])
    }

    @Test func scorerConfirmsIdentityOnlyWithTheFullBirthDate() {
        let scorer = Scorer(model: .untrained(kinds: [.nhsNumber, .forename, .surname, .dateOfBirth]))
        let baby = record("1", dob: (2026, 11, 2), nhs: 9_434_765_919, placeholder: true)
        var levels = [UInt8](repeating: 0, count: 4)
        scorer.levels(baby, record("2", given: "AISHA", family: "AHMED", dob: (2026, 11, 2), nhs: 9_434_765_919), into: &levels)
        #expect(scorer.confirmsIdentity(levels))
        scorer.levels(baby, record("3", given: "AISHA", family: "AHMED", dob: (2026, 11, 3), nhs: 9_434_765_919), into: &levels)
        #expect(!scorer.confirmsIdentity(levels))
        scorer.levels(baby, record("4", given: "SAMIRA", family: "AHMED", dob: (1990, 3, 1), nhs: 9_434_765_919), into: &levels)
        #expect(!scorer.confirmsIdentity(levels))   // the mother's number on the baby's record
    }

    /// A number on a baby and on someone born 36 years earlier is a parent's; on two dates three days
    /// apart it is one person's with a typing error.
    @Test func numbersCarriedAcrossGenerationsAreShared() {
        let records = [record("1", dob: (2026, 11, 2), nhs: 9_434_765_919), record("2", dob: (1990, 3, 1), nhs: 9_434_765_919),
                       record("3", dob: (2026, 11, 2), nhs: 9_990_000_018), record("4", dob: (2026, 11, 2), nhs: 9_990_000_018),
                       record("5", dob: (2026, 11, 2), nhs: 9_876_543_210), record("6", dob: (2026, 11, 5), nhs: 9_876_543_210)]
        #expect(NHSNumberSharing.numbersAcrossGenerations(records) == [9_434_765_919])
    }

    /// The mother's number on "BABY OF ..." is taken off for matching; a number shared with a record a
    /// few days apart (a typing error in a date), or carried by a named child, is left alone.
    @Test func aNewbornUnderItsMothersNumberIsMatchedWithoutIt() {
        let records = [record("baby", dob: (2026, 11, 2), nhs: 9_434_765_919, placeholder: true),
                       record("mother", given: "SAMIRA", family: "AHMED", dob: (1990, 3, 1), nhs: 9_434_765_919),
                       record("twin", dob: (2026, 11, 2), nhs: 9_990_000_018, placeholder: true),
                       record("typo", given: "ZARA", family: "AHMED", dob: (2026, 11, 5), nhs: 9_990_000_018),
                       record("named", given: "ZARA", family: "AHMED", dob: (2026, 11, 2), nhs: 9_434_765_919)]
        #expect(NHSNumberSharing.newbornsUnderAParentsNumber(records) == [0])
        #expect(NHSNumberSharing.isParentsNumber(of: records[0], heldBy: records[1]))
        #expect(!NHSNumberSharing.isParentsNumber(of: records[2], heldBy: records[3]))
        #expect(NHSNumberSharing.droppingNHSNumber(records[0]).nhsNumber == nil)
    }

    /// An analyst who links or unlinks two persons has answered every pair between them: one item asks it.
    @Test func oneReviewItemPerTwoPersons() {
        // Persons {0, 1} and {2, 3}: four review-band pairs across them; 4 is a third person.
        let pairs = [pair(0, 1, 0.9999), pair(2, 3, 0.9999), pair(0, 2, 0.8), pair(0, 3, 0.9), pair(1, 2, 0.7), pair(1, 3, 0.6),
                     pair(3, 4, 0.75)]
        let clusters = Clustering.cluster(recordCount: 5, pairs: pairs, placeholder: { _ in false }, nhsNumber: { _ in nil },
                                          thresholds: .defaults)
        #expect(clusters.personCount == 3)
        #expect(clusters.review.count == 2)
        #expect(clusters.review.first?.pair.i == 0 && clusters.review.first?.pair.j == 3)   // the strongest pair asks
        // A placeholder pair whose records ended up in one person anyway asks nothing: the newborn 0 is
        // confirmed as 1 by NHS number and birth date, and 1 is 2.
        let confirmed = ScoredPair(i: 0, j: 1, weight: 40, probability: 0.999999, identityConfirmed: true)
        let joined = Clustering.cluster(recordCount: 3, pairs: [confirmed, pair(1, 2, 0.9999), pair(0, 2, 0.999)],
                                        placeholder: { $0 == 0 }, nhsNumber: { _ in nil }, thresholds: .defaults)
        #expect(joined.personCount == 1)
        #expect(joined.review.isEmpty)
    }

    @Test func reviewBandAndClusterSize() {
        let thresholds = LinkThresholds(autoLink: 0.999, review: 0.5, maximumClusterSize: 2)
        let pairs = [pair(0, 1, 0.9999), pair(1, 2, 0.9998), pair(3, 4, 0.7)]
        let clusters = Clustering.cluster(recordCount: 5, pairs: pairs, placeholder: { _ in false }, nhsNumber: { _ in nil },
                                          thresholds: thresholds)
        #expect(clusters.personCount == 4)
        #expect(Set(clusters.review.map(\.reason)) == [.clusterTooLarge, .reviewBand])
        #expect(clusters.personOf.count == 5)
    }
}

@Suite struct EvaluationTests {
    @Test func contingencyCounts() {
        let metrics = Evaluation.evaluate(truth: [0, 0, 0, 1, 1], predicted: [0, 0, 1, 1, 1])
        #expect(metrics.truePairs == 4)
        #expect(metrics.predictedPairs == 4)
        #expect(metrics.truePositivePairs == 2)
        #expect(metrics.falseMergePairs == 2)
        #expect(metrics.precision == 0.5 && metrics.recall == 0.5)
        #expect(abs(metrics.bCubedPrecision - 11.0 / 15.0) < 1e-12)
        #expect(abs(metrics.bCubedRecall - 11.0 / 15.0) < 1e-12)
    }

    @Test func perfectAndSingletons() {
        let perfect = Evaluation.evaluate(truth: [1, 1, 2], predicted: [7, 7, 9])
        #expect(perfect.f1 == 1 && perfect.bCubedPrecision == 1 && perfect.bCubedRecall == 1)
        let singletons = Evaluation.evaluate(truth: [1, 1, 2], predicted: [1, 2, 3])
        #expect(singletons.precision == 1 && singletons.recall == 0)
    }

    @Test func curveFindsTheBestThreshold() {
        let scores: [(weight: Double, isMatch: Bool)] = [(10, true), (8, true), (5, false), (3, true), (1, false)]
        let curve = Evaluation.curve(scores: scores, truePairs: 4)
        #expect(curve.count == 5)
        #expect(curve[0].precision == 1 && curve[0].recall == 0.25)
        let best = curve.max { $0.f1 < $1.f1 }!
        #expect(best.threshold == 3)   // 3 of 4 true pairs at precision 3/4
    }
}

@Suite struct TwinSafeguardTests {
    @Test func conflictingForenamesAreNeverAutoLinked() {
        let twins = ScoredPair(i: 0, j: 1, weight: 30, probability: 0.999999, conflictingForenames: true)
        let clusters = Clustering.cluster(recordCount: 2, pairs: [twins], placeholder: { _ in false }, nhsNumber: { _ in nil },
                                          thresholds: .defaults)
        #expect(clusters.personCount == 2)
        #expect(clusters.review.map(\.reason) == [.conflictingForenames])
    }

    @Test func scorerFlagsTwins() {
        let scorer = Scorer(model: .untrained(kinds: [.forename, .surname, .dateOfBirth]))
        var a = MatchRecord(key: RecordKey(source: "T", recordId: "1")), b = MatchRecord(key: RecordKey(source: "T", recordId: "2"))
        a.given = Array("OLIVER".utf8); b.given = Array("HARRIET".utf8)
        a.family = Array("KHAN".utf8); b.family = a.family
        var levels = [UInt8](repeating: 0, count: 3)
        scorer.levels(a, b, into: &levels)
        #expect(scorer.hasConflictingForenames(levels, a, b))
        b.given = Array("OLIVRE".utf8)
        scorer.levels(a, b, into: &levels)
        #expect(!scorer.hasConflictingForenames(levels, a, b))   // a typing error: related forenames
    }

    private func conflicting(_ scorer: Scorer, _ a: MatchRecord, _ b: MatchRecord) -> Bool {
        var levels = [UInt8](repeating: 0, count: scorer.kinds.count)
        scorer.levels(a, b, into: &levels)
        return scorer.hasConflictingForenames(levels, a, b)
    }

    /// FEBRL's duplicates have forename and surname swapped, sometimes with a typing error, sometimes
    /// on one side only: the comparisons see the names, so the safeguard must not object.
    @Test func swappedNamesAreNotTwins() {
        let scorer = Scorer(model: .untrained(kinds: [.forename, .surname, .dateOfBirth]))
        let isabella = record("1", given: "ISABELLA", family: "CTERCTEKO", dob: (1981, 6, 26))
        #expect(!conflicting(scorer, isabella, record("2", given: "CTERCTEKO", family: "ISABELLA", dob: (1981, 6, 26))))
        #expect(!conflicting(scorer, isabella, record("3", given: "CTERCTEKO", family: "ISABELA", dob: (1981, 6, 26))))
        let james = record("4", given: "JAMES", family: "COLEMAN", dob: (1935, 8, 3))
        #expect(!conflicting(scorer, james, record("5", given: "HOWIE", family: "JAMES", dob: (1935, 8, 3))))
        // Twins share a surname: one's forename is not the other's surname.
        #expect(conflicting(scorer, james, record("6", given: "HOWIE", family: "COLEMAN", dob: (1935, 8, 3))))
    }

    /// Twins never share an NHS number or a national id: an agreeing identifier lifts the safeguard.
    @Test func anAgreeingUniqueIdentifierIsNotTwins() {
        let scorer = Scorer(model: .untrained(kinds: [.nhsNumber, .forename, .surname, .dateOfBirth, .identifier("national_id")]))
        var a = record("1", given: "DANIELLA", family: "BOOTHROYD", dob: (1960, 9, 4), nhs: 9_434_765_919)
        var b = record("2", given: "LACHLAN", family: "BOOTHROYD", dob: (1960, 9, 4), nhs: 9_434_765_919)
        #expect(!conflicting(scorer, a, b))
        b.nhsNumber = 9_990_000_018
        #expect(conflicting(scorer, a, b))
        a.nhsNumber = nil; b.nhsNumber = nil
        a.otherFields["national_id"] = Array("7721398".utf8)
        b.otherFields["national_id"] = Array("7721389".utf8)   // one transposition
        #expect(!conflicting(scorer, a, b))
        b.otherFields["national_id"] = Array("5764782".utf8)
        #expect(conflicting(scorer, a, b))
    }

    /// A wrong letter that the similarity levels miss (a wrong first letter) is a typing error in a long
    /// name, but in a short name one letter makes another name.
    @Test func oneTypingErrorLiftsOnlyInLongNames() {
        let scorer = Scorer(model: .untrained(kinds: [.forename, .surname, .dateOfBirth]))
        #expect(!conflicting(scorer, record("1", given: "DANIELLA", family: "KHAN"), record("2", given: "FANIELLA", family: "KHAN")))
        #expect(conflicting(scorer, record("1", given: "JACK", family: "KHAN"), record("2", given: "ZACK", family: "KHAN")))
    }
}

@Suite struct TrainingSampleTests {
    @Test func distinctNumbersAreUniformSizedDeterministicAndOrdered() {
        let first = Training.distinctNumbers(below: 10_000, count: 1_000, seed: 9)
        #expect(first.count == 1_000)
        #expect(first == Training.distinctNumbers(below: 10_000, count: 1_000, seed: 9))
        #expect(first == first.sorted())
        #expect(Set(first).count == 1_000)
        // Uniform enough: each tenth of the input holds about a tenth of the sample.
        let tenths = Dictionary(grouping: first, by: { $0 / 1_000 }).mapValues(\.count)
        #expect(tenths.values.allSatisfy { (60...140).contains($0) })
        #expect(Training.distinctNumbers(below: 10, count: 1_000, seed: 9) == Array(0..<10))
    }

    /// A training pass draws its pairs by number from the rule's blocks instead of listing them all;
    /// the pairs drawn must be the ones drawing from the full list gives, block sizes from 1 to over
    /// the cap, records of a block not adjacent in the input, records without a value left out.
    @Test func pairsDrawnByNumberAreThePairsTheFullListGives() async throws {
        var generator = SplitMix64(seed: 4)
        let surnames = ["KHAN", "SMITH", "OKAFOR", "NOWAK", "PATEL", "LEE"]
        let records = (0..<600).map { index in
            let block = index < 100 ? 0 : Int(generator.next() % 40)   // block 0 is over the cap
            return record(String(index), given: "G", family: surnames[block % surnames.count] + String(block),
                          dob: block % 7 == 0 ? nil : (2001, 1, 1 + block % 28))
        }
        let rule = BlockingRule([.surname, .dateOfBirth])
        let listed = await Blocking.candidatePairs(records: records, rules: [rule], maximumBlockSize: 25).pairs
        let blocks = try #require(RuleBlocks(records: records, rule: rule, maximumBlockSize: 25))
        #expect(blocks.pairCount == listed.count)
        for count in [50, 1_000, 100_000] {
            let numbers = Training.distinctNumbers(below: listed.count, count: count, seed: 3)
            let drawn = await Training.sample(rule: rule, records: records, count: count, seed: 3, maximumBlockSize: 25)
            #expect(drawn.pairCount == listed.count)
            #expect(drawn.pairs.map { [$0.0, $0.1] } == numbers.map { [listed[$0].0, listed[$0].1] })
        }
    }
}

@Suite struct BlockedComparisonTests {
    /// A pass blocked on comparison 0 (every pair agrees on it) must still recover the other comparisons'
    /// m when comparison 0 is ignored; counting it makes every pair look like a match.
    @Test func ignoringTheBlockedComparisonRecoversM() {
        let trueM: [[Double]] = [[0.8, 0.2], [0.7, 0.3], [0.9, 0.1]]
        let trueU: [[Double]] = [[0.05, 0.95], [0.1, 0.9], [0.2, 0.8]]
        var generator = SplitMix64(seed: 3)
        func draw(_ distribution: [Double]) -> UInt8 {
            Double(generator.next() % 1_000_000) / 1_000_000 < distribution[0] ? 1 : 2
        }
        var histogram = PatternHistogram(comparisonCount: 4)
        for _ in 0..<100_000 {
            let isMatch = Double(generator.next() % 1_000_000) / 1_000_000 < 0.3
            histogram.add([1] + (0..<3).map { draw(isMatch ? trueM[$0] : trueU[$0]) })
        }
        let blocked = ComparisonParameters(kind: .exactField("blocked"), levels: [.init(label: "", m: 0.9, u: 0.0001),
                                                                                .init(label: "", m: 0.1, u: 0.9999)], termFrequencies: false)
        let free = (0..<3).map { index in
            ComparisonParameters(kind: .exactField("f\(index)"), levels: [.init(label: "", m: 0.5, u: trueU[index][0]),
                                                                           .init(label: "", m: 0.5, u: trueU[index][1])], termFrequencies: false)
        }
        let estimate = [false, true, true, true]
        let ignored = ExpectationMaximisation.run(histogram: histogram, comparisons: [blocked] + free, estimate: estimate,
                                                  ignore: estimate.map { !$0 }, lambda: 0.5, maximumIterations: 500, tolerance: 1e-9)
        for index in 0..<3 { #expect(abs(ignored.m[index + 1][0] - trueM[index][0]) < 0.03) }
        #expect(abs(ignored.lambda - 0.3) < 0.03)
        let counted = ExpectationMaximisation.run(histogram: histogram, comparisons: [blocked] + free, estimate: estimate,
                                                  lambda: 0.5, maximumIterations: 500, tolerance: 1e-9)
        #expect(counted.lambda > 0.9)   // the failure the ignore parameter prevents: every pair a "match"
    }
}

@Suite struct StewardDecisionTests {
    private func pair(_ i: Int32, _ j: Int32, _ probability: Double) -> ScoredPair {
        ScoredPair(i: i, j: j, weight: Scorer.weight(probability: probability), probability: probability)
    }

    @Test func unlinkIsNeverRemergedAutomatically() {
        let pairs = [pair(0, 1, 0.99999), pair(1, 2, 0.99999)]
        // Unlinking 0 and 2 keeps them apart even through 1; 0-1 links first (stronger? equal: order), 1-2 is refused.
        let clusters = Clustering.cluster(recordCount: 3, pairs: pairs, placeholder: { _ in false }, nhsNumber: { _ in nil },
                                          thresholds: .defaults, cannotLink: [(0, 2)])
        #expect(clusters.personOf[0] != clusters.personOf[2])
        let direct = Clustering.cluster(recordCount: 2, pairs: [pair(0, 1, 0.99999)], placeholder: { _ in false },
                                        nhsNumber: { _ in nil }, thresholds: .defaults, cannotLink: [(0, 1)])
        #expect(direct.personCount == 2)
        #expect(direct.review.isEmpty)   // decided: not queued again
    }

    @Test func linkIsNeverSplitAutomatically() {
        // A steward linked a placeholder record and one whose score is low: they stay one person.
        let clusters = Clustering.cluster(recordCount: 3, pairs: [pair(0, 1, 0.01)], placeholder: { $0 == 0 },
                                          nhsNumber: { _ in nil }, thresholds: .defaults, mustLink: [(0, 1)])
        #expect(clusters.personOf[0] == clusters.personOf[1])
        #expect(clusters.personCount == 2)
    }
}

@Suite struct TouchingBlockingTests {
    /// Blocking restricted to marked records gives exactly the full run's pairs that involve them.
    @Test func restrictedBlockingEqualsFilteredFullBlocking() async {
        var generator = SplitMix64(seed: 5)
        let names = ["SMITH", "PATEL", "KHAN", "JONES"]
        let records: [MatchRecord] = (0..<300).map { index in
            var record = MatchRecord(key: RecordKey(source: "T", recordId: String(index)))
            record.family = Array(names[Int(generator.next() % 4)].utf8)
            record.given = Array(names[Int(generator.next() % 4)].utf8)
            record.dateOfBirth = CalendarDate(year: 1980 + Int(generator.next() % 3), month: 1, day: 1 + Int(generator.next() % 3))
            return record
        }
        let rules = [BlockingRule([.surname, .dateOfBirth]), BlockingRule([.forename, .yearOfBirth]), BlockingRule([.surnamePart])]
        let touching = records.indices.map { $0 % 7 == 0 }
        let full = await Blocking.candidatePairs(records: records, rules: rules, maximumBlockSize: 50).pairs
            .filter { touching[Int($0.0)] || touching[Int($0.1)] }.map { "\($0.0)-\($0.1)" }
        let restricted = await Blocking.candidatePairs(records: records, rules: rules, maximumBlockSize: 50, touching: touching).pairs
            .map { "\($0.0)-\($0.1)" }
        #expect(!full.isEmpty)
        #expect(Set(restricted) == Set(full))
        #expect(restricted.count == full.count)
    }
}

@Suite struct MultiValuedRuleHashTests {
    /// A multi-valued rule's hashes are stored as link keys: they must stay FNV-1a of each combination
    /// of the keys' values joined, 0x1F before each, however they are computed.
    @Test func hashesAreFNVOfEachJoinedCombination() {
        func joinedHashes(_ rule: BlockingRule, _ record: MatchRecord) -> [UInt64] {
            var combined: [[UInt8]] = [[]]
            for key in rule.keys {
                let values = key.values(record)
                if values.isEmpty { return [] }
                combined = combined.flatMap { prefix in values.map { prefix + [0x1F] + $0 } }
            }
            return Array(Set(combined.map(BlockingRule.fnv1a))).sorted()
        }
        let rules = [BlockingRule([.surnamePart, .forenamePrefix(1), .yearOfBirth]), BlockingRule([.surnamePart]),
                     BlockingRule([.yearOfBirth, .surnamePart, .sex]), BlockingRule([.surnamePart, .nhsNumber])]
        var withParts = record("a", given: "ANNE", family: "SMITHJONES", dob: (1980, 2, 3), nhs: 9_434_765_919)
        withParts.familyParts = [Array("SMITH".utf8), Array("JONES".utf8), Array("SMITHJONES".utf8)]
        withParts.sex = .female
        let samples = [withParts, record("b", given: "BO", family: "LEE", dob: (2001, 1, 1)), record("c", family: "KHAN"),
                       record("d", given: "X", family: "", dob: (1990, 5, 5)), record("e", given: "ANNE", family: "SMITH", placeholder: true)]
        for rule in rules {
            for sample in samples {
                #expect(rule.hashes(sample) == joinedHashes(rule, sample), "\(rule) on record \(sample.key.recordId)")
            }
        }
        #expect(rules[0].hashes(withParts).count == 3)
    }
}

@Suite struct LinkKeysTests {
    private let rules = BlockingRule.nhsDefaults

    private func sample() -> MatchRecord {
        var a = record("a", given: "ANNE", family: "SMITHJONES", dob: (1980, 2, 3), nhs: 9_434_765_919, postcode: "HA2 8SL")
        a.familyParts = [Array("SMITH".utf8), Array("JONES".utf8)]
        return a
    }

    @Test func roundTripAndAgreeWithBlocking() throws {
        let keys = LinkKeys(sample(), rules: rules, termFrequencyKinds: [.forename, .surname, .postcode])
        #expect(keys.blocking[4].count == 3)            // surname_part: the whole surname and both parts
        #expect(keys.blocking[0] == [LinkKeys.short(rules[0].singleHash(sample())!)])
        #expect(keys.termFrequencies[1] == TermFrequencyTable.key(of: Array("SMITHJONES".utf8)))
        let bytes = keys.encoded(fingerprint: 7)
        let decoded = bytes.withUnsafeBytes { LinkKeys(decoding: $0, fingerprint: 7, ruleCount: rules.count, termFrequencyCount: 3) }
        #expect(decoded == keys)
    }

    /// Keys stored under other settings, or damaged, are refused whole, so they are recomputed.
    @Test func staleOrMalformedKeysAreRefused() {
        let bytes = LinkKeys(sample(), rules: rules, termFrequencyKinds: [.surname]).encoded(fingerprint: 7)
        func decode(_ bytes: [UInt8], fingerprint: UInt32 = 7, rules ruleCount: Int = 8) -> LinkKeys? {
            bytes.withUnsafeBytes { LinkKeys(decoding: $0, fingerprint: fingerprint, ruleCount: ruleCount, termFrequencyCount: 1) }
        }
        #expect(decode(bytes) != nil)
        #expect(decode(bytes, fingerprint: 8) == nil)
        #expect(decode(bytes, rules: 7) == nil)
        #expect(decode(Array(bytes.dropLast())) == nil)
        #expect(decode(bytes + [0]) == nil)
        #expect(decode([]) == nil)
        var visited = 0
        let valid = Array(bytes.dropLast()).withUnsafeBytes {
            LinkKeys.visit($0, fingerprint: 7, ruleCount: 8, termFrequencyCount: 1, blocking: { _, _ in visited += 1 },
                           termFrequency: { _, _ in visited += 1 })
        }
        #expect(!valid && visited == 0)
        #expect(LinkKeys.fingerprint(rules: rules, termFrequencyKinds: [.surname])
                != LinkKeys.fingerprint(rules: Array(rules.dropLast()), termFrequencyKinds: [.surname]))
    }

    /// Term frequencies rebuilt from stored hashes equal those counted from the values.
    @Test func termFrequenciesFromHashesEqualThoseFromValues() {
        var fromValues = TermFrequencyTable(), fromHashes = TermFrequencyTable()
        for name in ["SMITH", "SMITH", "JONES", "SMITH", "ZELINSKI"] { fromValues.add(Array(name.utf8)) }
        fromHashes.add(key: TermFrequencyTable.key(of: Array("SMITH".utf8)), count: 3)
        fromHashes.add(key: TermFrequencyTable.key(of: Array("JONES".utf8)))
        fromHashes.add(key: TermFrequencyTable.key(of: Array("ZELINSKI".utf8)))
        for name in ["SMITH", "JONES", "ZELINSKI", "NEVERSEEN"] {
            #expect(fromValues.frequency(of: Array(name.utf8)) == fromHashes.frequency(of: Array(name.utf8)))
        }
        #expect(fromValues.frequency(of: Array("SMITH".utf8)) == 0.6)
    }
}

/// The radix sort blocking uses gives exactly the order of sorting by (hash, record), for entries
/// appended in record order: many equal hashes, hashes differing only in high bits, and a record
/// holding several hashes.
@Suite struct HashOrderTests {
    @Test(arguments: [0, 1, 100, 513, 5_000, 70_000])
    func matchesTheComparisonSort(count: Int) {
        var generator = SplitMix(seed: UInt64(count) + 7)
        var entries: [(hash: UInt64, record: Int32)] = []
        var record: Int32 = 0
        while entries.count < count {
            for _ in 0..<Int(generator.next() % 3 + 1) where entries.count < count {
                let choice = generator.next() % 4
                let hash: UInt64 = switch choice {
                case 0: generator.next() % 50                       // many ties
                case 1: (generator.next() % 7) << 48                // only the top digit differs
                default: generator.next()
                }
                entries.append((hash, record))
            }
            record += 1
        }
        var expected = entries
        expected.sort { ($0.hash, $0.record) < ($1.hash, $1.record) }
        HashOrder.sort(&entries)
        #expect(entries.map(\.hash) == expected.map(\.hash))
        #expect(entries.map(\.record) == expected.map(\.record))
    }

    /// A small, seeded generator, so a failure can be replayed.
    struct SplitMix {
        var state: UInt64
        init(seed: UInt64) { state = seed }
        mutating func next() -> UInt64 {
            state &+= 0x9E37_79B9_7F4A_7C15
            var z = state
            z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
            z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
            return z ^ (z >> 31)
        }
    }
}

@Suite struct InOrderParallelTests {
    /// Results finish out of order (later items are quicker); each must still be consumed in the items'
    /// order, once.
    @Test func resultsAreConsumedInTheItemsOrder() async throws {
        var consumed: [Int] = []
        await Parallel.forEachInOrder(Array(0..<60), workers: 2, { item in
            var spin = 0
            for step in 0..<((60 - item) * 2_000) { spin &+= step }
            return (item, spin)
        }, consume: { result in consumed.append(result.0) })
        #expect(consumed == Array(0..<60))
    }

    @Test func aConsumerErrorStopsTheRun() async {
        struct Full: Error {}
        var consumed = 0
        await #expect(throws: Full.self) {
            try await Parallel.forEachInOrder(Array(0..<20), workers: 2, { $0 }, consume: { item in
                if item == 5 { throw Full() }
                consumed += 1
            })
        }
        #expect(consumed == 5)
    }
}
