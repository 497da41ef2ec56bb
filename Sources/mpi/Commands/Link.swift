import ArgumentParser
import Foundation
import MPICore
import MPINormalize
import MPIStore

extension MPI {
    struct Link: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Link the sources of a job into persons: one command from raw extracts to clusters.",
            discussion: """
            Reads and normalises every source of JOB, blocks, trains the model (unless --model is given), \
            scores the candidate pairs on all cores and clusters them safely. Writes to DIR: clusters.csv, \
            pairs.csv, review.csv, rejects.csv, model.json and summary.json (see docs/linkage-job.md).
            """
        )

        @Argument(help: "The linkage job file (JSON).")
        var job: String

        @Option(name: .long, help: "Folder for the outputs; created if missing.")
        var out: String

        @Option(help: "Use this trained model instead of training one.")
        var model: String?

        @Flag(help: "No progress lines on standard error.")
        var quiet = false

        @Option(help: "Link the records of this identity store (after `mpi import`) instead of reading the extracts, and keep its enterprise ids stable.")
        var db: String?

        @Option(help: "With --db: who is acting, for the audit trail.")
        var actor: String = ProcessInfo.processInfo.environment["USER"] ?? "unknown"

        @Flag(help: "With --db: re-link every record and re-train, instead of linking only new and changed records with the store's model.")
        var relink = false

        func run() async throws {
            try await link(try JobFile.load(job), jobDirectory: URL(fileURLWithPath: job).deletingLastPathComponent())
        }

        func link(_ linkageJob: LinkageJob, jobDirectory: URL) async throws {
            let given = try model.map(ModelFile.read)
            if let given, given.comparisons.map(\.kind) != linkageJob.comparisons {
                throw CLIError("the model's comparisons (\(given.comparisons.map(\.kind.name).joined(separator: ", "))) are not the job's")
            }
            let run = LinkRun(job: linkageJob, jobDirectory: jobDirectory,
                              workers: ProcessInfo.processInfo.activeProcessorCount, progress: Progress(quiet: quiet))
            let outcome: LinkRun.Outcome
            var store: IdentityStore? = nil
            if let db {
                let opened: IdentityStore
                do { opened = try IdentityStore(path: db) } catch { throw CLIError("cannot open the identity store \(db): \(error)") }
                guard let linked = try await linkStore(opened, run: run, given: given) else { return }
                outcome = linked
                store = opened
            } else {
                outcome = try await run.run(model: given)
            }
            var clock = Stopwatch()
            try LinkOutputs(directory: out, job: linkageJob, store: store).write(outcome)
            var timings = outcome.timings
            timings.append(("write", clock.lap()))
            try LinkOutputs(directory: out, job: linkageJob, store: store).writeSummary(outcome, timings: timings)
            run.progress.line("wrote \(out)/clusters.csv, pairs.csv, review.csv, rejects.csv, model.json, summary.json")
        }
    }

    /// `mpi relink --db DB --out DIR`: `mpi link JOB --db DB --out DIR --relink`, the job being optional.
    struct Relink: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Re-train and re-link every record of an identity store, keeping enterprise ids as stable as the data allows.",
            discussion: """
            The same as `mpi link JOB --db DB --out DIR --relink`. Without JOB, the store's last link run gives \
            the blocking rules, maximum block size, thresholds and comparisons; training and outputs take their \
            defaults. Writes the outputs of `mpi link` to DIR and reports how many ids were kept, minted, \
            merged and split.
            """
        )

        @Argument(help: "The linkage job file (JSON); the store's last settings when omitted.")
        var job: String?

        @Option(help: "The identity store (SQLite).")
        var db: String = "mpi.sqlite"

        @Option(name: .long, help: "Folder for the outputs; created if missing.")
        var out: String

        @Flag(help: "No progress lines on standard error.")
        var quiet = false

        @Option(help: "Who is acting, for the audit trail.")
        var actor: String = ProcessInfo.processInfo.environment["USER"] ?? "unknown"

        func run() async throws {
            var link = try MPI.Link.parse([job ?? "-", "--db", db, "--out", out, "--actor", actor, "--relink"] + (quiet ? ["--quiet"] : []))
            if job != nil {
                try await link.run()
                return
            }
            guard FileManager.default.fileExists(atPath: db) else { throw CLIError("no identity store at \(db)") }
            let store = try IdentityStore(path: db)
            guard let settingsText = try store.latestSettings(), let modelText = try store.latestModel() else {
                throw CLIError("\(db) has not been linked yet: give the job, as in mpi relink JOB --db \(db) --out \(out)")
            }
            let settings = try JSONDecoder().decode(LinkSettings.self, from: Data(settingsText.utf8))
            let model = try JSONDecoder().decode(LinkageModel.self, from: Data(modelText.utf8))
            // The store holds the records: the job needs no sources, only how to block, compare and decide.
            let job = LinkageJob(sources: [], blocking: .init(rules: settings.rules, maximumBlockSize: settings.maximumBlockSize),
                                 comparisons: model.comparisons.map(\.kind), thresholds: settings.thresholds)
            link.job = "(the settings of the store's last run)"
            try await link.link(job, jobDirectory: URL(fileURLWithPath: FileManager.default.currentDirectoryPath))
        }
    }

    struct Train: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Train the model of a job and write it to a file, for `mpi link --model`."
        )

        @Argument(help: "The linkage job file (JSON).")
        var job: String

        @Option(name: .long, help: "Where to write the model (JSON).")
        var out: String

        @Flag(help: "No progress lines on standard error.")
        var quiet = false

        func run() async throws {
            let linkageJob = try JobFile.load(job)
            let run = LinkRun(job: linkageJob, jobDirectory: URL(fileURLWithPath: job).deletingLastPathComponent(),
                              workers: ProcessInfo.processInfo.activeProcessorCount, progress: Progress(quiet: quiet))
            let outcome = try await run.run(model: nil)
            try ModelFile.write(outcome.model, to: out)
            run.progress.line("wrote \(out)")
        }
    }
}


