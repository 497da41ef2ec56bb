/// Nickname and spelling-variant groups for forenames (Data/forename-variants.csv). A name may be in
/// several groups (BILL is a WILLIAM and a ROBERT); two forenames are variants of each other when they
/// share a group.
public struct ForenameVariants: Sendable {
    /// Group ids of each name; ids are indexes into `groupNames`.
    private let groupsByName: [String: [Int32]]
    /// The canonical forename of each group.
    public let groupNames: [String]

    public init(groups: [String: Set<String>]) {
        var groupNames: [String] = []
        var groupsByName: [String: [Int32]] = [:]
        for (canonical, members) in groups.sorted(by: { $0.key < $1.key }) {
            let id = Int32(groupNames.count)
            groupNames.append(canonical)
            for name in members.union([canonical]) { groupsByName[name, default: []].append(id) }
        }
        self.groupNames = groupNames
        self.groupsByName = groupsByName
    }

    /// Parses the CSV format of Data/forename-variants.csv: a `group,name` header, then one row per member.
    public init(csv: String) throws(Rejection) {
        var groups: [String: Set<String>] = [:]
        for (index, line) in csv.split(whereSeparator: \.isNewline).enumerated() {
            if index == 0 { continue }
            let fields = line.split(separator: ",", omittingEmptySubsequences: false)
            guard fields.count == 2, !fields[0].isEmpty, !fields[1].isEmpty else {
                throw Rejection(.forenameVariantsFormat, "line \(index + 1) of the forename variants is not group,name")
            }
            groups[String(fields[0]), default: []].insert(String(fields[1]))
        }
        self.init(groups: groups)
    }

    /// The canonical forenames whose groups hold `name` (normalised, upper case); empty if none.
    public func groups(of name: String) -> [String] {
        (groupsByName[name] ?? []).map { groupNames[Int($0)] }
    }

    /// Sorted ids of the groups holding `name`, for a merge-style intersection test in the pair loop.
    public func groupIds(of name: String) -> [Int32] {
        (groupsByName[name] ?? []).sorted()
    }

    /// True when the two forenames share a nickname or spelling-variant group.
    public func areVariants(_ a: String, _ b: String) -> Bool {
        guard let first = groupsByName[a], let second = groupsByName[b] else { return false }
        return first.contains { second.contains($0) }
    }

    public var isEmpty: Bool { groupNames.isEmpty }
}
