/// The fields the model compares. A closed set, switched on inside the pair loop (an enum is several
/// times faster than protocol dispatch there, and it serialises into the model file).
public enum ComparisonKind: Sendable, Hashable, Codable, CustomStringConvertible {
    case nhsNumber
    case forename
    case surname
    case dateOfBirth
    case sex
    case postcode
    case address
    case phone
    /// A field outside the NHS set compared exactly.
    case exactField(String)
    /// A field outside the NHS set compared with Jaro-Winkler levels.
    case fuzzyField(String)
    /// A field outside the NHS set that identifies one person, as a national id does: no two people
    /// share a value. Compared exactly, with a level for one typing error; its exact agreement lifts the
    /// twin safeguard and, with the date of birth, the placeholder veto, as an NHS number's does.
    case identifier(String)

    /// The text form in job and model files: the name, or "exact(FIELD)" / "fuzzy(FIELD)".
    public var description: String {
        switch self {
        case .exactField(let field): "exact(\(field))"
        case .fuzzyField(let field): "fuzzy(\(field))"
        case .identifier(let field): "identifier(\(field))"
        default: name
        }
    }

    public static let textForms = ["nhs_number", "forename", "surname", "date_of_birth", "sex", "postcode", "address", "phone",
                                   "exact(FIELD)", "fuzzy(FIELD)", "identifier(FIELD)"]

    public init?(parsing text: String) {
        let trimmed = String(text.filter { $0 != " " })
        let simple: [String: ComparisonKind] = [
            "nhs_number": .nhsNumber, "forename": .forename, "surname": .surname, "date_of_birth": .dateOfBirth,
            "sex": .sex, "postcode": .postcode, "address": .address, "phone": .phone,
        ]
        if let kind = simple[trimmed] { self = kind; return }
        for (prefix, make) in [("exact(", ComparisonKind.exactField), ("fuzzy(", ComparisonKind.fuzzyField),
                               ("identifier(", ComparisonKind.identifier)]
            where trimmed.hasPrefix(prefix) && trimmed.hasSuffix(")") && trimmed.count > prefix.count + 1 {
            self = make(String(trimmed.dropFirst(prefix.count).dropLast()))
            return
        }
        return nil
    }

    public init(from decoder: any Decoder) throws {
        let text = try decoder.singleValueContainer().decode(String.self)
        guard let kind = ComparisonKind(parsing: text) else {
            throw DecodingError.dataCorrupted(.init(codingPath: decoder.codingPath, debugDescription:
                "unknown comparison \"\(text)\"; expected one of " + ComparisonKind.textForms.joined(separator: ", ")))
        }
        self = kind
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        try container.encode(description)
    }

    /// The comparison's name in outputs (column names of pairs.csv, explanations).
    public var name: String {
        switch self {
        case .nhsNumber: "nhs_number"
        case .forename: "forename"
        case .surname: "surname"
        case .dateOfBirth: "date_of_birth"
        case .sex: "sex"
        case .postcode: "postcode"
        case .address: "address"
        case .phone: "phone"
        case .exactField(let field), .fuzzyField(let field), .identifier(let field): field
        }
    }

    /// The field outside the NHS set this comparison reads, if any.
    public var otherField: String? {
        switch self {
        case .exactField(let field), .fuzzyField(let field), .identifier(let field): field
        default: nil
        }
    }

    /// No two people share this comparison's exact value: twins never share an NHS number.
    public var isUniqueIdentifier: Bool {
        switch self {
        case .nhsNumber, .identifier: true
        default: false
        }
    }