extension MPI.Link {
    /// Links the store's records and applies the persons; nil when there was nothing to link (the
    /// current persons are written instead). Persons, review items and link keys are written in one
    /// transaction: all of a run or none of it.
    ///
    /// Once the store has persons and a model, a run is incremental: only new and changed records (and
    /// records a steward unlinked) are linked, against the stored records that share a blocking value
    /// with them (`IncrementalScope`); every other person stays as it is without being loaded. With
    /// `--relink`, or on the first run, every record is linked and the model re-trained.
    func linkStore(_ store: IdentityStore, run: LinkRun, given: LinkageModel?) async throws -> LinkRun.Outcome? {
        let linkageJob = run.job
        var clock = Stopwatch()
        let builder = MatchRecordBuilder(variants: try ForenameVariantsFile.load())
        let decisions = try store.decisions()
        var constraints = LinkRun.Constraints()
        for decision in decisions {
            switch decision.kind {
            case .link: constraints.link.append((decision.left, decision.right))
            case .unlink: constraints.unlink.append((decision.left, decision.right))
            case .notSure: break
            }
        }
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        let settings = LinkSettings(rules: linkageJob.blocking.rules, maximumBlockSize: linkageJob.blocking.maximumBlockSize,
                                    thresholds: linkageJob.thresholds)
        let settingsJSON = String(decoding: try encoder.encode(settings), as: UTF8.self)

        let storedModel = try store.latestModel().flatMap { try? JSONDecoder().decode(LinkageModel.self, from: Data($0.utf8)) }
        if !relink, let storedModel, try store.hasPersons() {
            // Records a steward unlinked are re-linked too, so the decision can take effect.
            let unlinked = Set(decisions.filter { $0.kind == .unlink }.flatMap { [$0.left, $0.right] })
            let waiting = try store.recordsWaitingToBeLinked()
            let pending = waiting.union(unlinked)
            if pending.isEmpty {
                run.progress.line("incremental: nothing new or changed since the last run; persons unchanged")
                try FileManager.default.createDirectory(atPath: out, withIntermediateDirectories: true)
                try LinkOutputs(directory: out, job: linkageJob, store: store).writeClusters()
                return nil
            }
            let model = given ?? storedModel
            let scope = try IncrementalScope.gather(store: store, waiting: waiting, unlinked: unlinked,
                                                    decisionRecords: Set(decisions.flatMap { [$0.left, $0.right] }),
                                                    rules: linkageJob.blocking.rules, model: model,
                                                    maximumBlockSize: linkageJob.blocking.maximumBlockSize, builder: builder)
            run.progress.line("incremental: \(pending.count) new or changed records against \(scope.scanned) linked ones; "
                              + "\(scope.candidates) share a blocking value; \(scope.loaded.records.count) records loaded with their persons")
            constraints.onlyPairsTouching = pending
            var byPerson: [EnterpriseID: [RecordKey]] = [:]
            for (key, id) in scope.persons where !pending.contains(key) { byPerson[id, default: []].append(key) }
            for members in byPerson.values {
                let sorted = members.sorted()
                for index in sorted.indices.dropFirst() { constraints.link.append((sorted[index - 1], sorted[index])) }
            }
            let outcome = try await run.run(loaded: scope.loaded, model: model, readSeconds: clock.lap(), constraints: constraints, scope: scope)
            let keys = outcome.loaded.records.map(\.key)
            let applied = try store.applyPersons(groups(of: outcome), modelJSON: String(decoding: try encoder.encode(outcome.model), as: UTF8.self),
                                                 settingsJSON: settingsJSON, reason: runReason, actor: actor,
                                                 scope: Set(keys), linkKeys: scope.computedKeys,
                                                 review: .replaceItemsInvolving(pending, reviewEntries(of: outcome)))
            report(applied, run: run, incremental: true)
            return outcome
        }

        let loaded = try LinkRun.loaded(from: store.activeRecords())
        let outcome = try await run.run(loaded: loaded, model: given, readSeconds: clock.lap(), constraints: constraints)
        let termFrequencyKinds = outcome.model.comparisons.filter(\.termFrequencies).map(\.kind)
        let fingerprint = LinkKeys.fingerprint(rules: linkageJob.blocking.rules, termFrequencyKinds: termFrequencyKinds)
        let linkKeys = outcome.loaded.records.map { record in
            (record.key, LinkKeys(record, rules: linkageJob.blocking.rules, termFrequencyKinds: termFrequencyKinds).encoded(fingerprint: fingerprint))
        }
        let applied = try store.applyPersons(groups(of: outcome), modelJSON: String(decoding: try encoder.encode(outcome.model), as: UTF8.self),
                                             settingsJSON: settingsJSON, reason: runReason, actor: actor, linkKeys: linkKeys,
                                             review: .replaceAll(reviewEntries(of: outcome)))
        report(applied, run: run)
        return outcome
    }

