import Foundation
import MPICore
import MPINormalize

/// One run from raw extracts to persons: read and normalise every source, block, compute levels,
/// train (unless a model is given), score, cluster. The stages report progress on standard error
/// (counts and timings only, never values from the extracts).
struct LinkRun {
    let job: LinkageJob
    let jobDirectory: URL
    let workers: Int
    let progress: Progress

    struct Loaded {
        var records: [MatchRecord] = []
        var rejects: [(source: String, line: Int, recordId: String, field: String, code: String, reason: String)] = []
        var rowsPerSource: [String: Int] = [:]
    }

    struct Outcome {
        var loaded: Loaded
        var candidates: CandidatePairs
        var levels: PairLevels
        var model: LinkageModel
        var scorer: Scorer
        var scored: [ScoredPair]
        var clusters: Clusters
        var timings: [(stage: String, seconds: Double)]
    }

    /// Reads and normalises every source of the job.
    func load() async throws -> Loaded {
        let variants = try ForenameVariantsFile.load()
        let builder = MatchRecordBuilder(variants: variants)
        var loaded = Loaded()
        var kept = FirstRowPerRecord()
        for mapping in job.sources {
            guard let path = mapping.path else { throw CLIError("source \(mapping.feedName): no \"path\" to its extract") }
            let extract = URL(fileURLWithPath: path, relativeTo: jobDirectory)
            let normalization = ExtractNormalization(mapping: mapping, extract: extract)
            let stage = progress.stage("read \(mapping.feedName)", total: normalization.estimatedRows())
            var done = 0
            let summary = try await normalization.run(today: .today) { result in
                done += 1
                if done % 4096 == 0 { stage.update(done) }
                switch result {
                case .success(let row):
                    let recordId = row.record.key.recordId
                    if let earlier = kept.claim(row.record.key, feed: mapping.feedName, line: row.line) {
                        loaded.rejects.append((mapping.feedName, row.line, recordId, "row", earlier.code, earlier.reason))
                        return
                    }
                    loaded.records.append(builder.build(row.record))
                    for rejection in row.rejections {
                        loaded.rejects.append((mapping.feedName, row.line, recordId, rejection.field, rejection.code, rejection.reason))
                    }
                case .failure(let problem):
                    loaded.rejects.append((mapping.feedName, problem.line, "", "row", problem.code, problem.message))
                }
            }
            loaded.rowsPerSource[mapping.feedName] = summary.rows
            progress.line("read \(mapping.feedName): \(summary.rows) rows, \(summary.records) records, \(summary.rowProblems.count) rows rejected")
        }
        return loaded
    }

    /// Records already normalised (from the identity store) in the form the run needs.
    static func loaded(from normalized: [NormalizedRecord]) throws -> Loaded {
        let builder = MatchRecordBuilder(variants: try ForenameVariantsFile.load())
        var loaded = Loaded()
        loaded.records = normalized.map(builder.build)
        for record in normalized { loaded.rowsPerSource[record.key.source, default: 0] += 1 }
        return loaded
    }

    func run(model given: LinkageModel?) async throws -> Outcome {
        var clock = Stopwatch()
        let loaded = try await load()
        return try await run(loaded: loaded, model: given, readSeconds: clock.lap())
    }

    /// Steward decisions the clustering must honour: linked pairs stay together, unlinked pairs apart.
    struct Constraints {
        var link: [(RecordKey, RecordKey)] = []
        var unlink: [(RecordKey, RecordKey)] = []
        /// When set, only candidate pairs with at least one of these records are scored (an incremental
        /// run: new and changed records against everything already there).
        var onlyPairsTouching: Set<RecordKey>? = nil
    }

