import Benchmark
import Foundation
import MPICore

/// The 5,179 name pairs of Tests/Fixtures/similarity.tsv, the same pairs Scripts/bench-rapidfuzz.py times.
private let pairs: [([UInt8], [UInt8])] = {
    let fixture = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        .appendingPathComponent("Tests/Fixtures/similarity.tsv")
    let text = (try? String(contentsOf: fixture, encoding: .utf8)) ?? ""
    return text.split(separator: "\n").dropFirst().map { line in
        let fields = line.split(separator: "\t", omittingEmptySubsequences: false)
        return (Array(fields[0].utf8), Array(fields[1].utf8))
    }
}()

/// Each iteration scores every pair once; the reported time per iteration divided by `pairs.count`
/// is the time per pair (docs/benchmarks.md does that division).
let benchmarks: @Sendable () -> Void = {
    Benchmark.defaultConfiguration = .init(
        metrics: [.wallClock, .throughput, .mallocCountTotal],
        timeUnits: .microseconds,
        maxDuration: .seconds(3),
        thresholds: [.mallocCountTotal: .strict]
    )
    func scoring(_ name: String, _ score: @escaping @Sendable ([UInt8], [UInt8]) -> Double) {
        Benchmark("\(name) x\(pairs.count) pairs") { benchmark in
            for _ in benchmark.scaledIterations {
                var total = 0.0
                for (a, b) in pairs { total += score(a, b) }
                blackHole(total)
            }
        }
    }
    scoring("Jaro", Jaro.similarity)
    scoring("JaroWinkler", Jaro.winklerSimilarity)
    scoring("Levenshtein") { Double(EditDistance.levenshtein($0, $1)) }
    scoring("OSA") { Double(EditDistance.optimalStringAlignment($0, $1)) }
}