    /// The reason the lineage and audit trail give for this run's changes.
    private var runReason: String { relink ? "mpi link \(job) --relink" : "mpi link \(job)" }

    private func groups(of outcome: LinkRun.Outcome) -> [[RecordKey]] {
        var groups = [[RecordKey]](repeating: [], count: outcome.clusters.personCount)
        for (index, record) in outcome.loaded.records.enumerated() { groups[Int(outcome.clusters.personOf[index])].append(record.key) }
        return groups
    }

    private func reviewEntries(of outcome: LinkRun.Outcome) -> [IdentityStore.ReviewEntry] {
        let records = outcome.loaded.records
        return outcome.clusters.review.map { item in
            IdentityStore.ReviewEntry(left: records[Int(item.pair.i)].key, right: records[Int(item.pair.j)].key,
                                      matchWeight: item.pair.weight, probability: item.pair.probability, reason: item.reason.rawValue)
        }
    }

    private func report(_ applied: LinkApplySummary, run: LinkRun, incremental: Bool = false) {
        // An incremental run sees only the persons of its scope: say so, lest the count read as the store's.
        let persons = incremental ? "\(applied.persons) persons re-examined" : "\(applied.persons) persons"
        run.progress.line("store: \(persons); \(applied.kept) ids kept, \(applied.minted) minted, \(applied.merged) merged, "
                          + "\(applied.split) split; \(applied.recordsMoved) records moved; model version \(applied.modelVersion)")
    }
}

