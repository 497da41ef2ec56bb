import ArgumentParser
import Foundation
import MPICore
import MPISynthetic

extension MPI {
    struct Generate: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Write a synthetic four-trust population with its truth and a ready job file.",
            discussion: """
            Writes r1k.csv, ras.tsv, ryj.csv and rqm.csv (each in its trust's own layout), truth.csv \
            (source,record_id,true_id) and job.json to DIR. No real patient data: names from synthetic \
            lists, NHS numbers from the 999 test range. Deterministic for a seed.
            """
        )

        @Option(help: "Number of persons.")
        var persons: Int = 20_000

        @Option(help: "Random seed.")
        var seed: UInt64 = 1

        @Option(name: .long, help: "Folder to write to; created if missing.")
        var out: String

        func validate() throws {
            guard persons > 0 else { throw ValidationError("--persons must be positive") }
        }

        func run() async throws {
            let population = try Self.write(persons: persons, seed: seed, to: out)
            let counts = population.recordsPerTrust.sorted { $0.key < $1.key }.map { "\($0.key) \($0.value)" }.joined(separator: ", ")
            print("\(population.persons) persons, records: \(counts); wrote \(out)/job.json and truth.csv")
        }

        static func write(persons: Int, seed: UInt64, to directory: String) throws -> GeneratedPopulation {
            var generator = PopulationGenerator(settings: PopulationSettings(persons: persons, seed: seed, today: .today))
            let population = generator.generate()
            try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
            for file in population.files {
                try Data(file.bytes).write(to: URL(fileURLWithPath: directory).appendingPathComponent(file.name))
            }
            return population
        }
    }
}
