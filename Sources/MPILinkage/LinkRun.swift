public import Foundation
public import MPICore
public import MPINormalize

/// One run from raw extracts (or a store's records) to persons: read and normalise every source, block,
/// compute levels, train (unless a model is given), score, cluster. Each stage reports to `progress`
/// (counts and timings only, never values from the extracts); what is done with the reports is the
/// caller's business.
public struct LinkRun: Sendable {
    public let job: LinkageJob
    /// Source paths in the job are relative to this folder.
    public let jobDirectory: URL
    public let builder: MatchRecordBuilder
    /// The date future dates of birth are checked against; passed in so a run is reproducible.
    public let today: CalendarDate
    public let workers: Int
    public let progress: LinkProgress

    public init(job: LinkageJob, jobDirectory: URL, builder: MatchRecordBuilder, today: CalendarDate,
                workers: Int = ProcessInfo.processInfo.activeProcessorCount, progress: LinkProgress = .silent) {
        self.job = job
        self.jobDirectory = jobDirectory
        self.builder = builder
        self.today = today
        self.workers = workers
        self.progress = progress
    }

    /// Reads and normalises every source of the job.
    public func load() async throws -> LoadedRecords {
        let normalizations = try job.sources.map { mapping in
            guard let path = mapping.path else { throw LinkageError("source \(mapping.feedName): no \"path\" to its extract") }
            return ExtractNormalization(mapping: mapping, extract: Self.extract(path, in: jobDirectory))
        }
        let estimatedRowsPerSource = normalizations.map { $0.estimatedRows() }
        var loaded = LoadedRecords()
        var kept = FirstRowPerRecord()
        kept.reserve(rows: estimatedRowsPerSource.reduce(0, +))
        loaded.records.reserveCapacity(estimatedRowsPerSource.reduce(0, +))
        // Each extract is read from disk while the one before it is normalised, so that no core waits
        // for a file between two extracts.
        func reading(_ index: Int) -> Task<[UInt8], any Error>? {
            guard normalizations.indices.contains(index) else { return nil }
            let normalization = normalizations[index]
            return Task { try normalization.readExtract() }
        }
        var nextExtract = reading(0)
        for (index, (normalization, estimatedRows)) in zip(normalizations, estimatedRowsPerSource).enumerated() {
            let bytes = try await nextExtract!.value
            nextExtract = reading(index + 1)
            let mapping = normalization.mapping
            var done = 0
            let builder = builder
            let summary = try await normalization.run(bytes: bytes, today: today, preparer: {
                let sharing = ValueSharing()
                return { row in (line: row.line, rejections: row.rejections, record: builder.build(row.record, sharing: sharing)) }
            }) { result in
                done += 1
                if done % 4096 == 0 { progress.reading(feed: mapping.feedName, rows: done, estimatedTotal: estimatedRows) }
                switch result {
                case .success(let row):
                    let record = row.record
                    let recordId = record.key.recordId
                    if let earlier = kept.claim(record.key, feed: mapping.feedName, line: row.line) {
                        loaded.rejects.append(.init(feed: mapping.feedName, line: row.line, recordId: recordId, field: "row",
                                                    code: earlier.code, reason: earlier.reason))
                        return
                    }
                    loaded.records.append(record)
                    for rejection in row.rejections {
                        loaded.rejects.append(.init(feed: mapping.feedName, line: row.line, recordId: recordId, field: rejection.field,
                                                    code: rejection.code, reason: rejection.reason))
                    }
                case .failure(let problem):
                    loaded.rejects.append(.init(feed: mapping.feedName, line: problem.line, recordId: "", field: "row",
                                                code: problem.code, reason: problem.message))
                }
            }
            loaded.rowsPerSource[mapping.feedName] = summary.rows
            progress.reading(feed: mapping.feedName, rows: summary.rows, estimatedTotal: max(estimatedRows, summary.rows))
            progress.step("read \(mapping.feedName): \(summary.rows) rows, \(summary.records) records, \(summary.rowProblems.count) rows rejected")
        }
        return loaded
    }

