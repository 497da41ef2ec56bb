import Benchmark
import Foundation
import MPICore
import MPIStore

/// A store of 100,000 records in 50,000 persons (two records each), then `resolve` by identifier: the
/// lookup a lab system makes, including its audit entry.
let benchmarks: @Sendable () -> Void = {
    Benchmark.defaultConfiguration = .init(metrics: [.wallClock, .throughput], timeUnits: .microseconds, maxDuration: .seconds(5))
    let path = FileManager.default.temporaryDirectory.appendingPathComponent("resolve-benchmark-\(getpid()).sqlite").path
    let store = try! IdentityStore(path: path)
    let keys = (0..<100_000).map { RecordKey(source: $0 % 2 == 0 ? "R1K" : "RAS", recordId: String(format: "%08d", $0 / 2)) }
    for source in ["R1K", "RAS"] {
        let records = keys.filter { $0.source == source }.map { key in
            var normalized = NormalizedRecord(key: key, name: PersonName(given: "JOHN", family: "SMITH"))
            normalized.nhsNumber = NHSNumber(validatedDigits: "9434765919")
            return StoredRecord(key: key, raw: ["ID": key.recordId], normalized: normalized)
        }
        _ = try! store.importSource(code: source, records: records, fullExtract: false, actor: "benchmark")
    }
    let groups = stride(from: 0, to: keys.count, by: 2).map { [keys[$0], keys[$0 + 1]] }
    _ = try! store.applyPersons(groups, modelJSON: "{}", reason: "benchmark", actor: "benchmark")

    Benchmark("resolve by identifier (100,000-record store, audited)") { benchmark in
        var generator = SystemRandomNumberGenerator()
        for _ in benchmark.scaledIterations {
            let key = keys[Int(generator.next() % UInt64(keys.count))]
            blackHole(try store.resolve(source: key.source, recordId: key.recordId, actor: "lab"))
        }
    }
}
