import ArgumentParser
import Foundation
import MPILinkage
import MPICore
import MPINormalize

extension MPI {
    struct Normalise: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Show what the index makes of an extract: one JSON line per record.",
            discussion: """
            Reads a CSV or TSV extract with the column mapping in MAPPING (see docs/linkage-job.md) and \
            writes one JSON object per record with its normalised fields and every rejected value \
            (field, raw value, reason). Bad rows are reported and skipped; they never stop the run. \
            A summary of rejections per field goes to standard error.
            """,
            aliases: ["normalize"]
        )

        @Argument(help: "The source's mapping file (JSON).")
        var mapping: String

        @Option(help: "The extract to read. Default: the \"path\" in the mapping, relative to the mapping file.")
        var input: String?

        @Option(name: .shortAndLong, help: "Write the JSON lines here instead of to standard output.")
        var output: String?

        func run() async throws {
            let job = try ExtractNormalization.load(mappingFile: mapping, input: input)
            let variants = try ReferenceData.forenameVariants()
            var sink = try OutputSink(path: output)
            let encoder = JSONEncoder()
            encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
            let summary = try await job.run(today: .today) { result in
                switch result {
                case .success(let row):
                    sink.write(try encoder.encode(RecordReport(row, variants: variants)))
                case .failure(let problem):
                    let report = ["source": job.mapping.code, "line": String(problem.line), "rowRejected": problem.code,
                                  "reason": problem.message]
                    sink.write(try encoder.encode(report))
                }
            }
            try sink.close()
            StandardError.write(summary.text(source: job.mapping.code))
        }
    }
}

extension ExtractNormalization.Summary {
    /// Counts only: no value from the extract appears here, so it is safe for any log.
    func text(source: String) -> String {
        var lines = ["\(source): \(rows) rows, \(records) records normalised, \(rowProblems.count) rows rejected"]
        for problem in rowProblems {
            lines.append("  line \(problem.line): row rejected (\(problem.code)): \(problem.message)")
        }
        for field in rejections.keys.sorted() {
            let codes = rejections[field]!.sorted { $0.key < $1.key }.map { "\($0.key) \($0.value)" }.joined(separator: ", ")
            lines.append("  \(field): \(rejections[field]!.values.reduce(0, +)) rejected (\(codes))")
        }
        if !placeholders.isEmpty {
            let kinds = placeholders.sorted { $0.key.rawValue < $1.key.rawValue }.map { "\($0.key.rawValue) \($0.value)" }
            lines.append("  placeholder names: \(placeholders.values.reduce(0, +)) (\(kinds.joined(separator: ", ")))")
        }
        lines.append("  known default dates of birth: \(defaultDates); test-range NHS numbers: \(testNHSNumbers); pseudo-postcodes: \(pseudoPostcodes)")
        return lines.joined(separator: "\n") + "\n"
    }
}