enum ModelFile {
    static func read(_ path: String) throws -> LinkageModel {
        guard let data = FileManager.default.contents(atPath: path) else { throw CLIError("cannot read the model \(path)") }
        do {
            return try JSONDecoder().decode(LinkageModel.self, from: data)
        } catch let error as DecodingError {
            throw CLIError("\(path): \(describe(error))")
        }
    }

    static func write(_ model: LinkageModel, to path: String) throws {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
        try encoder.encode(model).write(to: URL(fileURLWithPath: path))
    }
}

/// The files `mpi link` writes.
struct LinkOutputs {
    let directory: String
    let job: LinkageJob
    /// When linking a store: clusters.csv lists every active record with its enterprise id, read from
    /// the store after the run (an incremental run loads only part of it). Else persons are numbered
    /// P0000001 ... for the run.
    var store: IdentityStore? = nil

    private func path(_ name: String) -> String { (directory as NSString).appendingPathComponent(name) }

    static func personId(_ number: Int32) -> String { String(format: "P%07d", number + 1) }

    func write(_ outcome: LinkRun.Outcome) throws {
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
            rejects.write([reject.source, String(reject.line), reject.recordId, reject.field, reject.code, reject.reason])
        }
        try rejects.close()

        try ModelFile.write(outcome.model, to: path("model.json"))
    }

    /// clusters.csv from the store's memberships.
    func writeClusters() throws {
        guard let store else { return }
        var clusters = try CSVWriter(path: path("clusters.csv"), header: ["source", "record_id", "person_id"])
        try store.forEachMembership { key, id in clusters.write([key.source, key.recordId, id.description]) }
        try clusters.close()
    }

    func writeSummary(_ outcome: LinkRun.Outcome, timings: [(stage: String, seconds: Double)]) throws {
        var sizes: [Int: Int] = [:]
        var members = [Int](repeating: 0, count: outcome.clusters.personCount)
        for person in outcome.clusters.personOf { members[Int(person)] += 1 }
        for size in members { sizes[size, default: 0] += 1 }
        var reasons: [String: Int] = [:]
        for item in outcome.clusters.review { reasons[item.reason.rawValue, default: 0] += 1 }
        let summary: [String: Any] = [
            "records": outcome.loaded.records.count,
            "rowsPerSource": outcome.loaded.rowsPerSource,
            "rejectedValues": outcome.loaded.rejects.count,
            "candidatePairs": outcome.candidates.pairs.count,
            "pairsPerBlockingRule": outcome.candidates.reports.map {
                ["rule": $0.rule, "pairsAdded": $0.pairsAdded, "skippedBlocks": $0.skippedBlocks,
                 "recordsInSkippedBlocks": $0.recordsInSkippedBlocks] as [String: Any]
            },
            "persons": outcome.clusters.personCount,
            "autoLinks": outcome.clusters.autoLinks,
            "reviewItems": outcome.clusters.review.count,
            "reviewItemsPerThousandRecords": ReviewBurden.perThousand(outcome.clusters.review.count, records: outcome.loaded.records.count),
            "reviewReasons": reasons,
            "clusterSizes": Dictionary(uniqueKeysWithValues: sizes.map { (String($0.key), $0.value) }),
            "lambda": outcome.model.lambda,
            "thresholds": ["autoLink": job.thresholds.autoLink, "review": job.thresholds.review,
                           "maximumClusterSize": job.thresholds.maximumClusterSize],
            "secondsPerStage": timings.map { ["stage": $0.stage, "seconds": ($0.seconds * 1000).rounded() / 1000] as [String: Any] },
        ]
        let data = try JSONSerialization.data(withJSONObject: summary, options: [.prettyPrinted, .sortedKeys])
        try data.write(to: URL(fileURLWithPath: path("summary.json")))
    }

    private func format(_ value: Double) -> String { String(format: "%.6g", value) }
}
