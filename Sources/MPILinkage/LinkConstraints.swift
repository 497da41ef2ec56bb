public import MPICore
public import MPIStore

/// What the clustering must honour beyond the scores: steward decisions (linked pairs stay together,
/// unlinked pairs apart) and, in an incremental run, the persons it may not take apart.
public struct LinkConstraints: Sendable {
    public var link: [(RecordKey, RecordKey)] = []
    public var unlink: [(RecordKey, RecordKey)] = []
    /// When set, only candidate pairs with at least one of these records are scored (an incremental
    /// run: new and changed records against everything already there).
    public var onlyPairsTouching: Set<RecordKey>? = nil

    public init() {}

    /// The stewards' link and unlink decisions; "not sure" binds nothing.
    public init(decisions: [StewardDecision]) {
        for decision in decisions {
            switch decision.kind {
            case .link: link.append((decision.left, decision.right))
            case .unlink: unlink.append((decision.left, decision.right))
            case .notSure: break
            }
        }
    }

    /// An incremental run: only pairs touching `pending` are scored, and every other record stays in
    /// the person it is in (`persons`), held there by a chain of must-link pairs.
    public mutating func linkOnly(_ pending: Set<RecordKey>, keeping persons: [RecordKey: EnterpriseID]) {
        onlyPairsTouching = pending
        var byPerson: [EnterpriseID: [RecordKey]] = [:]
        for (key, id) in persons where !pending.contains(key) { byPerson[id, default: []].append(key) }
        for members in byPerson.values {
            let sorted = members.sorted()
            for index in sorted.indices.dropFirst() { link.append((sorted[index - 1], sorted[index])) }
        }
    }
}