    /// Level labels, most specific first. Level 0 (not listed) is always the null level: one side has
    /// no value, and the comparison contributes nothing. The last level is always "else".
    public var levelLabels: [String] {
        switch self {
        case .nhsNumber:
            ["exact, verified", "exact", "one digit or transposition", "else"]
        case .forename:
            ["exact", "preferred name", "nickname group", "Jaro-Winkler >= 0.92", "Jaro-Winkler >= 0.88",
             "same Double Metaphone", "initial", "forename/middle swapped", "else"]
        case .surname:
            ["exact", "one part of a double-barrelled name", "previous surname", "Jaro-Winkler >= 0.92",
             "Jaro-Winkler >= 0.88", "same Double Metaphone", "forename/surname swapped", "else"]
        case .dateOfBirth:
            ["exact", "day and month transposed", "one digit different", "same year and month", "within a year", "else"]
        case .sex:
            ["exact", "else"]
        case .postcode:
            ["full", "sector", "district", "area", "else"]
        case .address:
            ["house number and street", "street", "else"]
        case .phone:
            ["exact", "else"]
        case .exactField:
            ["exact", "else"]
        case .fuzzyField:
            ["exact", "Jaro-Winkler >= 0.92", "Jaro-Winkler >= 0.80", "else"]
        case .identifier:
            ["exact", "one character different or transposed", "else"]
        }
    }

    /// Number of levels including the null level.
    public var levelCount: Int { levelLabels.count + 1 }

    /// The level of agreement on this field between two records: 0 for null, then 1...
    public func level(_ a: MatchRecord, _ b: MatchRecord) -> UInt8 {
        switch self {
        case .exactField(let field): Levels.exact(a.otherFields[field] ?? [], b.otherFields[field] ?? [])
        case .fuzzyField(let field): Levels.fuzzy(a.otherFields[field] ?? [], b.otherFields[field] ?? [])
        case .identifier(let field): Levels.identifier(a.otherFields[field] ?? [], b.otherFields[field] ?? [])
        default: StandardComparison(self)!.level(a, b)
        }
    }

    /// The value whose frequency adjusts the exact level's weight, for comparisons with term
    /// frequencies (a common surname agreeing is weaker evidence than a rare one).
    public func termFrequencyValue(_ record: MatchRecord) -> [UInt8]? {
        switch self {
        case .forename: record.given.isEmpty || record.isPlaceholder ? nil : record.given
        case .surname: record.family.isEmpty || record.isPlaceholder ? nil : record.family
        case .postcode: record.postcodeUnit.isEmpty ? nil : record.postcodeUnit
        default: nil
        }
    }

    /// Comparisons for which term-frequency adjustment is on by default.
    public var usesTermFrequencies: Bool {
        switch self {
        case .forename, .surname, .postcode: true
        default: false
        }
    }
}

/// The comparisons of the NHS set, as a tag without a payload. The pair loops dispatch on it: a
/// `ComparisonKind` carries a field name for the other kinds, so each copy of one is a reference count,
/// and a release inside the loop made the compiler retain both records of every pair as well.
enum StandardComparison: UInt8, Sendable {
    case nhsNumber, forename, surname, dateOfBirth, sex, postcode, address, phone

    init?(_ kind: ComparisonKind) {
        switch kind {
        case .nhsNumber: self = .nhsNumber
        case .forename: self = .forename
        case .surname: self = .surname
        case .dateOfBirth: self = .dateOfBirth
        case .sex: self = .sex
        case .postcode: self = .postcode
        case .address: self = .address
        case .phone: self = .phone
        case .exactField, .fuzzyField, .identifier: return nil
        }
    }

    @inline(__always)
    func level(_ a: MatchRecord, _ b: MatchRecord) -> UInt8 {
        switch self {
        case .nhsNumber: Levels.nhsNumber(a, b)
        case .forename: Levels.forename(a, b)
        case .surname: Levels.surname(a, b)
        case .dateOfBirth: Levels.dateOfBirth(a, b)
        case .sex: Levels.sex(a, b)
        case .postcode: Levels.postcode(a, b)
        case .address: Levels.address(a, b)
        case .phone: Levels.exact(a.phone, b.phone)
        }
    }
}

