import ArgumentParser
import Foundation
import MPICore
import MPILinkage
import MPINormalize
import MPIStore

extension MPI {
    struct Search: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Find the persons in the store who match some demographics, ranked, with why.",
            discussion: """
            The demographics are normalised, blocked and scored exactly as a batch link run would (the \
            store's latest model, the job's blocking rules). Grades: certain at or above the auto-link \
            threshold, probable in the review band, possible below it.
            """
        )

        @Option(help: "The job file whose blocking rules and thresholds to use.") var job: String
        @Option(help: "Forename(s).") var given: String?
        @Option(help: "Surname.") var family: String?
        @Option(help: "Date of birth, yyyy-MM-dd.") var dob: String?
        @Option(help: "Sex code.") var sex: String?
        @Option(help: "Postcode.") var postcode: String?
        @Option(help: "NHS number.") var nhs: String?
        @Option(help: "At most this many candidates.") var limit = 10
        @Flag(help: "Print JSON.") var json = false
        @OptionGroup var store: StoreOptions

        func validate() throws {
            guard [given, family, dob, postcode, nhs].contains(where: { $0 != nil }) else {
                throw ValidationError("give at least one of --given, --family, --dob, --postcode, --nhs")
            }
        }

        func run() async throws {
            let linkageJob = try JobFile.load(job)
            let identityStore = try store.open()
            // The query, normalised by the same rules as any source.
            let columns = ["ID", "GIVEN", "FAMILY", "DOB", "SEX", "POSTCODE", "NHS"]
            let mapping = SourceMapping(code: "QUERY", recordId: "ID",
                                        columns: .init(givenName: "GIVEN", familyName: "FAMILY", nhsNumber: "NHS", dateOfBirth: "DOB",
                                                       sex: "SEX", postcode: "POSTCODE"))
            let normalizer = try RecordNormalizer(mapping: mapping, header: columns, today: .today, transliterator: Transliterator())
            guard case .success(let row) = normalizer.normalize(fields: ["query", given ?? "", family ?? "", dob ?? "", sex ?? "",
                                                                          postcode ?? "", nhs ?? ""], line: 1) else {
                throw CLIError("the query could not be read")
            }
            for rejection in row.rejections { StandardError.write("ignored \(rejection.field): \(rejection.reason)\n") }
            let search = StoreSearch(store: identityStore, rules: linkageJob.blocking.rules, thresholds: linkageJob.thresholds,
                                     builder: try ReferenceData.matchRecordBuilder())
            let candidates = try search.candidates(for: row.record, limit: limit)
            try identityStore.recordSearch(candidates: candidates.count, top: candidates.first.flatMap { EnterpriseID($0.enterpriseId) }, actor: store.actor)

            if json {
                try printJSON(candidates)
                return
            }
            guard !candidates.isEmpty else { print("No candidates: no record shares a blocking value with the query."); return }
            var table = TextTable(columns: ["rank", "person", "record", "probability", "weight", "grade"])
            for candidate in candidates {
                table.add([String(candidate.rank), candidate.enterpriseId, candidate.record, String(format: "%.4f", candidate.probability),
                           String(format: "%.2f", candidate.matchWeight), candidate.grade.rawValue])
            }
            print(table.render())
            if let best = candidates.first {
                print("\nwhy \(best.record) ranks first:")
                var steps = TextTable(columns: ["comparison", "level", "weight", "term frequency"])
                steps.add(["prior", "", String(format: "%+.2f", best.explanation.priorWeight), ""])
                for step in best.explanation.steps where step.level > 0 {
                    steps.add([step.comparison, step.label, String(format: "%+.2f", step.weight),
                               step.termFrequencyAdjustment == 0 ? "" : String(format: "%+.2f", step.termFrequencyAdjustment)])
                }
                print(steps.render())
            }
        }
    }
}