    /// Records already normalised (from the identity store) in the form the run needs.
    public func loaded(from normalized: [NormalizedRecord]) -> LoadedRecords {
        var loaded = LoadedRecords()
        let sharing = ValueSharing()
        loaded.records = normalized.map { builder.build($0, sharing: sharing) }
        for record in normalized { loaded.rowsPerSource[record.key.source, default: 0] += 1 }
        return loaded
    }

    /// Reads the job's extracts and links them. `alongsideClustering` is given the scored pairs as soon
    /// as there are any and runs while they are clustered, which uses one core (the outputs write
    /// pairs.csv there); the run ends when both have.
    public func run(model given: LinkageModel?,
                    alongsideClustering: (@Sendable (ScoredCandidates) async throws -> Void)? = nil) async throws -> LinkOutcome {
        var clock = Stopwatch()
        let loaded = try await load()
        return try await run(loaded: loaded, model: given, readSeconds: clock.lap(), alongsideClustering: alongsideClustering)
    }

    /// With `scope`, the records are only part of an identity store (an incremental run): blocks too
    /// large in the whole store are skipped, and term frequencies are the whole store's.
    public func run(loaded: LoadedRecords, model given: LinkageModel?, readSeconds: Double, constraints: LinkConstraints = LinkConstraints(),
                    scope: IncrementalScope? = nil,
                    alongsideClustering: (@Sendable (ScoredCandidates) async throws -> Void)? = nil) async throws -> LinkOutcome {
        var timings: [(String, Double)] = [("read and normalise", readSeconds)]
        var clock = Stopwatch()
        let records = Self.withParentsNumbersDropped(loaded.records)

        // Which NHS numbers two generations carry is clustering's question, but it needs only the
        // records: it is worked out while blocking leaves a core idle.
        async let numbersAcrossGenerations = NHSNumberSharing.numbersAcrossGenerations(records)
        // Blocking, levels and candidate pairs are the largest arrays of a run; they end with `score`,
        // before clustering needs its own.
        let scoring = try await score(records: records, given: given, constraints: constraints, scope: scope)
        timings += scoring.timings
        let (model, scorer, scored) = (scoring.model, scoring.scorer, scoring.scored)
        clock = Stopwatch()
        let candidates = ScoredCandidates(records: loaded.records, model: model, scorer: scorer, scored: scored)
        async let alongside: Void? = alongsideClustering?(candidates)

        let placeholder = records.map(\.isPlaceholder)
        let nhs = records.map(\.nhsNumber)
        let sharedNHSNumbers = await numbersAcrossGenerations
        // Steward decisions name records by key; the index by key is built only when there are some.
        var indexOf: [RecordKey: Int32] = [:]
        if !constraints.link.isEmpty || !constraints.unlink.isEmpty {
            for (index, record) in records.enumerated() { indexOf[record.key] = Int32(index) }
        }
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
        _ = try await alongside
        timings.append(("cluster", clock.lap()))
        progress.step("clustering: \(records.count) records into \(clusters.personCount) persons; \(clusters.autoLinks) automatic links, "
                      + "\(clusters.review.count) pairs for review")
        return LinkOutcome(loaded: loaded, candidatePairCount: scoring.candidatePairCount, blockingReports: scoring.blockingReports,
                           model: model, scorer: scorer, scored: scored,
                       clusters: clusters, timings: timings)
    }

    private static func sameTermFrequencyUse(_ a: LinkageModel, _ b: LinkageModel) -> Bool {
        a.comparisons.map(\.kind) == b.comparisons.map(\.kind) && a.comparisons.map(\.termFrequencies) == b.comparisons.map(\.termFrequencies)
    }

    /// The records as matching sees them: a newborn registered under a parent's NHS number has none.
    private static func withParentsNumbersDropped(_ records: [MatchRecord]) -> [MatchRecord] {
        var records = records
        for index in NHSNumberSharing.newbornsUnderAParentsNumber(records) {
            records[index] = NHSNumberSharing.droppingNHSNumber(records[index])
        }
        return records
    }

