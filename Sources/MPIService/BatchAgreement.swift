import Foundation
public import MPICore
public import MPINormalize
public import MPIStore

/// How real-time registration agrees with batch linkage on the same records (`mpi agreement`): a copy
/// of a linked store forgets its persons, then every record is placed one at a time, in a shuffled
/// order, through the service's own registration path (same model, settings, term frequencies and
/// safeguards). Batch persons are the reference; real-time persons the prediction. The store itself
/// is not changed.
public struct BatchAgreement: Sendable {
    public struct Report: Sendable, Encodable {
        public let records: Int, batchPersons: Int, realTimePersons: Int
        public let pairwisePrecision: Double, pairwiseRecall: Double, pairwiseF1: Double
        public let bCubedPrecision: Double, bCubedRecall: Double
        /// Pairs real time linked and batch did not (false merges, against batch), and the reverse.
        public let pairsOnlyRealTimeLinked: Int, pairsOnlyBatchLinked: Int
        public let reviewItems: Int
        public let seed: UInt64, seconds: Double
    }

    public let store: IdentityStore
    public let builder: MatchRecordBuilder
    public let today: CalendarDate

    public init(store: IdentityStore, builder: MatchRecordBuilder, today: CalendarDate) {
        self.store = store
        self.builder = builder
        self.today = today
    }

    public func measure(seed: UInt64) throws -> Report {
        let batch = try store.memberships()
        guard !batch.isEmpty else { throw ServiceError(.notReady, "the store has no persons: run `mpi link JOB --db DB` first") }
        let scratch = FileManager.default.temporaryDirectory.appendingPathComponent("mpi-agreement-\(UUID().uuidString).sqlite").path
        defer { IdentityStore.remove(at: scratch) }   // the copy and its lookup log, with their WAL files
        try store.copy(to: scratch)
        let copy = try IdentityStore(path: scratch)
        try copy.forgetMembershipsForReplay()
        let index = try IdentityIndex(store: copy, builder: builder, today: today)

        var order = batch.keys.sorted()
        var generator = SplitMix64(seed: seed)
        for position in order.indices.reversed() { order.swapAt(position, Int(generator.next() % UInt64(position + 1))) }
        let started = ContinuousClock.now
        var realTime: [RecordKey: EnterpriseID] = [:]
        for key in order { realTime[key] = try index.replay(key, actor: "agreement") }
        let elapsed = ContinuousClock.now - started

        func numbered(_ ids: [EnterpriseID]) -> [Int] {
            var numbers: [EnterpriseID: Int] = [:]
            return ids.map { id in
                if let number = numbers[id] { return number }
                numbers[id] = numbers.count
                return numbers.count - 1
            }
        }
        let keys = order.sorted()
        let truth = numbered(keys.map { batch[$0]! }), predicted = numbered(keys.map { realTime[$0]! })
        let metrics = Evaluation.evaluate(truth: truth, predicted: predicted)
        return Report(records: keys.count, batchPersons: Set(truth).count, realTimePersons: Set(predicted).count,
                      pairwisePrecision: metrics.precision, pairwiseRecall: metrics.recall, pairwiseF1: metrics.f1,
                      bCubedPrecision: metrics.bCubedPrecision, bCubedRecall: metrics.bCubedRecall,
                      pairsOnlyRealTimeLinked: metrics.falseMergePairs, pairsOnlyBatchLinked: metrics.missedPairs,
                      reviewItems: try copy.reviewQueue(limit: Int.max).count, seed: seed,
                      seconds: Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18)
    }
}
