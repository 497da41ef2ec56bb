import Foundation
public import MPICore
public import MPINormalize
public import MPIStore

/// A trained model as a JSON file (`mpi train --out`, `mpi link --model`, model.json).
public enum ModelFile {
    public static func read(_ path: String) throws -> LinkageModel {
        guard let data = FileManager.default.contents(atPath: path) else { throw LinkageError("cannot read the model \(path)") }
        do {
            return try JSONDecoder().decode(LinkageModel.self, from: data)
        } catch let error as DecodingError {
            throw LinkageError("\(path): \(error.keyPathDescription)")
        }
    }

    public static func write(_ model: LinkageModel, to path: String) throws {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
        try encoder.encode(model).write(to: URL(fileURLWithPath: path))
    }
}

/// The files `mpi link` writes (docs/linkage-job.md).
public struct LinkOutputs {
    public let directory: String
    public let job: LinkageJob
    /// When linking a store: clusters.csv lists every active record with its enterprise id, read from
    /// the store after the run (an incremental run loads only part of it). Else persons are numbered
    /// P0000001 ... for the run.
    public var store: (any IdentityBackend)? = nil

    public init(directory: String, job: LinkageJob, store: (any IdentityBackend)? = nil) {
        self.directory = directory
        self.job = job
        self.store = store
    }

    private func path(_ name: String) -> String { (directory as NSString).appendingPathComponent(name) }

    public static func personId(_ number: Int32) -> String { String(format: "P%07d", number + 1) }

    public func write(_ outcome: LinkOutcome) throws {
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        let records = outcome.loaded.records

        if store != nil {
            try writeClusters()
        } else {
            var clusters = try CSVWriter(path: path("clusters.csv"), header: ["source", "record_id", "person_id"])
            for (index, record) in records.enumerated() {
                clusters.write([record.key.source, record.key.recordId, Self.personId(outcome.clusters.personOf[index])])
            }
            try clusters.close()
        }

        let kinds = outcome.model.comparisons.map(\.kind)
        var pairs = try CSVWriter(path: path("pairs.csv"), header: ["source_l", "record_id_l", "source_r", "record_id_r", "match_weight",
                                                                    "match_probability"] + kinds.map { "level_\($0.name)" })
        var levels = [UInt8](repeating: 0, count: kinds.count)
        for pair in outcome.scored where pair.probability >= job.output.pairsFloor {
            let a = records[Int(pair.i)], b = records[Int(pair.j)]
            outcome.scorer.levels(a, b, into: &levels)
            pairs.write([a.key.source, a.key.recordId, b.key.source, b.key.recordId, format(pair.weight), format(pair.probability)]
                        + levels.enumerated().map { index, level in
                            level == 0 ? "null" : outcome.model.comparisons[index].levels[Int(level) - 1].label
                        })
        }
        try pairs.close()

        var review = try CSVWriter(path: path("review.csv"), header: ["source_l", "record_id_l", "source_r", "record_id_r", "match_weight",
                                                                      "match_probability", "reason", "conflict_with"])
        for item in outcome.clusters.review {
            let a = records[Int(item.pair.i)], b = records[Int(item.pair.j)]
            let conflict = item.conflictingPair.map { "\(records[Int($0.i)].key) ~ \(records[Int($0.j)].key) (p=\(format($0.probability)))" } ?? ""
            review.write([a.key.source, a.key.recordId, b.key.source, b.key.recordId, format(item.pair.weight), format(item.pair.probability),
                          item.reason.rawValue, conflict])
        }
        try review.close()

        var rejects = try CSVWriter(path: path("rejects.csv"), header: ["source", "line", "record_id", "field", "code", "reason"])
        for reject in outcome.loaded.rejects {
            rejects.write([reject.feed, String(reject.line), reject.recordId, reject.field, reject.code, reject.reason])
        }
        try rejects.close()

        try ModelFile.write(outcome.model, to: path("model.json"))
    }

    /// clusters.csv from the store's memberships.
    public func writeClusters() throws {
        guard let store else { return }
        var clusters = try CSVWriter(path: path("clusters.csv"), header: ["source", "record_id", "person_id"])
        try store.forEachMembership { key, id in clusters.write([key.source, key.recordId, id.description]) }
        try clusters.close()
    }

    public func writeSummary(_ outcome: LinkOutcome, timings: [(stage: String, seconds: Double)]) throws {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
        try encoder.encode(RunSummary(outcome, thresholds: job.thresholds, timings: timings)).write(to: URL(fileURLWithPath: path("summary.json")))
    }

    private func format(_ value: Double) -> String { String(format: "%.6g", value) }
}

/// summary.json: what a run did, in counts (docs/linkage-job.md). `mpi report` reads it back.
public struct RunSummary: Codable, Sendable {
    public struct Rule: Codable, Sendable {
        public let rule: String
        public let pairsAdded: Int
        public let skippedBlocks: Int
        public let recordsInSkippedBlocks: Int
    }
    public struct StageTime: Codable, Sendable {
        public let stage: String
        public let seconds: Double
    }

    public let records: Int
    public let rowsPerSource: [String: Int]
    public let rejectedValues: Int
    public let candidatePairs: Int
    public let pairsPerBlockingRule: [Rule]
    public let persons: Int
    public let autoLinks: Int
    public let reviewItems: Int
    public let reviewItemsPerThousandRecords: Double
    public let reviewReasons: [String: Int]
    /// How many persons have each number of records ("1": 480, "2": 210 ...).
    public let clusterSizes: [String: Int]
    public let lambda: Double
    public let thresholds: LinkThresholds
    public let secondsPerStage: [StageTime]

    public init(_ outcome: LinkOutcome, thresholds: LinkThresholds, timings: [(stage: String, seconds: Double)]) {
        var sizes: [String: Int] = [:]
        var members = [Int](repeating: 0, count: outcome.clusters.personCount)
        for person in outcome.clusters.personOf { members[Int(person)] += 1 }
        for size in members { sizes[String(size), default: 0] += 1 }
        var reasons: [String: Int] = [:]
        for item in outcome.clusters.review { reasons[item.reason.rawValue, default: 0] += 1 }
        records = outcome.loaded.records.count
        rowsPerSource = outcome.loaded.rowsPerSource
        rejectedValues = outcome.loaded.rejects.count
        candidatePairs = outcome.candidates.pairs.count
        pairsPerBlockingRule = outcome.candidates.reports.map {
            Rule(rule: $0.rule, pairsAdded: $0.pairsAdded, skippedBlocks: $0.skippedBlocks, recordsInSkippedBlocks: $0.recordsInSkippedBlocks)
        }
        persons = outcome.clusters.personCount
        autoLinks = outcome.clusters.autoLinks
        reviewItems = outcome.clusters.review.count
        reviewItemsPerThousandRecords = ReviewBurden.perThousand(reviewItems, records: records)
        reviewReasons = reasons
        clusterSizes = sizes
        lambda = outcome.model.lambda
        self.thresholds = thresholds
        secondsPerStage = timings.map { StageTime(stage: $0.stage, seconds: ($0.seconds * 1000).rounded() / 1000) }
    }
}
