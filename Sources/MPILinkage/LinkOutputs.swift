public import Foundation
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
public struct LinkOutputs: Sendable {
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

    public static func personId(_ number: Int32) -> String {
        var text = CSVText()
        text.field(Int(number) + 1, width: 7, prefix: "P")
        return String(decoding: text.bytes, as: UTF8.self)
    }

    /// Writes clusters.csv, pairs.csv, review.csv, rejects.csv and model.json; pairs.csv not when it was
    /// written already, while the run clustered (`writePairs`). clusters.csv is written on one task while
    /// pairs.csv (when still to write) and the small files are written on others.
    public func write(_ outcome: LinkOutcome, pairsWritten: Bool = false,
                      workers: Int = ProcessInfo.processInfo.activeProcessorCount) async throws {
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        async let clustersWritten: Void = writeClusters(of: outcome)
        if !pairsWritten { try await writePairs(outcome.scoredCandidates, workers: workers) }
        try writeReview(of: outcome)
        try writeRejects(of: outcome)
        try ModelFile.write(outcome.model, to: path("model.json"))
        try await clustersWritten
    }

    /// clusters.csv: the store's persons when linking a store, else the run's, numbered P0000001 ...
    private func writeClusters(of outcome: LinkOutcome) async throws {
        if store != nil { return try writeClusters() }
        let records = outcome.loaded.records
        var clusters = try CSVWriter(path: path("clusters.csv"), header: ["source", "record_id", "person_id"])
        for (index, record) in records.enumerated() {
            clusters.writeRow { row in
                row.field(record.key.source)
                row.field(record.key.recordId)
                row.field(Int(outcome.clusters.personOf[index]) + 1, width: 7, prefix: "P")
            }
        }
        try clusters.close()
    }

    private func writeReview(of outcome: LinkOutcome) throws {
        let records = outcome.loaded.records
        var review = try CSVWriter(path: path("review.csv"), header: ["source_l", "record_id_l", "source_r", "record_id_r", "match_weight",
                                                                      "match_probability", "reason", "conflict_with"])
        for item in outcome.clusters.review {
            let a = records[Int(item.pair.i)], b = records[Int(item.pair.j)]
            let conflict = item.conflictingPair.map { pair in
                var probability: [UInt8] = []
                NumberText.appendSixSignificant(pair.probability, to: &probability)
                return "\(records[Int(pair.i)].key) ~ \(records[Int(pair.j)].key) (p=\(String(decoding: probability, as: UTF8.self)))"
            }
            review.writeRow { row in
                row.field(a.key.source)
                row.field(a.key.recordId)
                row.field(b.key.source)
                row.field(b.key.recordId)
                row.field(sixSignificant: item.pair.weight)
                row.field(sixSignificant: item.pair.probability)
                row.field(item.reason.rawValue)
                row.field(conflict ?? "")
            }
        }
        try review.close()
    }

    private func writeRejects(of outcome: LinkOutcome) throws {
        var rejects = try CSVWriter(path: path("rejects.csv"), header: ["source", "line", "record_id", "field", "code", "reason"])
        for reject in outcome.loaded.rejects {
            rejects.writeRow { row in
                row.field(reject.feed)
                row.field(reject.line)
                row.field(reject.recordId)
                row.field(reject.field)
                row.field(reject.code)
                row.field(reject.reason)
            }
        }
        try rejects.close()
    }

    /// pairs.csv, or pairs.csv.gz when the job asks for compressed pairs: the pairs at or above the
    /// job's floor, formatted (and compressed) a chunk per task and written in order as each chunk is
    /// ready, so the file's text is never held whole (it was 64 MB at a million records, held while
    /// the run clustered). Compressed, each chunk is a gzip member of its own; a file of members one
    /// after another is one gzip file to gunzip, zcat, Python and R (RFC 1952).
    public func writePairs(_ candidates: ScoredCandidates, workers: Int = ProcessInfo.processInfo.activeProcessorCount) async throws {
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        let compressed = job.output.compressPairs
        for name in ["pairs.csv", "pairs.csv.gz"] where name != job.output.pairsFileName {
            try? FileManager.default.removeItem(atPath: path(name))   // a file left by an earlier run
        }
        let file = path(job.output.pairsFileName)
        guard FileManager.default.createFile(atPath: file, contents: nil), let handle = FileHandle(forWritingAtPath: file) else {
            throw LinkageError("cannot write \(file)")
        }
        var header = CSVText()
        header.row(["source_l", "record_id_l", "source_r", "record_id_r", "match_weight", "match_probability"]
                   + candidates.model.comparisons.map { "level_\($0.kind.name)" })
        try handle.write(contentsOf: compressed ? try Gzip.compress(header.bytes) : header.bytes)
        let floor = job.output.pairsFloor
        let ranges = PairLevels.chunkRanges(count: candidates.scored.count, workers: workers)
        try await Parallel.forEachInOrder(ranges, workers: workers, { range in
            let text = Self.pairRows(candidates, range: range, floor: floor)
            return compressed ? Result { try Gzip.compress(text.bytes) } : .success(text.bytes)
        }, consume: { part in try handle.write(contentsOf: part.get()) })
        try handle.close()
    }

    /// The rows of pairs.csv for the scored pairs in `range` that are at or above `floor`, in order.
    static func pairRows(_ candidates: ScoredCandidates, range: Range<Int>, floor: Double) -> CSVText {
        let records = candidates.records
        let scorer = candidates.scorer
        let labels = candidates.model.comparisons.map { comparison in ["null"] + comparison.levels.map(\.label) }
        var text = CSVText()
        var levels = [UInt8](repeating: 0, count: labels.count)
        for pair in candidates.scored[range] where pair.probability >= floor {
            let a = records[Int(pair.i)], b = records[Int(pair.j)]
            scorer.levels(a, b, into: &levels)
            text.field(a.key.source)
            text.field(a.key.recordId)
            text.field(b.key.source)
            text.field(b.key.recordId)
            text.field(sixSignificant: pair.weight)
            text.field(sixSignificant: pair.probability)
            for (comparison, level) in levels.enumerated() { text.field(labels[comparison][Int(level)]) }
            text.endRow()
        }
        return text
    }

    /// clusters.csv from the store's memberships.
    public func writeClusters() throws {
        guard let store else { return }
        var clusters = try CSVWriter(path: path("clusters.csv"), header: ["source", "record_id", "person_id"])
        try store.forEachMembership { key, id in
            clusters.writeRow { row in
                row.field(key.source)
                row.field(key.recordId)
                row.field(id.description)
            }
        }
        try clusters.close()
    }

    public func writeSummary(_ outcome: LinkOutcome, timings: [(stage: String, seconds: Double)]) throws {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
        try encoder.encode(RunSummary(outcome, thresholds: job.thresholds, timings: timings)).write(to: URL(fileURLWithPath: path("summary.json")))
    }

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
        candidatePairs = outcome.candidatePairCount
        pairsPerBlockingRule = outcome.blockingReports.map {
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
