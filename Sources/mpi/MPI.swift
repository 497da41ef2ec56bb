import ArgumentParser

@main
struct MPI: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "mpi", abstract: "Master patient index")
}
