import ArgumentParser

@main
struct MPI: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "mpi",
        abstract: "A master patient index for the four North West London acute trusts.",
        discussion: """
        Normalises and links patient registrations from several sources into persons with one \
        enterprise identifier each. Start with `mpi demo`.
        """,
        version: "0.1.0",
        subcommands: [Demo.self, Normalise.self, Generate.self, Import.self, Link.self, Relink.self, Train.self, Evaluate.self, Resolve.self, Search.self, Person.self, History.self, Audit.self, Status.self, Migrate.self, Copy.self, Outbox.self, Review.self, Serve.self, LoadTest.self, Agreement.self, Explain.self, Report.self, PasswordHash.self]
    )

    static func main() async {
        LargeAllocations.returnToTheSystemWhenFreed()
        await main(nil)
    }
}