/// The level rules, one function per comparison. Each returns the first level that holds.
enum Levels {
    static func exact(_ a: [UInt8], _ b: [UInt8]) -> UInt8 {
        if a.isEmpty || b.isEmpty { return 0 }
        return a == b ? 1 : 2
    }

    static func fuzzy(_ a: [UInt8], _ b: [UInt8]) -> UInt8 {
        if a.isEmpty || b.isEmpty { return 0 }
        if a == b { return 1 }
        let similarity = Jaro.winklerSimilarity(a, b)
        if similarity >= 0.92 { return 2 }
        if similarity >= 0.80 { return 3 }
        return 4
    }

    static func identifier(_ a: [UInt8], _ b: [UInt8]) -> UInt8 {
        if a.isEmpty || b.isEmpty { return 0 }
        if a == b { return 1 }
        return EditDistance.optimalStringAlignment(a, b) == 1 ? 2 : 3
    }

    static func nhsNumber(_ a: MatchRecord, _ b: MatchRecord) -> UInt8 {
        guard let x = a.nhsNumber, let y = b.nhsNumber else { return 0 }
        if x == y { return a.nhsNumberVerified && b.nhsNumberVerified ? 1 : 2 }
        return isOneDigitOrTransposition(x, y) ? 3 : 4
    }

    /// Ten-digit numbers that differ in one digit, or by two adjacent digits swapped.
    static func isOneDigitOrTransposition(_ x: UInt64, _ y: UInt64) -> Bool {
        var a = x, b = y
        var differing = 0
        var first = -1, second = -1
        var firstDigits: (UInt64, UInt64) = (0, 0), secondDigits: (UInt64, UInt64) = (0, 0)
        for position in 0..<10 {
            if a % 10 != b % 10 {
                differing += 1
                if differing > 2 { return false }
                if first < 0 { first = position; firstDigits = (a % 10, b % 10) } else { second = position; secondDigits = (a % 10, b % 10) }
            }
            a /= 10
            b /= 10
        }
        if differing == 1 { return true }
        return differing == 2 && second == first + 1 && firstDigits.0 == secondDigits.1 && firstDigits.1 == secondDigits.0
    }

    static func forename(_ a: MatchRecord, _ b: MatchRecord) -> UInt8 {
        if a.isPlaceholder || b.isPlaceholder || a.given.isEmpty || b.given.isEmpty { return 0 }
        if a.given == b.given { return 1 }
        if (!a.preferredGiven.isEmpty && (a.preferredGiven == b.given || a.preferredGiven == b.preferredGiven))
            || (!b.preferredGiven.isEmpty && b.preferredGiven == a.given) {
            return 2
        }
        if sharesGroup(a.givenGroups, b.givenGroups) { return 3 }
        let similarity = Jaro.winklerSimilarity(a.given, b.given)
        if similarity >= 0.92 { return 4 }
        if similarity >= 0.88 { return 5 }
        if metaphonesMeet(a.givenMetaphone, a.givenMetaphoneAlternate, b.givenMetaphone, b.givenMetaphoneAlternate) { return 6 }
        if a.given.count == 1 || b.given.count == 1, a.given[0] == b.given[0] { return 7 }
        if a.middle.contains(b.given) || b.middle.contains(a.given) { return 8 }
        return 9
    }

    static func surname(_ a: MatchRecord, _ b: MatchRecord) -> UInt8 {
        if a.isPlaceholder || b.isPlaceholder || a.family.isEmpty || b.family.isEmpty { return 0 }
        if a.family == b.family { return 1 }
        if a.familyParts.contains(b.family) || b.familyParts.contains(a.family)
            || a.familyParts.contains(where: { b.familyParts.contains($0) }) {
            return 2
        }
        if a.previousFamily.contains(b.family) || b.previousFamily.contains(a.family) { return 3 }
        let similarity = Jaro.winklerSimilarity(a.family, b.family)
        if similarity >= 0.92 { return 4 }
        if similarity >= 0.88 { return 5 }
        if metaphonesMeet(a.familyMetaphone, a.familyMetaphoneAlternate, b.familyMetaphone, b.familyMetaphoneAlternate) { return 6 }
        if similarAcross(a.given, b.family), similarAcross(a.family, b.given) { return 7 }
        return 8
    }

