import ArgumentParser
import Foundation
import MPILinkage
import MPICore
import MPINormalize
import MPISynthetic

extension MPI {
    struct Demo: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Generate a synthetic four-trust population, link it, and measure the result against its truth.",
            discussion: """
            Writes the population (each trust in its own export format) and the linkage outputs to --out \
            (default: a new folder under the system's temporary folder), then prints what a data steward \
            wants to know: persons found, automatic links, review items, precision and recall against the \
            known truth, and the time each stage took.
            """
        )

        @Option(help: "Number of synthetic persons.")
        var persons: Int = 20_000

        @Option(help: "Random seed of the population.")
        var seed: UInt64 = 1

        @Option(name: .long, help: "Folder for the population and the outputs.")
        var out: String?

        @Flag(help: "Show the stages' progress lines.")
        var verbose = false

        func validate() throws {
            guard persons > 0 else { throw ValidationError("--persons must be positive") }
        }

        func run() async throws {
            let directory = out ?? FileManager.default.temporaryDirectory.appendingPathComponent("mpi-demo-\(seed)-\(persons)").path
            var stopwatch = Stopwatch()
            let population = try Generate.write(persons: persons, seed: seed, to: directory)
            let generateSeconds = stopwatch.lap()
            let counts = population.recordsPerTrust.sorted { $0.key < $1.key }.map { "\($0.key) \(grouped($0.value))" }.joined(separator: ", ")
            print("Synthetic population: \(grouped(population.persons)) persons, \(grouped(population.recordsPerTrust.values.reduce(0, +))) records (\(counts))")
            print("  written to \(directory)")

            let jobPath = (directory as NSString).appendingPathComponent("job.json")
            let job = try JobFile.load(jobPath)
            let run = LinkRun(job: job, jobDirectory: URL(fileURLWithPath: directory), builder: try ReferenceData.matchRecordBuilder(),
                              today: .today, progress: Progress(quiet: !verbose).linkProgress)
            let outputs = LinkOutputs(directory: (directory as NSString).appendingPathComponent("link"), job: job)
            let outcome = try await run.run(model: nil, alongsideClustering: { try await outputs.writePairs($0) })
            stopwatch = Stopwatch()
            try await outputs.write(outcome, pairsWritten: true)
            var timings = [("generate", generateSeconds)] + outcome.timings
            timings.append(("write", stopwatch.lap()))
            try outputs.writeSummary(outcome, timings: timings)

            let records = outcome.loaded.records
            print("\nRead and normalised \(grouped(records.count)) records; \(grouped(outcome.loaded.rejects.count)) values rejected (see rejects.csv).")
            print("Blocking: \(grouped(outcome.candidatePairCount)) candidate pairs from \(job.blocking.rules.count) rules"
                  + (outcome.blockingReports.contains { $0.skippedBlocks > 0 } ? " (some blocks skipped: see summary.json)" : "") + ".")
            print("Model: trained by EM in \(outcome.model.training.count) passes; prior λ = \(String(format: "%.2g", outcome.model.lambda)).")
            var reasons: [ReviewReason: Int] = [:]
            for item in outcome.clusters.review { reasons[item.reason, default: 0] += 1 }
            print("Persons: \(grouped(outcome.clusters.personCount)) from \(grouped(records.count)) records; "
                  + "\(grouped(outcome.clusters.autoLinks)) automatic links; \(grouped(outcome.clusters.review.count)) pairs for review"
                  + " (" + reasons.sorted { $0.value > $1.value }.map { "\($0.key.rawValue) \(grouped($0.value))" }.joined(separator: ", ") + ").")

            let truth = try CSVFile.read((directory as NSString).appendingPathComponent("truth.csv"))
            var trueIdOf: [RecordKey: String] = [:]
            for row in truth.rows { trueIdOf[RecordKey(source: row[0], recordId: row[1])] = row[2] }
            var labels: [String: Int] = [:]
            let truthLabels = records.map { record -> Int in
                let id = trueIdOf[record.key] ?? "?"
                if let label = labels[id] { return label }
                labels[id] = labels.count
                return labels.count - 1
            }
            let metrics = Evaluation.evaluate(truth: truthLabels, predicted: outcome.clusters.personOf.map(Int.init))
            print("\nAgainst the known truth (\(grouped(population.persons)) real persons):")
            print(String(format: "  pairwise precision %.4f, recall %.4f, F1 %.4f", metrics.precision, metrics.recall, metrics.f1))
            print("  false-merge pairs \(grouped(metrics.falseMergePairs)) (two people linked as one), missed pairs \(grouped(metrics.missedPairs))")
            print(String(format: "  B-cubed precision %.4f, recall %.4f", metrics.bCubedPrecision, metrics.bCubedRecall))
            let reviewMatches = outcome.clusters.review.filter { truthLabels[Int($0.pair.i)] == truthLabels[Int($0.pair.j)] }.count
            print("  " + ReviewBurden(items: outcome.clusters.review.count, records: records.count, trueMatches: reviewMatches).line)

            let total = timings.reduce(0) { $0 + $1.1 }
            print("\nTime per stage: " + timings.map { String(format: "%@ %.2f s", $0.0, $0.1) }.joined(separator: ", ")
                  + String(format: "; total %.2f s on %d cores.", total, ProcessInfo.processInfo.activeProcessorCount))
            print("Outputs: \(outputs.directory)/clusters.csv, pairs.csv, review.csv, rejects.csv, model.json, summary.json")
        }

        private func grouped(_ value: Int) -> String {
            let formatter = NumberFormatter()
            formatter.numberStyle = .decimal
            formatter.groupingSeparator = ","
            return formatter.string(from: NSNumber(value: value)) ?? String(value)
        }
    }
}
