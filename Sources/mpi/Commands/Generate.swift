import ArgumentParser
import Foundation
import MPILinkage
import MPICore
import MPISynthetic

extension MPI {
    struct Generate: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Write a synthetic four-trust population with its truth and a ready job file.",
            discussion: """
            Writes r1k.csv, ras.tsv, ryj.csv and rqm.csv (each in its trust's own layout), truth.csv \
            (source,record_id,true_id) and job.json to DIR. No real patient data: names from synthetic \
            lists, NHS numbers from the 999 test range. Deterministic for a seed and --as-of date.
            """
        )

        @Option(help: "Number of persons.")
        var persons: Int = 20_000

        @Option(help: "Random seed.")
        var seed: UInt64 = 1

        @Option(help: "standard (the population the core was built on) or realistic (dense postcodes, newborns never renamed, unidentified patients, NULL literals, two phones in a field; docs/synthetic-data.md).")
        var profile: String = "standard"

        @Option(name: .long, help: "Folder to write to; created if missing.")
        var out: String

        @Option(name: .customLong("as-of"), help: ArgumentHelp(
            "The date the population is as of (ages, dates of birth), YYYY-MM-DD.",
            discussion: "Fixed by default (\(Self.defaultAsOf)) so that a seed gives the same population on any day."))
        var asOf: String?

        func validate() throws {
            guard persons > 0 else { throw ValidationError("--persons must be positive") }
            if let asOf { _ = try Self.parseAsOf(asOf) }
            guard PopulationProfile(rawValue: profile) != nil else {
                throw ValidationError("--profile must be one of " + PopulationProfile.allCases.map(\.rawValue).joined(separator: ", "))
            }
        }

        func run() async throws {
            let population = try Self.write(persons: persons, seed: seed, asOf: try asOf.map(Self.parseAsOf) ?? Self.defaultAsOf,
                                            profile: PopulationProfile(rawValue: profile)!, to: out)
            let counts = population.recordsPerTrust.sorted { $0.key < $1.key }.map { "\($0.key) \($0.value)" }.joined(separator: ", ")
            print("\(population.persons) persons, records: \(counts); wrote \(out)/job.json and truth.csv")
        }

        /// The date a population is generated as of unless told otherwise. Not today: the population, and
        /// every figure measured on it (the demo's, the benchmarks'), would change at midnight.
        static let defaultAsOf = PopulationSettings.defaultAsOf

        static func parseAsOf(_ text: String) throws -> CalendarDate {
            let parts = text.split(separator: "-", omittingEmptySubsequences: false).map { Int($0) }
            guard parts.count == 3, let year = parts[0], let month = parts[1], let day = parts[2],
                  let date = CalendarDate(year: year, month: month, day: day) else {
                throw ValidationError("--as-of must be a date as YYYY-MM-DD, not \(text)")
            }
            return date
        }

        static func write(persons: Int, seed: UInt64, asOf: CalendarDate = defaultAsOf, profile: PopulationProfile = .standard,
                          to directory: String) throws -> GeneratedPopulation {
            var generator = PopulationGenerator(settings: PopulationSettings(persons: persons, seed: seed, today: asOf, profile: profile))
            let population = generator.generate()
            try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
            for file in population.files {
                try Data(file.bytes).write(to: URL(fileURLWithPath: directory).appendingPathComponent(file.name))
            }
            return population
        }
    }
}
