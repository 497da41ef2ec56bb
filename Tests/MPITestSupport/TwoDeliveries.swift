public import Foundation
import MPICore
import MPISynthetic

/// A synthetic population delivered twice, as the trusts send extracts: `first` holds every source
/// but only the first half of R1K's rows; `full` holds everything. Linking `first`, then importing
/// `full`, leaves R1K's second half waiting for an incremental run.
public struct TwoDeliveries {
    public let full: URL
    public let first: URL

    public var fullJob: String { full.appendingPathComponent("job.json").path }
    public var firstJob: String { first.appendingPathComponent("job.json").path }

    /// Writes both deliveries under `directory`; `adjustJob` may change the job file (both get it).
    public init(persons: Int, seed: UInt64, in directory: URL, adjustJob: (inout [String: Any]) -> Void = { _ in }) throws {
        full = directory.appendingPathComponent("full")
        first = directory.appendingPathComponent("first")
        try SyntheticExtracts.write(persons: persons, seed: seed, to: full)
        let jobURL = full.appendingPathComponent("job.json")
        var job = try JSONSerialization.jsonObject(with: Data(contentsOf: jobURL)) as? [String: Any] ?? [:]
        adjustJob(&job)
        try JSONSerialization.data(withJSONObject: job).write(to: jobURL)
        try FileManager.default.createDirectory(at: first, withIntermediateDirectories: true)
        for name in ["job.json", "ras.tsv", "ryj.csv", "rqm.csv"] {
            try FileManager.default.copyItem(at: full.appendingPathComponent(name), to: first.appendingPathComponent(name))
        }
        let r1k = try String(contentsOf: full.appendingPathComponent("r1k.csv"), encoding: .utf8).split(separator: "\n")
        try (r1k.prefix(r1k.count / 2).joined(separator: "\n") + "\n")
            .write(to: first.appendingPathComponent("r1k.csv"), atomically: true, encoding: .utf8)
    }
}

/// The synthetic four-trust extracts `mpi generate` writes (standard profile, the generator's
/// default date), written by the library for tests that need files on disk.
public enum SyntheticExtracts {
    public static func write(persons: Int, seed: UInt64, to directory: URL) throws {
        var generator = PopulationGenerator(settings: PopulationSettings(persons: persons, seed: seed, today: PopulationSettings.defaultAsOf, profile: .standard))
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        for file in generator.generate().files { try Data(file.bytes).write(to: directory.appendingPathComponent(file.name)) }
    }
}
