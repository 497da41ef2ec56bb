import ArgumentParser
import Foundation
import MPIStore

extension MPI {
    struct Outbox: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "The outbox of identity changes: what each subscriber has been sent, and the notifications it refused.",
            discussion: """
            Every change to a person (created, merged, split, updated, or a steward's link or unlink) is \
            written to the outbox in the change's own transaction; `mpi serve` sends it to each \
            subscriber of the clients file over MLLP. A notification a subscriber answers with AE or AR is \
            parked with its reason; `mpi outbox retry` asks the service to send it again. See \
            docs/protocol.md, "Notifications".
            """,
            subcommands: [List.self, Retry.self, Prune.self],
            defaultSubcommand: List.self)

        struct List: AsyncParsableCommand {
            static let configuration = CommandConfiguration(abstract: "Each subscriber's place and its parked notifications.")

            @Option(help: "Only this subscriber.") var subscriber: String?
            @OptionGroup var store: StoreOptions
            @Flag(help: "Print JSON.") var json = false

            func run() async throws {
                let opened = try store.open()
                let progress = try opened.subscriberProgress().filter { subscriber == nil || $0.subscriber == subscriber }
                let parked = try opened.parkedNotifications(subscriber: subscriber)
                if json {
                    struct Listing: Encodable { let latestSequence: Int64; let subscribers: [SubscriberProgress]; let parked: [ParkedNotification] }
                    try printJSON(Listing(latestSequence: try opened.latestChangeSequence(), subscribers: progress, parked: parked))
                    return
                }
                print("outbox: \(try opened.latestChangeSequence()) entries written")
                var places = TextTable(columns: ["subscriber", "sent through", "waiting", "parked"])
                for entry in progress { places.add([entry.subscriber, String(entry.deliveredThrough), String(entry.waiting), String(entry.parked)]) }
                print(places.render())
                guard !parked.isEmpty else { return }
                print("\nparked (refused by the subscriber):")
                var table = TextTable(columns: ["subscriber", "sequence", "control id", "when", "retry asked", "reason"])
                for entry in parked {
                    table.add([entry.subscriber, String(entry.sequence), entry.controlId, entry.at, entry.retryRequested ? "yes" : "no", entry.reason])
                }
                print(table.render())
            }
        }

        struct Prune: AsyncParsableCommand {
            static let configuration = CommandConfiguration(
                abstract: "Delete the entries every subscriber has been sent (parked ones stay). A first link run writes one per person.")

            @Option(help: "Who asks (recorded in the audit trail).") var actor = ProcessInfo.processInfo.environment["USER"] ?? "operator"
            @OptionGroup var store: StoreOptions

            func run() async throws {
                let opened = try store.open()
                let pruned = try opened.pruneOutbox(actor: actor)
                print("\(pruned) outbox entries deleted; \(try opened.outboxSize()) kept")
            }
        }

        struct Retry: AsyncParsableCommand {
            static let configuration = CommandConfiguration(
                abstract: "Ask the service to send parked notifications again: one, or all of a subscriber's.")

            @Option(help: "The subscriber.") var subscriber: String
            @Option(help: "Only the notification with this sequence number.") var sequence: Int64?
            @Flag(help: "Every parked notification of the subscriber.") var all = false
            @Option(help: "Who asks (recorded in the audit trail).") var actor = ProcessInfo.processInfo.environment["USER"] ?? "operator"
            @OptionGroup var store: StoreOptions

            func validate() throws {
                guard (sequence != nil) != all else { throw ValidationError("give --sequence N or --all") }
            }

            func run() async throws {
                let marked = try store.open().retryParked(subscriber: subscriber, sequence: sequence, actor: actor)
                guard marked > 0 else { throw CLIError("no parked notification of \(subscriber)" + (sequence.map { " with sequence \($0)" } ?? "")) }
                print("\(marked) notification\(marked == 1 ? "" : "s") of \(subscriber) will be sent again by the running service")
            }
        }
    }
}
