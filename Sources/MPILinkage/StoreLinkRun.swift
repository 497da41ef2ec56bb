public import MPICore
public import MPINormalize
public import MPIStore

/// A link run over an identity store's records, whose persons it writes back with stable enterprise
/// ids. Persons, review items and link keys are written in one transaction: all of a run or none of it.
///
/// Once the store has persons and a model, a run is incremental: only new and changed records (and
/// records a steward unlinked) are linked, against the stored records that share a blocking value with
/// them (`IncrementalScope`); every other person stays as it is without being loaded. With `relink`,
/// or on the first run, every record is linked and the model re-trained (unless one is given).
public struct StoreLinkRun: Sendable {
    public let store: any IdentityBackend
    public let run: LinkRun
    /// Who is acting, and why, for the lineage and the audit trail.
    public let actor: String
    public let reason: String

    public init(store: any IdentityBackend, run: LinkRun, actor: String, reason: String) {
        self.store = store
        self.run = run
        self.actor = actor
        self.reason = reason
    }

    /// What a run did to the store.
    public struct Result: Sendable {
        /// The run's decisions; nil when nothing was new or changed, and no run was needed.
        public var outcome: LinkOutcome?
        public var applied: LinkApplySummary?
        public var incremental: Bool
    }

    public func link(model given: LinkageModel? = nil, relink: Bool = false) async throws -> Result {
        var clock = Stopwatch()
        let job = run.job
        let decisions = try store.decisions()
        var constraints = LinkConstraints(decisions: decisions)
        let settings = LinkSettings(rules: job.blocking.rules, maximumBlockSize: job.blocking.maximumBlockSize, thresholds: job.thresholds)

        if !relink, let storedModel = try store.linkageModel(), try store.hasPersons() {
            // Records a steward unlinked are re-linked too, so the decision can take effect.
            let unlinked = Set(decisions.filter { $0.kind == .unlink }.flatMap { [$0.left, $0.right] })
            let waiting = try store.recordsWaitingToBeLinked()
            let pending = waiting.union(unlinked)
            if pending.isEmpty {
                run.progress.step("incremental: nothing new or changed since the last run; persons unchanged")
                return Result(outcome: nil, applied: nil, incremental: true)
            }
            let model = given ?? storedModel
            let scope = try IncrementalScope.gather(store: store, waiting: waiting, unlinked: unlinked,
                                                    decisionRecords: Set(decisions.flatMap { [$0.left, $0.right] }),
                                                    rules: job.blocking.rules, model: model,
                                                    maximumBlockSize: job.blocking.maximumBlockSize, builder: run.builder)
            run.progress.step("incremental: \(pending.count) new or changed records against \(scope.scanned) linked ones; "
                              + "\(scope.candidates) share a blocking value; \(scope.loaded.records.count) records loaded with their persons")
            constraints.linkOnly(pending, keeping: scope.persons)
            let outcome = try await run.run(loaded: scope.loaded, model: model, readSeconds: clock.lap(), constraints: constraints, scope: scope)
            let applied = try store.applyPersons(outcome.personGroups, model: outcome.model, settings: settings, reason: reason, actor: actor,
                                                 scope: Set(outcome.loaded.records.map(\.key)), scopePersonsWhenRead: Set(scope.persons.values),
                                                 linkKeys: scope.computedKeys,
                                                 review: .replaceItemsInvolving(pending, reviewEntries(of: outcome)))
            report(applied, incremental: true)
            return Result(outcome: outcome, applied: applied, incremental: true)
        }

        let loaded = run.loaded(from: try store.activeRecords())
        let outcome = try await run.run(loaded: loaded, model: given, readSeconds: clock.lap(), constraints: constraints)
        let termFrequencyKinds = outcome.model.comparisons.filter(\.termFrequencies).map(\.kind)
        let fingerprint = LinkKeys.fingerprint(rules: job.blocking.rules, termFrequencyKinds: termFrequencyKinds)
        let linkKeys = outcome.loaded.records.map { record in
            (record.key, LinkKeys(record, rules: job.blocking.rules, termFrequencyKinds: termFrequencyKinds).encoded(fingerprint: fingerprint))
        }
        let applied = try store.applyPersons(outcome.personGroups, model: outcome.model, settings: settings, reason: reason, actor: actor,
                                             scope: nil, scopePersonsWhenRead: [], linkKeys: linkKeys, review: .replaceAll(reviewEntries(of: outcome)))
        report(applied, incremental: false)
        return Result(outcome: outcome, applied: applied, incremental: false)
    }

    private func reviewEntries(of outcome: LinkOutcome) -> [ReviewEntry] {
        let records = outcome.loaded.records
        return outcome.clusters.review.map { item in
            ReviewEntry(left: records[Int(item.pair.i)].key, right: records[Int(item.pair.j)].key,
                                      matchWeight: item.pair.weight, probability: item.pair.probability, reason: item.reason.rawValue)
        }
    }

    private func report(_ applied: LinkApplySummary, incremental: Bool) {
        // An incremental run sees only the persons of its scope: say so, lest the count read as the store's.
        let persons = incremental ? "\(applied.persons) persons re-examined" : "\(applied.persons) persons"
        run.progress.step("store: \(persons); \(applied.kept) ids kept, \(applied.minted) minted, \(applied.merged) merged, "
                          + "\(applied.split) split; \(applied.recordsMoved) records moved; model version \(applied.modelVersion)")
    }
}

extension LinkageJob {
    /// A job for re-linking a store with the settings and comparisons of its last run: the store holds
    /// the records, so no sources; training and outputs take their defaults.
    public init(storeSettings settings: LinkSettings, model: LinkageModel) {
        self.init(sources: [], blocking: .init(rules: settings.rules, maximumBlockSize: settings.maximumBlockSize),
                  comparisons: model.comparisons.map(\.kind), thresholds: settings.thresholds)
    }
}
