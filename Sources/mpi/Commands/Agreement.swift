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
            // The replay works on a copy of the store, made with SQLite's VACUUM INTO.
            guard let store = try StoreOptions.openExisting(db) as? IdentityStore else {
                throw CLIError("mpi agreement replays a copy of a SQLite store; copy the PostgreSQL store to one first (mpi copy --from URL --to FILE)")
            }
            let report = try BatchAgreement(store: store, builder: try ReferenceData.matchRecordBuilder(), today: .today)
                .measure(seed: seed)
            if json { try printJSON(report); return }
            print("""
                \(report.records) records registered one by one (seed \(seed)) in \(String(format: "%.1f", report.seconds)) s
                persons: batch \(report.batchPersons), real time \(report.realTimePersons)
                pairwise agreement: precision \(String(format: "%.4f", report.pairwisePrecision)), recall \(String(format: "%.4f", report.pairwiseRecall)), F1 \(String(format: "%.4f", report.pairwiseF1))
                B-cubed agreement:  precision \(String(format: "%.4f", report.bCubedPrecision)), recall \(String(format: "%.4f", report.bCubedRecall))
                pairs linked only in real time: \(report.pairsOnlyRealTimeLinked); only in batch: \(report.pairsOnlyBatchLinked); review items raised: \(report.reviewItems)
                """)
        }
    }
}
