import ArgumentParser
import Foundation
import MPICore
import MPILinkage

extension MPI {
    struct Evaluate: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Measure a linkage against a known truth: pairwise and B-cubed precision and recall.",
            discussion: """
            TRUTH is source,record_id,true_id. With --pairs, also the precision-recall curve over the scored \
            pairs, the match weight with the best F1, and the share of true pairs that pairs.csv holds: the \
            blocking recall when pairs.csv holds every candidate pair (run the job with \
            "output": {"pairsFloor": 0}; summary.json beside it says how many there were).
            """
        )

        @Option(help: "The truth file: source,record_id,true_id.")
        var truth: String

        @Option(help: "clusters.csv from mpi link.")
        var clusters: String

        @Option(help: "pairs.csv from mpi link.")
        var pairs: String?

        @Option(help: "review.csv from mpi link (default: the review.csv beside --clusters, if there is one).")
        var review: String?

        @Flag(help: "Print JSON instead of a table.")
        var json = false

        func run() async throws {
            let report = try measure()
            let (metrics, burden, pairsRecall, best, curve) = (report.metrics, report.burden, report.pairsRecall, report.best, report.curve)
            if json {
                var object: [String: Any] = [
                    "records": metrics.records, "truePairs": metrics.truePairs, "predictedPairs": metrics.predictedPairs,
                    "truePositivePairs": metrics.truePositivePairs, "falseMergePairs": metrics.falseMergePairs,
                    "missedPairs": metrics.missedPairs, "precision": metrics.precision, "recall": metrics.recall, "f1": metrics.f1,
                    "bCubedPrecision": metrics.bCubedPrecision, "bCubedRecall": metrics.bCubedRecall,
                ]
                if let burden {
                    object["reviewItems"] = burden.items
                    object["reviewItemsPerThousandRecords"] = burden.perThousandRecords
                    object["reviewShareTrueMatches"] = burden.shareTrueMatches
                }
                if let pairsRecall {
                    object[pairsRecall.isBlockingRecall ? "blockingRecall" : "pairsFileRecall"] = pairsRecall.recall
                    object["truePairsInPairsFile"] = pairsRecall.truePairsHeld
                }
                if let best {
                    object["bestF1Threshold"] = ["matchWeight": best.threshold, "precision": best.precision, "recall": best.recall, "f1": best.f1]
                    object["curve"] = curve.map { ["matchWeight": $0.threshold, "precision": $0.precision, "recall": $0.recall] }
                }
                let data = try JSONSerialization.data(withJSONObject: object, options: [.prettyPrinted, .sortedKeys])
                print(String(decoding: data, as: UTF8.self))
                return
            }
            print("records               \(metrics.records)")
            print("true pairs            \(metrics.truePairs)")
            print("linked pairs          \(metrics.predictedPairs)")
            print("false-merge pairs     \(metrics.falseMergePairs)")
            print("missed pairs          \(metrics.missedPairs)")
            print(String(format: "pairwise precision    %.4f", metrics.precision))
            print(String(format: "pairwise recall       %.4f", metrics.recall))
            print(String(format: "pairwise F1           %.4f", metrics.f1))
            print(String(format: "B-cubed precision     %.4f", metrics.bCubedPrecision))
            print(String(format: "B-cubed recall        %.4f", metrics.bCubedRecall))
            if let burden { print(burden.line) }
            if let pairsRecall { print(pairsRecall.line) }
            if let best {
                print(String(format: "best F1 over pairs.csv: %.4f at match weight %.2f (precision %.4f, recall %.4f)",
                             best.f1, best.threshold, best.precision, best.recall))
            }
        }

        func measure() throws -> TruthEvaluation.Report {
            let report = try TruthEvaluation(truth: truth, clusters: clusters, pairs: pairs, review: review).measure()
            if report.recordsNotInTruth > 0 {
                StandardError.write("\(report.recordsNotInTruth) clustered records are not in the truth file and were left out\n")
            }
            return report
        }
    }
}
