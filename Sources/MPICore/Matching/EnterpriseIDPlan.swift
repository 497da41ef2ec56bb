/// How a link run's persons get their enterprise ids: which ids are kept, which persons are merged
/// into another (the old id then redirects), which are split off and which are new. Computed from the
/// run's groups and the records' current ids alone, so the rules are tested without a database; the
/// store only carries the plan out (and mints the new ids, which must never repeat one it ever used).
///
/// The rules, so ids stay as stable as the data allows:
/// - each group keeps the id most of its records already had (ties: the older id);
/// - an id claimed by several groups stays with the group holding most of its records (a split); the
///   others keep their own best id or get a new one, recorded as split from it;
/// - an id whose records all went to groups with other ids is retired into the id that took most of
///   them (a merge);
/// - a group with no earlier id gets a new one.
public struct EnterpriseIDPlan: Sendable, Hashable {
    public enum Decision: Sendable, Hashable {
        /// The group keeps this id.
        case keep(EnterpriseID)
        /// The group gets a new id. `splitFrom` lists the persons its records came from, oldest id
        /// first by value; empty for a new person.
        case mint(splitFrom: [EnterpriseID])
    }

    /// A person no group kept, retired into the group that took most of its records.
    public struct Merge: Sendable, Hashable {
        public let retired: EnterpriseID
        public let intoGroup: Int

        public init(retired: EnterpriseID, intoGroup: Int) {
            self.retired = retired
            self.intoGroup = intoGroup
        }
    }

    /// One decision per group, in group order.
    public var decisions: [Decision]
    /// In order of the retired id.
    public var merges: [Merge]

    /// The ids kept.
    public var kept: Int { decisions.filter { if case .keep = $0 { true } else { false } }.count }

    /// - Parameters:
    ///   - groups: the run's persons, as record keys.
    ///   - current: the id each record has now (records without one are new).
    ///   - creationOrder: for the ids that compete (one group overlapping several ids, or one id several
    ///     groups), a number that is smaller for an older id; asked only for those, as the store must
    ///     look each up.
    public static func plan<Failure: Error>(groups: [[RecordKey]], current: [RecordKey: EnterpriseID],
                                            creationOrder: (Set<EnterpriseID>) throws(Failure) -> [EnterpriseID: Int64]) throws(Failure) -> EnterpriseIDPlan {
        // Overlaps between groups and current ids, strongest first (the older id breaks ties).
        var overlaps: [(group: Int, id: EnterpriseID, count: Int)] = []
        for (index, group) in groups.enumerated() {
            var counts: [EnterpriseID: Int] = [:]
            for key in group { if let id = current[key] { counts[id, default: 0] += 1 } }
            for (id, count) in counts { overlaps.append((index, id, count)) }
        }
        var groupsOfId: [EnterpriseID: Int] = [:], idsOfGroup: [Int: Int] = [:]
        for overlap in overlaps { groupsOfId[overlap.id, default: 0] += 1; idsOfGroup[overlap.group, default: 0] += 1 }
        let competing = overlaps.filter { groupsOfId[$0.id]! > 1 || idsOfGroup[$0.group]! > 1 }.map(\.id)
        let order = try creationOrder(Set(competing))
        overlaps.sort { a, b in
            if a.count != b.count { return a.count > b.count }
            let oa = order[a.id] ?? .max, ob = order[b.id] ?? .max
            if oa != ob { return oa < ob }
            return (a.id, a.group) < (b.id, b.group)
        }
        var idOfGroup = [EnterpriseID?](repeating: nil, count: groups.count)
        var groupOfId: [EnterpriseID: Int] = [:]
        for overlap in overlaps where idOfGroup[overlap.group] == nil && groupOfId[overlap.id] == nil {
            idOfGroup[overlap.group] = overlap.id
            groupOfId[overlap.id] = overlap.group
        }
        let decisions = groups.indices.map { index in
            idOfGroup[index].map(Decision.keep) ?? .mint(splitFrom: Set(groups[index].compactMap { current[$0] }).sorted())
        }

        // Ids no group kept: merged into the group that took most of their records.
        var groupOfKey: [RecordKey: Int] = [:]
        for (index, group) in groups.enumerated() { for key in group { groupOfKey[key] = index } }
        var recordsOfId: [EnterpriseID: [RecordKey]] = [:]
        for (key, id) in current where groupOfId[id] == nil { recordsOfId[id, default: []].append(key) }
        var merges: [Merge] = []
        for (id, keys) in recordsOfId.sorted(by: { $0.key < $1.key }) {
            var destinations: [Int: Int] = [:]
            for key in keys { if let group = groupOfKey[key] { destinations[group, default: 0] += 1 } }
            // Most records; between equals, the group keeping the smallest id, then a new person's group.
            guard let target = destinations.max(by: { a, b in
                a.value != b.value ? a.value < b.value : Self.tieOrder(a.key, idOfGroup) > Self.tieOrder(b.key, idOfGroup)
            })?.key else { continue }
            merges.append(Merge(retired: id, intoGroup: target))
        }
        return EnterpriseIDPlan(decisions: decisions, merges: merges)
    }

    private static func tieOrder(_ group: Int, _ idOfGroup: [EnterpriseID?]) -> (UInt64, Int) {
        (idOfGroup[group]?.value ?? .max, group)
    }
}
