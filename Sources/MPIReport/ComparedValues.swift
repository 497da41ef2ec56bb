public import MPICore

/// What a comparison looked at in a record, as text for an explanation: the normalised value, not
/// the raw one (the raw row is in the store for those allowed to see it).
public enum ComparedValues {
    public static func text(_ kind: ComparisonKind, _ record: MatchRecord) -> String {
        func string(_ bytes: [UInt8]) -> String { String(decoding: bytes, as: UTF8.self) }
        if record.isPlaceholder, [.forename, .surname].contains(kind) { return "(placeholder name)" }
        switch kind {
        case .nhsNumber:
            return record.nhsNumber.map(NHSNumber.digits(of:)) ?? ""
        case .forename: return ([record.given] + record.middle).map(string).filter { !$0.isEmpty }.joined(separator: " ")
        case .surname:
            let previous = record.previousFamily.map(string).filter { !$0.isEmpty }
            return string(record.family) + (previous.isEmpty ? "" : " (was " + previous.joined(separator: ", ") + ")")
        case .dateOfBirth: return record.dateOfBirth?.description ?? ""
        case .sex: return record.sex?.rawValue ?? ""
        case .postcode: return string(record.postcodeUnit)
        case .address: return [string(record.houseNumber), string(record.street)].filter { !$0.isEmpty }.joined(separator: " ")
        case .phone: return string(record.phone)
        case .exactField(let field), .fuzzyField(let field), .identifier(let field): return string(record.otherFields[field] ?? [])
        }
    }
}
