public import MPICore

/// Sex and gender codes to `Sex`. "Not known" codes give nil (no evidence); a code nobody mapped is
/// an error, never a guess.
public struct SexNormalizer: Sendable {
    /// What a code means: a value, or explicitly unknown.
    public enum Meaning: String, Sendable, Hashable, Codable {
        case male, female, indeterminate, other, unknown

        var sex: Sex? {
            switch self {
            case .male: .male
            case .female: .female
            case .indeterminate: .indeterminate
            case .other: .other
            case .unknown: nil
            }
        }
    }

    /// Codes understood without configuration. Where the NHS lists disagree the safer reading wins:
    /// "9" is "Not specified" in the older PERSON GENDER CODE and "Indeterminate" in PERSON STATED
    /// GENDER CODE, so by default it is unknown (no evidence); a source that uses the current list
    /// maps "9" to indeterminate in its job file. "X" is "Not known" in the current NHS list.
    public static let defaultCodes: [String: Meaning] = [
        "M": .male, "MALE": .male, "1": .male, "MAN": .male,
        "F": .female, "FEMALE": .female, "2": .female, "WOMAN": .female,
        "I": .indeterminate, "INDETERMINATE": .indeterminate, "A": .indeterminate, "AMBIGUOUS": .indeterminate,
        "INTERSEX": .indeterminate,
        "O": .other, "OTHER": .other, "NONBINARY": .other, "NON-BINARY": .other,
        "U": .unknown, "UNKNOWN": .unknown, "NOT KNOWN": .unknown, "NOTKNOWN": .unknown, "0": .unknown,
        "9": .unknown, "X": .unknown, "N": .unknown, "NOT SPECIFIED": .unknown, "NOT STATED": .unknown,
        "NOT RECORDED": .unknown, "NK": .unknown, "NS": .unknown,
    ]

    private let codes: [String: Meaning]

    /// - Parameter sourceCodes: a source's own codes, which take precedence over the defaults.
    public init(sourceCodes: [String: Meaning] = [:]) {
        var codes = Self.defaultCodes
        for (code, meaning) in sourceCodes { codes[Self.key(code)] = meaning }
        self.codes = codes
    }

    public func normalize(_ raw: String) throws(Rejection) -> Sex? {
        let key = Self.key(raw)
        guard !key.isEmpty else { return nil }
        guard let meaning = codes[key] else {
            throw Rejection(.unmappedCode, "this sex code is not mapped; add it to the source's sex codes")
        }
        return meaning.sex
    }

    private static func key(_ raw: String) -> String {
        LatinFolding.uppercasedCollapsingSpaces(raw)
    }
}
