import MPICore
import Testing

/// The rules that keep enterprise ids stable across link runs, checked on the plan alone.
@Suite struct EnterpriseIDPlanTests {
    private func key(_ id: String) -> RecordKey { RecordKey(source: "RAS", recordId: id) }
    private let a = EnterpriseID(value: 100), b = EnterpriseID(value: 200), c = EnterpriseID(value: 300)

    private func plan(_ groups: [[String]], _ current: [String: EnterpriseID], order: [EnterpriseID: Int64] = [:]) -> EnterpriseIDPlan {
        var keyed: [RecordKey: EnterpriseID] = [:]
        for (record, id) in current { keyed[key(record)] = id }
        return EnterpriseIDPlan.plan(groups: groups.map { $0.map(key) }, current: keyed) { ids in order.filter { ids.contains($0.key) } }
    }

    @Test func unchangedPersonsKeepTheirIdsAndNewOnesAreMinted() {
        let result = plan([["1", "2"], ["3"], ["4"]], ["1": a, "2": a, "3": b])
        #expect(result.decisions == [.keep(a), .keep(b), .mint(splitFrom: [])])
        #expect(result.merges.isEmpty)
        #expect(result.kept == 2)
    }

    /// Two persons linked into one: the larger keeps its id, the other is retired into it.
    @Test func aMergeKeepsTheLargerPersonsIdAndRetiresTheOther() {
        let result = plan([["1", "2", "3"]], ["1": a, "2": b, "3": b])
        #expect(result.decisions == [.keep(b)])
        #expect(result.merges == [EnterpriseIDPlan.Merge(retired: a, intoGroup: 0)])
    }

    /// Equal overlaps: the older id (smaller creation order) is kept, whatever the values.
    @Test func betweenEqualOverlapsTheOlderIdIsKept() {
        let result = plan([["1", "2"]], ["1": a, "2": b], order: [a: 50, b: 7])
        #expect(result.decisions == [.keep(b)])
        #expect(result.merges == [EnterpriseIDPlan.Merge(retired: a, intoGroup: 0)])
    }

    /// One person taken apart: the group with most of its records keeps the id, the other is a split.
    @Test func aSplitKeepsTheIdWithTheLargerPartAndMintsForTheRest() {
        let result = plan([["1", "2"], ["3"]], ["1": a, "2": a, "3": a])
        #expect(result.decisions == [.keep(a), .mint(splitFrom: [a])])
        #expect(result.merges.isEmpty)
    }

    /// A group made of records of two persons that both stay elsewhere is minted, split from both.
    @Test func aGroupDrawnFromTwoPersonsThatStayIsSplitFromBoth() {
        let result = plan([["1", "2"], ["3", "4"], ["5", "6"]], ["1": a, "2": a, "3": b, "4": b, "5": a, "6": b])
        #expect(result.decisions == [.keep(a), .keep(b), .mint(splitFrom: [a, b])])
        #expect(result.merges.isEmpty)
    }

    /// A person whose records all went to other persons is retired into the one that took most of them.
    @Test func aDissolvedPersonIsRetiredIntoTheGroupThatTookMost() {
        let result = plan([["1", "2", "3", "4"], ["5", "6", "7"]], ["1": a, "2": a, "3": a, "4": c, "5": b, "6": b, "7": c])
        #expect(result.decisions == [.keep(a), .keep(b)])
        #expect(result.merges == [EnterpriseIDPlan.Merge(retired: c, intoGroup: 0)])
    }

    /// Asking the store for creation order costs a query per id: only competing ids are asked about.
    @Test func onlyCompetingIdsAreLookedUp() {
        var asked: Set<EnterpriseID> = []
        _ = EnterpriseIDPlan.plan(groups: [[key("1")], [key("2"), key("3")]], current: [key("1"): a, key("2"): b, key("3"): c]) { ids in
            asked = ids
            return [:]
        }
        #expect(asked == [b, c])
    }
}
