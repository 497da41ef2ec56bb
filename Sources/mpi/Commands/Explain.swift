import ArgumentParser
import Foundation
import MPILinkage
import MPICore
import MPINormalize
import MPIReport
import MPIStore

extension MPI {
    struct Explain: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Show why two records scored as they did: the waterfall of the prior and each comparison.",
            discussion: """
            Name the records (SOURCE:ID SOURCE:ID) or a row of a link run's pairs.csv or review.csv \
            (--pairs FILE --row N, counting data rows from 1). The store's latest model scores them with \
            term frequencies from the store's active records, exactly as `mpi link --db` would. Prints \
            an aligned table; --html also writes the waterfall as a self-contained HTML page with an SVG chart.
            """
        )

        @Argument(help: "Two records as SOURCE:ID.") var records: [String] = []
        @Option(help: "A pairs.csv or review.csv of a link run.") var pairs: String?
        @Option(help: "With --pairs: the data row to explain (1 is the first pair).") var row: Int?
        @Option(help: "Also write the waterfall as an HTML page (SVG, no network) to this file.") var html: String?
        @Flag(help: "Print JSON.") var json = false
        @OptionGroup var store: StoreOptions

        func validate() throws {
            if pairs == nil, records.count != 2 { throw ValidationError("name two records as SOURCE:ID, or give --pairs FILE --row N") }
            if pairs != nil, row == nil { throw ValidationError("--pairs needs --row N") }
        }

        static func key(_ text: String) throws -> RecordKey {
            guard let colon = text.firstIndex(of: ":"), colon != text.startIndex, text.index(after: colon) != text.endIndex else {
                throw ValidationError("\(text) is not SOURCE:ID")
            }
            return RecordKey(source: String(text[..<colon]), recordId: String(text[text.index(after: colon)...]))
        }

        func run() async throws {
            var (left, right): (RecordKey, RecordKey)
            if let pairs, let row {
                let table = try CSVFile.read(pairs)
                guard row >= 1, row <= table.rows.count else { throw CLIError("\(pairs) has \(table.rows.count) data rows; --row \(row) is not one") }
                func column(_ name: String) throws -> String {
                    guard let index = table.header.firstIndex(of: name) else { throw CLIError("\(pairs) has no \(name) column") }
                    return table.rows[row - 1][index]
                }
                left = RecordKey(source: try column("source_l"), recordId: try column("record_id_l"))
                right = RecordKey(source: try column("source_r"), recordId: try column("record_id_r"))
            } else {
                (left, right) = (try Self.key(records[0]), try Self.key(records[1]))
            }
            let identityStore = try store.open()
            guard let model = try identityStore.linkageModel() else {
                throw CLIError("the store has no model yet: run `mpi link JOB --db \(store.shown)` first")
            }
            let found = try identityStore.normalizedRecords([left, right])
            guard let a = found[left] else { throw CLIError("the store has no record \(left)") }
            guard let b = found[right] else { throw CLIError("the store has no record \(right)") }
            let builder = try ReferenceData.matchRecordBuilder()
            let all = try identityStore.activeRecords().map { builder.build($0) }
            let scorer = Scorer(model: model, termFrequencies: Scorer.termFrequencies(for: model, records: all))
            let (x, y) = (builder.build(a), builder.build(b))
            let explanation = scorer.explain(x, y)
            try identityStore.recordSearch(candidates: 1, top: nil, actor: store.actor)   // an explanation shows demographics: audited

            if json {
                struct Output: Encodable { let left: RecordKey; let right: RecordKey; let explanation: Explanation }
                try printJSON(Output(left: left, right: right, explanation: explanation))
            } else {
                print("\(left)  vs  \(right)\n")
                var table = TextTable(columns: ["comparison", "level", left.description, right.description, "weight", "tf", "total"])
                var running = explanation.priorWeight
                table.add(["prior (λ)", "", "", "", String(format: "%+.2f", explanation.priorWeight), "", String(format: "%+.2f", running)])
                for (index, step) in explanation.steps.enumerated() {
                    running += step.weight + step.termFrequencyAdjustment
                    let kind = scorer.kinds[index]
                    table.add([step.comparison, step.label, ComparedValues.text(kind, x), ComparedValues.text(kind, y),
                               String(format: "%+.2f", step.weight),
                               step.termFrequencyAdjustment == 0 ? "" : String(format: "%+.2f", step.termFrequencyAdjustment),
                               String(format: "%+.2f", running)])
                }
                print(table.render())
                print(String(format: "\nmatch weight %.2f  probability %.6f", explanation.matchWeight, explanation.probability))
            }
            if let html {
                var page = HTMLPage(title: "\(left) and \(right)")
                let rows = explanation.steps.enumerated().map { index, step in
                    [step.comparison, step.label, ComparedValues.text(scorer.kinds[index], x), ComparedValues.text(scorer.kinds[index], y),
                     String(format: "%+.2f", step.weight + step.termFrequencyAdjustment)]
                }
                page.section("Waterfall", Charts.waterfall(explanation),
                             note: "Each bar adds its comparison's weight (log2 Bayes factor) to the running total, starting from the prior.")
                page.section("Values compared", HTMLPage.table(header: ["comparison", "level", left.description, right.description, "weight"], rows: rows))
                do {
                    try page.render(subtitle: String(format: "match weight %.2f, probability %.6f", explanation.matchWeight, explanation.probability))
                        .write(toFile: html, atomically: true, encoding: .utf8)
                } catch { throw CLIError("cannot write \(html): \(error.localizedDescription)") }
                StandardError.write("wrote \(html)\n")
            }
        }
    }
}
