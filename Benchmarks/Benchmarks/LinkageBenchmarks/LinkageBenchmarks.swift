import Benchmark
import MPICore

/// 20,000 records with realistic agreement structure (names from small pools, so pairs agree on some
/// fields and not others) and 200,000 pairs among them. Deterministic.
private func syntheticRecords(count: Int) -> [MatchRecord] {
    var generator = SplitMix64(seed: 42)
    func pick(_ values: [String]) -> [UInt8] { Array(values[Int(generator.next() % UInt64(values.count))].utf8) }
    let given = ["OLIVER", "OLIVIA", "MOHAMMED", "MUHAMMAD", "JOHN", "JON", "AMELIA", "PRIYA", "PIOTR", "SIOBHAN", "GRACE", "NOAH"]
    let family = ["SMITH", "SMYTH", "PATEL", "KHAN", "NGUYEN", "KOWALSKI", "OBRIEN", "JONES", "WILLIAMS", "OKAFOR", "BEGUM", "TAYLOR"]
    let postcodes = ["HA1 3UJ", "HA1 3UL", "UB8 3NN", "W2 1NY", "SW10 9NH", "NW10 7NS", "W6 8RF", "W12 0HS"]
    return (0..<count).map { index in
        var record = MatchRecord(key: RecordKey(source: "B", recordId: String(index)))
        record.given = pick(given)
        record.family = pick(family)
        record.givenMetaphone = Array(record.given.prefix(3))
        record.familyMetaphone = Array(record.family.prefix(3))
        record.dateOfBirth = CalendarDate(year: 1950 + Int(generator.next() % 50), month: 1 + Int(generator.next() % 12),
                                          day: 1 + Int(generator.next() % 28))
        record.sex = generator.next() % 2 == 0 ? .male : .female
        if generator.next() % 3 != 0 { record.nhsNumber = 9_990_000_000 + generator.next() % 1_000_000 }
        let postcode = pick(postcodes)
        record.postcodeUnit = postcode
        record.postcodeSector = Array(postcode.dropLast(2))
        record.postcodeDistrict = Array(postcode.prefix { $0 != 0x20 })
        record.postcodeArea = Array(postcode.prefix { $0 >= 0x41 })
        return record
    }
}

let benchmarks: @Sendable () -> Void = {
    Benchmark.defaultConfiguration = .init(metrics: [.wallClock, .throughput, .mallocCountTotal], timeUnits: .milliseconds,
                                           maxDuration: .seconds(5))
    let records = syntheticRecords(count: 20_000)
    var generator = SplitMix64(seed: 7)
    let pairs: [(Int32, Int32)] = (0..<200_000).map { _ in
        let i = Int32(generator.next() % 20_000)
        var j = Int32(generator.next() % 19_999)
        if j >= i { j += 1 }
        return (min(i, j), max(i, j))
    }
    let model = LinkageModel.untrained(lambda: 1e-4)
    let scorer = Scorer(model: model, termFrequencies: Scorer.termFrequencies(for: model, records: records))

    Benchmark("Compare and score x200000 pairs, one core") { benchmark in
        var levels = [UInt8](repeating: 0, count: scorer.kinds.count)
        for _ in benchmark.scaledIterations {
            var total = 0.0
            for (i, j) in pairs {
                scorer.levels(records[Int(i)], records[Int(j)], into: &levels)
                total += scorer.weight(levels: levels, records[Int(i)], records[Int(j)])
            }
            blackHole(total)
        }
    }

    Benchmark("Compare x200000 pairs, all cores (task group)") { benchmark in
        for _ in benchmark.scaledIterations {
            blackHole(await PairLevels.compute(records: records, pairs: pairs, scorer: scorer, workers: 2))
        }
    }

    Benchmark("EM, 30 iterations over the patterns of 200000 pairs") { benchmark in
        let levels = await PairLevels.compute(records: records, pairs: pairs, scorer: scorer, workers: 2)
        let histogram = levels.histogram()
        benchmark.startMeasurement()
        for _ in benchmark.scaledIterations {
            blackHole(ExpectationMaximisation.run(histogram: histogram, comparisons: model.comparisons,
                                                  estimate: model.comparisons.map { _ in true }, lambda: 0.1,
                                                  maximumIterations: 30, tolerance: 0))
        }
    }
}