    /// A forename and a surname written in each other's column are the same name, but for a typing
    /// error: equal, or Jaro-Winkler at least 0.88 (the surname's own lowest similarity level).
    static func similarAcross(_ x: [UInt8], _ y: [UInt8]) -> Bool {
        guard x.count >= 2, y.count >= 2 else { return false }
        return x == y || Jaro.winklerSimilarity(x, y) >= 0.88
    }

    /// One record's forename is the other's surname (or the reverse), but for a typing error: the
    /// columns were swapped on one side, whatever else was changed.
    static func namesCrossAgree(_ a: MatchRecord, _ b: MatchRecord) -> Bool {
        similarAcross(a.given, b.family) || similarAcross(a.family, b.given)
    }

    static func dateOfBirth(_ a: MatchRecord, _ b: MatchRecord) -> UInt8 {
        guard let x = a.dateOfBirth, let y = b.dateOfBirth else { return 0 }
        if x.precision == .day, y.precision == .day {
            if x == y { return 1 }
            if DateSimilarity.isDayMonthTransposed(x, y) { return 2 }
            if DateSimilarity.differsByOneDigit(x, y) { return 3 }
            if x.year == y.year, x.month == y.month { return 4 }
            return DateSimilarity.daysApart(x, y) <= 365 ? 5 : 6
        }
        // A partial date agrees at most to its own precision: compared at the coarser of the two.
        if x.year != y.year { return abs(x.year - y.year) <= 1 ? 5 : 6 }
        // Same year, and one date knows no more than the year: nothing either way (null), never the
        // "within a year" level, whose weight is strongly against a match.
        if x.precision == .year || y.precision == .year { return 0 }
        return x.month == y.month ? 4 : 5
    }

    static func sex(_ a: MatchRecord, _ b: MatchRecord) -> UInt8 {
        guard let x = a.sex, let y = b.sex else { return 0 }
        return x == y ? 1 : 2
    }

    static func postcode(_ a: MatchRecord, _ b: MatchRecord) -> UInt8 {
        if a.postcodeUnit.isEmpty || b.postcodeUnit.isEmpty { return 0 }
        if a.postcodeUnit == b.postcodeUnit { return 1 }
        if a.postcodeSector == b.postcodeSector { return 2 }
        if a.postcodeDistrict == b.postcodeDistrict { return 3 }
        if a.postcodeArea == b.postcodeArea { return 4 }
        return 5
    }

    static func address(_ a: MatchRecord, _ b: MatchRecord) -> UInt8 {
        if a.street.isEmpty || b.street.isEmpty { return 0 }
        let sameStreet = a.street == b.street || Jaro.winklerSimilarity(a.street, b.street) >= 0.92
        if sameStreet, !a.houseNumber.isEmpty, a.houseNumber == b.houseNumber { return 1 }
        return sameStreet ? 2 : 3
    }

    static func sharesGroup(_ a: [Int32], _ b: [Int32]) -> Bool {
        guard !a.isEmpty, !b.isEmpty else { return false }
        var i = 0, j = 0
        while i < a.count, j < b.count {
            if a[i] == b[j] { return true }
            if a[i] < b[j] { i += 1 } else { j += 1 }
        }
        return false
    }

    static func metaphonesMeet(_ a: [UInt8], _ aAlternate: [UInt8], _ b: [UInt8], _ bAlternate: [UInt8]) -> Bool {
        guard !a.isEmpty, !b.isEmpty else { return false }
        return a == b || a == bAlternate || aAlternate == b || (!aAlternate.isEmpty && aAlternate == bAlternate)
    }
}
