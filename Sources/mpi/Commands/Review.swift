import ArgumentParser
import Foundation
import MPILinkage
import MPICore
import MPINormalize
import MPIStore

extension MPI {
    struct Review: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "The review queue: list it, show a pair side by side, decide it.",
            discussion: """
            A link run with --db fills the queue. Decisions are kept in the store and honoured by every \
            later run, re-training included: an unlinked pair is never merged again automatically, a linked \
            pair never split.
            """,
            subcommands: [List.self, Show.self, Decide.self]
        )
    }
}

extension MPI.Review {
    struct List: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "List the review queue, highest stakes first.")

        @OptionGroup var store: StoreOptions

        @Option(help: "At most this many items.")
        var limit = 50

        @Flag(help: "Print JSON.")
        var json = false

        func run() async throws {
            let items = try store.open().reviewQueue(limit: limit)
            if json {
                try printJSON(items)
                return
            }
            var table = TextTable(columns: ["item", "left", "right", "weight", "probability", "reason"])
            for item in items {
                table.add([String(item.id), item.left.description, item.right.description, String(format: "%.2f", item.matchWeight),
                           String(format: "%.4f", item.probability), item.reason])
            }
            print(table.render())
            if items.isEmpty { print("The review queue is empty.") }
        }
    }

    struct Show: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Show a review item: both records side by side and why they scored as they did.")

        @Argument(help: "The item number from `mpi review list`.")
        var item: Int64

        @OptionGroup var store: StoreOptions

        func run() async throws {
            let identityStore = try store.open()
            guard let entry = try identityStore.reviewItem(item) else { throw CLIError("no review item \(item)") }
            let records = try identityStore.normalizedRecords([entry.left, entry.right])
            guard let left = records[entry.left], let right = records[entry.right] else {
                throw CLIError("the records of item \(item) are no longer in the store")
            }
            print("item \(entry.id): \(entry.reason), match weight \(String(format: "%.2f", entry.matchWeight)), "
                  + "probability \(String(format: "%.4f", entry.probability))\n")
            var table = TextTable(columns: ["field", entry.left.description, entry.right.description])
            for (field, value) in [("given", { (r: NormalizedRecord) in r.name.given }), ("middle", { $0.name.middle.joined(separator: " ") }),
                                   ("family", { $0.name.family }), ("date of birth", { $0.dateOfBirth?.date.description ?? "" }),
                                   ("sex", { $0.sex?.rawValue ?? "" }), ("NHS number", { $0.nhsNumber?.description ?? "" }),
                                   ("postcode", { $0.postcode?.unit ?? "" }), ("address", { $0.address?.lines.joined(separator: ", ") ?? "" }),
                                   ("phone", { $0.phone?.number ?? "" })] {
                let a = value(left), b = value(right)
                table.add([field + (a.isEmpty || b.isEmpty ? "" : a == b ? "  =" : "  ≠"), a, b])
            }
            print(table.render())
            if let model = try identityStore.linkageModel() {
                let builder = try ReferenceData.matchRecordBuilder()
                let explanation = Scorer(model: model).explain(builder.build(left), builder.build(right))
                print("\nwhy (the latest model, without term-frequency adjustment):")
                var steps = TextTable(columns: ["comparison", "level", "weight", "running total"])
                var total = explanation.priorWeight
                steps.add(["prior", "", String(format: "%+.2f", explanation.priorWeight), String(format: "%.2f", total)])
                for step in explanation.steps {
                    total += step.weight
                    steps.add([step.comparison, step.label, String(format: "%+.2f", step.weight), String(format: "%.2f", total)])
                }
                print(steps.render())
            }
        }
    }

    struct Decide: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Decide a review item: link, unlink or not sure, with a reason.")

        enum Choice: String, ExpressibleByArgument, CaseIterable { case link, unlink, notSure = "not-sure" }

        @Argument(help: "The item number from `mpi review list`.")
        var item: Int64

        @Argument(help: "link, unlink or not-sure.")
        var decision: Choice

        @Option(help: "Why: kept with the decision.")
        var reason: String

        @Option(help: "The steward deciding. Default: the login name.")
        var steward: String = ProcessInfo.processInfo.environment["USER"] ?? "unknown"

        @OptionGroup var store: StoreOptions

        func validate() throws {
            guard !reason.trimmingCharacters(in: .whitespaces).isEmpty else { throw ValidationError("--reason must say why") }
        }

        func run() async throws {
            let identityStore = try store.open()
            guard let entry = try identityStore.reviewItem(item) else { throw CLIError("no review item \(item)") }
            let kind: DecisionKind = switch decision {
            case .link: .link
            case .unlink: .unlink
            case .notSure: .notSure
            }
            try identityStore.decide(entry.left, entry.right, kind, reason: reason, steward: steward)
            print("\(decision.rawValue): \(entry.left) and \(entry.right). The next `mpi link --db` run applies it.")
        }
    }
}