    /// With `scope`, the records are only part of an identity store (an incremental run): blocks too
    /// large in the whole store are skipped, and term frequencies are the whole store's.
    func run(loaded: Loaded, model given: LinkageModel?, readSeconds: Double, constraints: Constraints = Constraints(),
             scope: IncrementalScope? = nil) async throws -> Outcome {
        var timings: [(String, Double)] = [("read and normalise", readSeconds)]
        var clock = Stopwatch()
        var records = loaded.records
        for index in NHSNumberSharing.newbornsUnderAParentsNumber(records) {
            records[index] = NHSNumberSharing.droppingNHSNumber(records[index])
        }

        let candidates = Blocking.candidatePairs(records: records, rules: job.blocking.rules, maximumBlockSize: job.blocking.maximumBlockSize,
                                                 touching: constraints.onlyPairsTouching.map { pending in records.map { pending.contains($0.key) } },
                                                 storeBlockSize: scope.map { scope in { scope.storeBlockSize(rule: $0, hash: $1) } })
        for report in candidates.reports {
            var line = "blocking \(report.rule): \(report.pairsAdded) pairs"
            if report.skippedBlocks > 0 {
                line += "; SKIPPED \(report.skippedBlocks) blocks over \(job.blocking.maximumBlockSize) records"
                    + " (\(report.recordsInSkippedBlocks) records, largest \(report.largestSkippedBlock))"
            }
            progress.line(line)
        }
        progress.line("blocking: \(candidates.pairs.count) candidate pairs in all")
        timings.append(("block", clock.lap()))

        let untrained = given ?? LinkageModel.untrained(kinds: job.comparisons)
        let levels = await PairLevels.compute(records: records, pairs: candidates.pairs, scorer: Scorer(model: untrained), workers: workers)
        timings.append(("compare", clock.lap()))

        var model: LinkageModel
        if let given {
            model = given
        } else {
            progress.line("training: u from \(job.training.uSampleSize) random pairs, m by EM in \(job.training.rules.count) passes")
            model = await Training.train(records: records, initial: untrained, settings: job.training, candidateLevels: levels,
                                         maximumBlockSize: job.blocking.maximumBlockSize, workers: workers)
            for pass in model.training {
                progress.line("training pass \(pass.blockingRule): \(pass.pairs) pairs (\(pass.pairsUsed) used), \(pass.iterations) iterations"
                              + (pass.converged ? "" : " (not converged)"))
            }
            progress.line("training: λ = \(String(format: "%.3g", model.lambda))")
            timings.append(("train", clock.lap()))
        }

        let scorer = Scorer(model: model, termFrequencies: scope?.termFrequencies ?? Scorer.termFrequencies(for: model, records: records))
        let scored = await levels.score(records: records, pairs: candidates.pairs, scorer: scorer, floor: 0,
                                        safeguardsFrom: job.thresholds.review, workers: workers)
        timings.append(("score", clock.lap()))

        let placeholder = records.map(\.isPlaceholder)
        let nhs = records.map(\.nhsNumber)
        let sharedNHSNumbers = NHSNumberSharing.numbersAcrossGenerations(records)
        var indexOf: [RecordKey: Int32] = [:]
        for (index, record) in records.enumerated() { indexOf[record.key] = Int32(index) }
        func indexes(_ pairs: [(RecordKey, RecordKey)]) -> [(Int32, Int32)] {
            pairs.compactMap { pair in indexOf[pair.0].flatMap { a in indexOf[pair.1].map { (a, $0) } } }
        }
        let clusters = Clustering.cluster(recordCount: records.count, pairs: scored, placeholder: { placeholder[Int($0)] },
                                          identifierTrusted: { nhs[Int($0)].map { !sharedNHSNumbers.contains($0) } ?? true },
                                          nhsNumber: { nhs[Int($0)] }, thresholds: job.thresholds,
                                          mustLink: indexes(constraints.link), cannotLink: indexes(constraints.unlink),
                                          existing: constraints.onlyPairsTouching.map { pending in
                                              let isExisting = records.map { !pending.contains($0.key) }
                                              return { isExisting[Int($0)] }
                                          })
        timings.append(("cluster", clock.lap()))
        progress.line("clustering: \(records.count) records into \(clusters.personCount) persons; \(clusters.autoLinks) automatic links, "
                      + "\(clusters.review.count) pairs for review")
        return Outcome(loaded: loaded, candidates: candidates, levels: levels, model: model, scorer: scorer, scored: scored,
                       clusters: clusters, timings: timings)
    }
}

/// Wall-clock laps.
struct Stopwatch {
    private var last = ContinuousClock.now

    mutating func lap() -> Double {
        let now = ContinuousClock.now
        let elapsed = now - last
        last = now
        return Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18
    }
}

/// Progress on standard error: counts and timings only, never values. On a terminal a long stage
/// redraws one bar in place; otherwise it writes a line every few seconds, which suits logs.
struct Progress {
    let quiet: Bool
    let isTerminal: Bool
    private let started = ContinuousClock.now

    init(quiet: Bool = false) {
        self.quiet = quiet
        isTerminal = isatty(STDERR_FILENO) != 0
    }

    var elapsed: Double {
        let elapsed = ContinuousClock.now - started
        return Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18
    }

    func line(_ text: String) {
        guard !quiet else { return }
        StandardError.write((isTerminal ? "\r\u{1B}[K" : "") + String(format: "[%7.2fs] ", elapsed) + text + "\n")
    }

    /// A counter for one long stage of known size.
    func stage(_ name: String, total: Int) -> StageProgress {
        StageProgress(progress: self, name: name, total: max(total, 1))
    }
}

/// The progress of one stage: a bar redrawn at most ten times a second on a terminal, or a line every
/// five seconds elsewhere.
final class StageProgress {
    private let progress: Progress
    private let name: String
    private let total: Int
    private var lastReport = 0.0

    init(progress: Progress, name: String, total: Int) {
        self.progress = progress
        self.name = name
        self.total = total
    }

    func update(_ done: Int) {
        guard !progress.quiet else { return }
        let now = progress.elapsed
        let interval = progress.isTerminal ? 0.1 : 5.0
        guard now - lastReport >= interval else { return }
        lastReport = now
        let fraction = min(Double(done) / Double(total), 1)
        if progress.isTerminal {
            let width = 30, filled = Int(fraction * Double(width))
            let bar = String(repeating: "#", count: filled) + String(repeating: "-", count: width - filled)
            StandardError.write(String(format: "\r\u{1B}[K[%7.2fs] %@ [%@] %3.0f%%", now, name, bar, fraction * 100))
        } else {
            progress.line(String(format: "%@: %.0f%% (%d of about %d)", name, fraction * 100, done, total))
        }
    }
}
