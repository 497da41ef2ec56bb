import ArgumentParser
import Foundation
import MPILinkage
import MPICore
import MPINormalize
import MPIService
import MPIStore

extension MPI {
    struct Agreement: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Measure how real-time registration agrees with batch linkage on the same records.",
            discussion: """
            Copies a store that `mpi link --db` has linked, forgets every person in the copy, then places \
            the records one at a time in a shuffled order through the lookup service's own registration \
            path (same model, settings, term frequencies and safeguards). Compares the persons that \
            result with the batch run's: pairwise and B-cubed precision and recall, taking batch as the \
            reference. Run it with several seeds to see the order effects. The store itself is not changed.
            """
        )

        @Option(help: "A linked identity store.") var db = "mpi.sqlite"
        @Option(help: "Seed of the order the records are registered in.") var seed: UInt64 = 1
        @Flag(help: "Print JSON.") var json = false

        func run() async throws {
            let original: IdentityStore
            do { original = try IdentityStore(path: db) } catch { throw CLIError("cannot open the identity store \(db): \(error)") }
            let batch = try original.memberships()
            guard !batch.isEmpty else { throw CLIError("the store has no persons: run `mpi link JOB --db \(db)` first") }
            let scratch = FileManager.default.temporaryDirectory.appendingPathComponent("mpi-agreement-\(UUID().uuidString).sqlite").path
            defer { for suffix in ["", "-wal", "-shm"] { try? FileManager.default.removeItem(atPath: scratch + suffix) } }
            try original.copy(to: scratch)
            let copy = try IdentityStore(path: scratch)
            try copy.forgetMembershipsForReplay()
            let index = try IdentityIndex(store: copy, builder: try ReferenceData.matchRecordBuilder(), today: .today)

            var order = batch.keys.sorted()
            var generator = SplitMix64(seed: seed)
            for position in order.indices.reversed() {
                order.swapAt(position, Int(generator.next() % UInt64(position + 1)))
            }
            var clock = Stopwatch()
            var realTime: [RecordKey: EnterpriseID] = [:]
            for key in order { realTime[key] = try index.replay(key, actor: "agreement") }
            let seconds = clock.lap()

            // Batch persons are the reference ("truth"); real-time persons are the prediction.
            func numbered(_ ids: [EnterpriseID]) -> [Int] {
                var numbers: [EnterpriseID: Int] = [:]
                return ids.map { id in
                    if let number = numbers[id] { return number }
                    numbers[id] = numbers.count
                    return numbers.count - 1
                }
            }
            let keys = order.sorted()
            let truth = numbered(keys.map { batch[$0]! })
            let predicted = numbered(keys.map { realTime[$0]! })
            let metrics = Evaluation.evaluate(truth: truth, predicted: predicted)
            let review = try copy.reviewQueue(limit: Int.max).count

            struct Report: Encodable {
                let records: Int, batchPersons: Int, realTimePersons: Int
                let pairwisePrecision: Double, pairwiseRecall: Double, pairwiseF1: Double
                let bCubedPrecision: Double, bCubedRecall: Double
                let pairsOnlyRealTimeLinked: Int, pairsOnlyBatchLinked: Int, reviewItems: Int
                let seed: UInt64, seconds: Double
            }
            let report = Report(records: keys.count, batchPersons: Set(truth).count, realTimePersons: Set(predicted).count,
                                pairwisePrecision: metrics.precision, pairwiseRecall: metrics.recall, pairwiseF1: metrics.f1,
                                bCubedPrecision: metrics.bCubedPrecision, bCubedRecall: metrics.bCubedRecall,
                                pairsOnlyRealTimeLinked: metrics.falseMergePairs, pairsOnlyBatchLinked: metrics.missedPairs, reviewItems: review,
                                seed: seed, seconds: seconds)
            if json { try printJSON(report); return }
            print("""
                \(report.records) records registered one by one (seed \(seed)) in \(String(format: "%.1f", seconds)) s
                persons: batch \(report.batchPersons), real time \(report.realTimePersons)
                pairwise agreement: precision \(String(format: "%.4f", report.pairwisePrecision)), recall \(String(format: "%.4f", report.pairwiseRecall)), F1 \(String(format: "%.4f", report.pairwiseF1))
                B-cubed agreement:  precision \(String(format: "%.4f", report.bCubedPrecision)), recall \(String(format: "%.4f", report.bCubedRecall))
                pairs linked only in real time: \(report.pairsOnlyRealTimeLinked); only in batch: \(report.pairsOnlyBatchLinked); review items raised: \(review)
                """)
        }
    }
}
