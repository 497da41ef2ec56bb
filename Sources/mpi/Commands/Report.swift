import ArgumentParser
import Foundation
import MPICore
import MPILinkage
import MPIReport
import MPIStore

extension MPI {
    struct Report: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Write a self-contained HTML report of a link run: the model, scores, blocking, persons, data quality.",
            discussion: """
            Reads a link output folder (model.json, summary.json, pairs.csv, clusters.csv, review.csv, \
            rejects.csv). With --db, data quality per source also counts completeness from the store's \
            records; with --truth (source,record_id,true_id), the precision-recall curve with the \
            chosen thresholds on it. One HTML file: inline CSS and SVG drawn here, no script, no \
            network, printable. It holds no demographics: counts, weights and record keys only.
            """
        )

        @Argument(help: "The output folder of `mpi link`.") var folder: String
        @Option(help: "Where to write the report.") var out = "report.html"
        @Option(help: "The identity store the run linked, for completeness per field.") var db: String?
        @Option(help: "A truth file (source,record_id,true_id) for the precision-recall curve.") var truth: String?
        @Flag(help: "No progress lines on standard error.") var quiet = false

        private func path(_ name: String) -> String { (folder as NSString).appendingPathComponent(name) }

        func run() async throws {
            let progress = Progress(quiet: quiet)
            let model = try ModelFile.read(path("model.json"))
            guard let data = FileManager.default.contents(atPath: path("summary.json")),
                  let summary = try? JSONDecoder().decode(RunSummary.self, from: data) else {
                throw CLIError("cannot read \(path("summary.json")): is \(folder) the output folder of `mpi link`?")
            }
            progress.line("report: reading pairs")
            // pairs.csv.gz when the job wrote its pairs compressed.
            let pairsFile = FileManager.default.fileExists(atPath: path("pairs.csv")) || !FileManager.default.fileExists(atPath: path("pairs.csv.gz"))
                ? path("pairs.csv") : path("pairs.csv.gz")
            let pairs = try CSVFile.read(pairsFile)
            let weightColumn = try column("match_weight", in: pairs.header, of: "pairs.csv")
            let weights = pairs.rows.compactMap { Double($0[weightColumn]) }
            let autoLinkWeight = Scorer.weight(probability: summary.thresholds.autoLink)
            let reviewWeight = Scorer.weight(probability: summary.thresholds.review)

            var page = HTMLPage(title: "Linkage report")
            // Summary.
            var reviewRows = summary.reviewReasons.sorted { $0.value > $1.value }.map { [$0.key, String($0.value)] }
            if reviewRows.isEmpty { reviewRows = [["(none)", "0"]] }
            page.section("Summary", HTMLPage.table(header: ["", ""], rows: [
                ["records", String(summary.records)], ["persons", String(summary.persons)], ["candidate pairs", String(summary.candidatePairs)],
                ["automatic links", String(summary.autoLinks)], ["review items", String(summary.reviewItems)],
                ["λ (prior probability of a match)", String(format: "%.3g", summary.lambda)],
                ["auto-link threshold", String(format: "probability %.4g (match weight %.2f)", summary.thresholds.autoLink, autoLinkWeight)],
                ["review threshold", String(format: "probability %.4g (match weight %.2f)", summary.thresholds.review, reviewWeight)],
                ["largest person allowed", String(summary.thresholds.maximumClusterSize)],
            ] + summary.rowsPerSource.sorted { $0.key < $1.key }.map { ["records from \($0.key)", String($0.value)] })
                + HTMLPage.table(header: ["review reason", "items"], rows: reviewRows))

            // Model.
            var levels: [(label: String, m: Double, u: Double)] = []
            var levelWeights: [(label: String, value: Double)] = []
            for comparison in model.comparisons {
                for level in comparison.levels {
                    levels.append(("\(comparison.kind.name): \(level.label)", level.m, level.u))
                    levelWeights.append(("\(comparison.kind.name): \(level.label)", level.weight))
                }
            }
            page.section("m and u per comparison level", Charts.mAndU(levels, title: "m (same person) and u (different people), log scale"),
                         note: "m is the share of true matches at a level, u the share of non-matches; training estimated u from random pairs and m by EM.")
            page.section("Match weight per level", Charts.horizontalBars(levelWeights, title: "log2(m/u): evidence for (+) or against (-)", unit: " bits",
                                                                         colour: { $0 >= 0 ? Palette.positive : Palette.negative }))

            // Scores.
            page.section("Match weights of the scored pairs", Charts.histogram(
                weights, title: "Distribution of match weights (pairs written to pairs.csv)", xLabel: "match weight (bits)",
                markers: [("auto-link", autoLinkWeight), ("review", reviewWeight)]),
                note: "Pairs at or above the auto-link line are linked unless a safeguard objects; pairs between the lines go to review.")

            // Blocking.
            page.section("Pairs per blocking rule", Charts.horizontalBars(summary.pairsPerBlockingRule.map { ($0.rule, Double($0.pairsAdded)) },
                                                                          title: "Candidate pairs each rule added (a pair counts for the first rule that finds it)")
                + HTMLPage.table(header: ["rule", "pairs added", "blocks skipped (too large)", "records in skipped blocks"],
                                 rows: summary.pairsPerBlockingRule.map { [$0.rule, String($0.pairsAdded), String($0.skippedBlocks),
                                                                           String($0.recordsInSkippedBlocks)] }))

            // Persons.
            let sizes = summary.clusterSizes.compactMap { key, count in Int(key).map { ($0, count) } }.sorted { $0.0 < $1.0 }
            progress.line("report: reading persons")
            let clusters = try CSVFile.read(path("clusters.csv"))
            let personColumn = try column("person_id", in: clusters.header, of: "clusters.csv")
            let sourceColumn = try column("source", in: clusters.header, of: "clusters.csv")
            var members: [String: [String]] = [:]
            for row in clusters.rows { members[row[personColumn], default: []].append(row[sourceColumn]) }
            let largest = members.sorted { ($0.value.count, $1.key) > ($1.value.count, $0.key) }.prefix(10).map { person, sources in
                [person, String(sources.count), Dictionary(grouping: sources, by: { $0 }).map { "\($0.key) \($0.value.count)" }.sorted().joined(separator: ", ")]
            }
            page.section("Persons by number of records", Charts.columns(sizes.map { (String($0.0), $0.1) }, title: "Cluster sizes",
                                                                         xLabel: "records in the person")
                + HTMLPage.table(header: ["largest persons", "records", "by source"], rows: largest))

            // Data quality.
            page.section("Data quality by source", try qualitySection(summary: summary))

            // Truth.
            if let truth {
                progress.line("report: precision and recall against \(truth)")
                page.section("Precision and recall against the truth", try curveSection(truth: truth, pairs: pairs, autoLink: autoLinkWeight,
                                                                                         review: reviewWeight),
                             note: "Each point links every scored pair at or above a match weight; recall counts all true pairs, including those blocking never proposed.")
            }
            let generated = ISO8601DateFormatter().string(from: Date())
            do {
                try page.render(subtitle: "From \(folder), generated \(generated) by mpi report.").write(toFile: out, atomically: true, encoding: .utf8)
            } catch { throw CLIError("cannot write \(out): \(error.localizedDescription)") }
            progress.line("wrote \(out): summary, model, scores, blocking, persons, data quality\(truth == nil ? "" : ", precision and recall")")
        }

        private func column(_ name: String, in header: [String], of file: String) throws -> Int {
            guard let index = header.firstIndex(of: name) else { throw CLIError("\(file) has no \(name) column") }
            return index
        }

        private func qualitySection(summary: RunSummary) throws -> String {
            let rejects = (try? CSVFile.read(path("rejects.csv"))) ?? (header: [], rows: [])
            var bySource: [String: [String: Int]] = [:]
            if let source = rejects.header.firstIndex(of: "source"), let code = rejects.header.firstIndex(of: "code") {
                for row in rejects.rows { bySource[row[source], default: [:]][row[code], default: 0] += 1 }
            }
            var html = HTMLPage.table(header: ["source", "records", "rejected values and rows", "most common reasons"],
                                      rows: summary.rowsPerSource.keys.sorted().map { source in
                                          let codes = bySource[source] ?? [:]
                                          return [source, String(summary.rowsPerSource[source] ?? 0), String(codes.values.reduce(0, +)),
                                                  codes.sorted { $0.value > $1.value }.prefix(4).map { "\($0.key) \($0.value)" }.joined(separator: ", ")]
                                      })
            guard let db else { return html + "<p class=\"note\">Give --db for completeness per field.</p>" }
            let store = try StoreOptions.openExisting(db)
            let fields = ["forename", "surname", "date of birth", "sex", "NHS number", "postcode", "address", "phone", "placeholder name"]
            var counts: [String: [Int]] = [:]
            var totals: [String: Int] = [:]
            for record in try store.activeRecords() {
                let present = [!record.name.given.isEmpty, !record.name.family.isEmpty, record.dateOfBirth != nil, record.sex != nil,
                               record.nhsNumber != nil, record.postcode != nil, record.address != nil, record.phone != nil,
                               record.name.placeholder != nil]
                var row = counts[record.key.source] ?? Array(repeating: 0, count: fields.count)
                for (index, value) in present.enumerated() where value { row[index] += 1 }
                counts[record.key.source] = row
                totals[record.key.source, default: 0] += 1
            }
            html += HTMLPage.table(header: ["source"] + fields, rows: counts.keys.sorted().map { source in
                [source] + counts[source]!.map { String(format: "%.1f%%", 100 * Double($0) / Double(max(totals[source] ?? 1, 1))) }
            })
            let items = counts.keys.sorted().flatMap { source in
                fields.indices.prefix(8).map { ("\(source) \(fields[$0])", 100 * Double(counts[source]![$0]) / Double(max(totals[source] ?? 1, 1))) }
            }
            return html + Charts.horizontalBars(items, title: "Completeness per field and source (% of active records)", unit: "%")
        }

        private func curveSection(truth: String, pairs: (header: [String], rows: [[String]]), autoLink: Double, review: Double) throws -> String {
            let table = try CSVFile.read(truth)
            let source = try column("source", in: table.header, of: truth), record = try column("record_id", in: table.header, of: truth)
            let trueId = try column("true_id", in: table.header, of: truth)
            var person: [String: String] = [:]
            var sizes: [String: Int] = [:]
            for row in table.rows {
                person["\(row[source])\u{1F}\(row[record])"] = row[trueId]
                sizes[row[trueId], default: 0] += 1
            }
            let truePairs = sizes.values.reduce(0) { $0 + $1 * ($1 - 1) / 2 }
            let columns = try ["source_l", "record_id_l", "source_r", "record_id_r", "match_weight"].map { try column($0, in: pairs.header, of: "pairs.csv") }
            let scores: [(weight: Double, isMatch: Bool)] = pairs.rows.compactMap { row in
                guard let weight = Double(row[columns[4]]) else { return nil }
                let left = person["\(row[columns[0]])\u{1F}\(row[columns[1]])"], right = person["\(row[columns[2]])\u{1F}\(row[columns[3]])"]
                return (weight, left != nil && left == right)
            }
            let curve = Evaluation.curve(scores: scores, truePairs: truePairs)
            // Thin the curve for drawing: a point per 0.5 bit is plenty.
            var thinned: [Evaluation.CurvePoint] = []
            for point in curve where thinned.last.map({ abs($0.threshold - point.threshold) >= 0.5 }) ?? true { thinned.append(point) }
            if let last = curve.last { thinned.append(last) }
            let best = curve.max { $0.f1 < $1.f1 }
            return Charts.precisionRecall(thinned, markers: [("auto-link", autoLink), ("review", review)], title: "Pairwise precision and recall by threshold")
                + HTMLPage.table(header: ["", "match weight", "precision", "recall", "F1"], rows: [
                    ("auto-link threshold", autoLink), ("review threshold", review)].compactMap { label, threshold in
                        curve.last(where: { $0.threshold >= threshold }).map { [label, String(format: "%.2f", threshold), String(format: "%.4f", $0.precision),
                                                                               String(format: "%.4f", $0.recall), String(format: "%.4f", $0.f1)] }
                    } + (best.map { [["best F1 (for reference)", String(format: "%.2f", $0.threshold), String(format: "%.4f", $0.precision),
                                      String(format: "%.4f", $0.recall), String(format: "%.4f", $0.f1)]] } ?? []))
        }
    }
}