    private struct Scoring {
        var model: LinkageModel
        var scorer: Scorer
        var scored: [ScoredPair]
        var candidatePairCount: Int
        var blockingReports: [CandidatePairs.RuleReport]
        var timings: [(String, Double)]
    }

    /// Blocks, compares, trains (unless a model is given) and scores.
    private func score(records: [MatchRecord], given: LinkageModel?, constraints: LinkConstraints,
                       scope: IncrementalScope?) async throws -> Scoring {
        var timings: [(String, Double)] = []
        var clock = Stopwatch()
        let untrained = given ?? LinkageModel.untrained(kinds: job.comparisons)
        // Term frequencies need the records and which comparisons use them, not the trained numbers:
        // counted while blocking leaves a core idle (an incremental run has the store's already).
        async let termFrequenciesBeforeTraining = scope == nil ? Scorer.termFrequencies(for: untrained, records: records) : nil
        let candidates = await Blocking.candidatePairs(records: records, rules: job.blocking.rules, maximumBlockSize: job.blocking.maximumBlockSize,
                                                 touching: constraints.onlyPairsTouching.map { pending in records.map { pending.contains($0.key) } },
                                                 storeBlockSize: scope.map { scope in { @Sendable in scope.storeBlockSize(rule: $0, hash: $1) } },
                                                 workers: workers)
        for report in candidates.reports {
            var line = "blocking \(report.rule): \(report.pairsAdded) pairs"
            if report.skippedBlocks > 0 {
                line += "; SKIPPED \(report.skippedBlocks) blocks over \(job.blocking.maximumBlockSize) records"
                    + " (\(report.recordsInSkippedBlocks) records, largest \(report.largestSkippedBlock))"
            }
            progress.step(line)
        }
        progress.step("blocking: \(candidates.pairs.count) candidate pairs in all")
        timings.append(("block", clock.lap()))

        let levels = await PairLevels.compute(records: records, pairs: candidates.pairs, scorer: Scorer(model: untrained), workers: workers)
        timings.append(("compare", clock.lap()))

        var model: LinkageModel
        if let given {
            model = given
        } else {
            progress.step("training: u from \(job.training.uSampleSize) random pairs, m by EM in \(job.training.rules.count) passes")
            model = await Training.train(records: records, initial: untrained, settings: job.training, candidateLevels: levels,
                                         maximumBlockSize: job.blocking.maximumBlockSize, workers: workers)
            for pass in model.training {
                progress.step("training pass \(pass.blockingRule): \(pass.pairs) pairs (\(pass.pairsUsed) used), \(pass.iterations) iterations"
                              + (pass.converged ? "" : " (not converged)"))
            }
            progress.step("training: λ = \(String(format: "%.3g", model.lambda))")
            timings.append(("train", clock.lap()))
        }

        let termFrequencies: [TermFrequencyTable?]
        if let scope {
            termFrequencies = scope.termFrequencies
        } else if let counted = await termFrequenciesBeforeTraining, Self.sameTermFrequencyUse(model, untrained) {
            termFrequencies = counted
        } else {
            termFrequencies = Scorer.termFrequencies(for: model, records: records)
        }
        let scorer = Scorer(model: model, termFrequencies: termFrequencies)
        let scored = await levels.score(records: records, pairs: candidates.pairs, scorer: scorer, floor: 0,
                                        safeguardsFrom: job.thresholds.review, workers: workers)
        timings.append(("score", clock.lap()))
        return Scoring(model: model, scorer: scorer, scored: scored, candidatePairCount: candidates.pairs.count,
                       blockingReports: candidates.reports, timings: timings)
    }
}

/// Wall-clock laps.
public struct Stopwatch: Sendable {
    private var last = ContinuousClock.now

    public init() {}

    public mutating func lap() -> Double {
        let now = ContinuousClock.now
        let elapsed = now - last
        last = now
        return Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18
    }
}
