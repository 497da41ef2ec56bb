import ArgumentParser
import Foundation
import MPICore

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

        /// For a file of pairs (pairs.csv, review.csv): whether a row's two records are one person by the
        /// truth, or nil when either is not in it.
        private func truthOfPair(_ file: (header: [String], rows: [[String]]), path: String, _ trueIdOf: [RecordKey: String]) throws -> ([String]) -> Bool? {
            let h = file.header
            let sl = try CSVFile.column("source_l", in: h, file: path), rl = try CSVFile.column("record_id_l", in: h, file: path)
            let sr = try CSVFile.column("source_r", in: h, file: path), rr = try CSVFile.column("record_id_r", in: h, file: path)
            return { row in
                guard let a = trueIdOf[RecordKey(source: row[sl], recordId: row[rl])],
                      let b = trueIdOf[RecordKey(source: row[sr], recordId: row[rr])] else { return nil }
                return a == b
            }
        }

        /// How many candidate pairs the run that wrote `pairs` scored, from the summary.json beside it.
        private static func candidatePairs(besides pairs: String) -> Int? {
            let summary = ((pairs as NSString).deletingLastPathComponent as NSString).appendingPathComponent("summary.json")
            guard let data = FileManager.default.contents(atPath: summary),
                  let object = try? JSONSerialization.jsonObject(with: data) as? [String: Any] else { return nil }
            return object["candidatePairs"] as? Int
        }

        /// What `mpi evaluate` measures, before it is printed.
        struct Report {
            var metrics: Evaluation.Metrics
            var burden: ReviewBurden?
            var pairsRecall: PairsFileRecall?
            var best: Evaluation.CurvePoint?
            var curve: [Evaluation.CurvePoint]
        }

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

        func measure() throws -> Report {
            let truthFile = try CSVFile.read(truth)
            let ts = try CSVFile.column("source", in: truthFile.header, file: truth)
            let tr = try CSVFile.column("record_id", in: truthFile.header, file: truth)
            let tt = try CSVFile.column("true_id", in: truthFile.header, file: truth)
            var trueIdOf: [RecordKey: String] = [:]
            for row in truthFile.rows { trueIdOf[RecordKey(source: row[ts], recordId: row[tr])] = row[tt] }

            let clusterFile = try CSVFile.read(clusters)
            let cs = try CSVFile.column("source", in: clusterFile.header, file: clusters)
            let cr = try CSVFile.column("record_id", in: clusterFile.header, file: clusters)
            let cp = try CSVFile.column("person_id", in: clusterFile.header, file: clusters)
            var truthLabels: [Int] = [], predictedLabels: [Int] = []
            var trueIds: [String: Int] = [:], personIds: [String: Int] = [:]
            var missing = 0
            for row in clusterFile.rows {
                guard let trueId = trueIdOf[RecordKey(source: row[cs], recordId: row[cr])] else { missing += 1; continue }
                truthLabels.append(trueIds[trueId] ?? { let n = trueIds.count; trueIds[trueId] = n; return n }())
                predictedLabels.append(personIds[row[cp]] ?? { let n = personIds.count; personIds[row[cp]] = n; return n }())
            }
            if missing > 0 { StandardError.write("\(missing) clustered records are not in the truth file and were left out\n") }
            let metrics = Evaluation.evaluate(truth: truthLabels, predicted: predictedLabels)

            var best: Evaluation.CurvePoint?
            var curve: [Evaluation.CurvePoint] = []
            var pairsRecall: PairsFileRecall?
            if let pairs {
                let pairFile = try CSVFile.read(pairs)
                let sameTruth = try truthOfPair(pairFile, path: pairs, trueIdOf)
                let w = try CSVFile.column("match_weight", in: pairFile.header, file: pairs)
                let scores: [(weight: Double, isMatch: Bool)] = pairFile.rows.compactMap { row in
                    guard let weight = Double(row[w]), let isMatch = sameTruth(row) else { return nil }
                    return (weight, isMatch)
                }
                curve = Evaluation.curve(scores: scores, truePairs: metrics.truePairs)
                best = curve.max { $0.f1 < $1.f1 }
                pairsRecall = PairsFileRecall(truePairsHeld: scores.filter(\.isMatch).count, truePairs: metrics.truePairs,
                                              rows: pairFile.rows.count, candidatePairs: Self.candidatePairs(besides: pairs))
            }

            let reviewPath = review ?? {
                let sibling = ((clusters as NSString).deletingLastPathComponent as NSString).appendingPathComponent("review.csv")
                return FileManager.default.fileExists(atPath: sibling) ? sibling : nil
            }()
            var burden: ReviewBurden?
            if let reviewPath {
                let reviewFile = try CSVFile.read(reviewPath)
                let sameTruth = try truthOfPair(reviewFile, path: reviewPath, trueIdOf)
                let matches = reviewFile.rows.filter { sameTruth($0) == true }.count
                burden = ReviewBurden(items: reviewFile.rows.count, records: metrics.records, trueMatches: matches)
            }

            return Report(metrics: metrics, burden: burden, pairsRecall: pairsRecall, best: best, curve: curve)
        }
    }
}
