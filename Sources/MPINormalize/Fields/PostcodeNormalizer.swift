public import MPICore

/// UK postcodes by the Royal Mail format rules, plus the NHS ZZ99 pseudo-postcodes.
public enum PostcodeNormalizer {
    public static func normalize(_ raw: String) throws(Rejection) -> Postcode {
        var compact = [UInt8]()
        for byte in raw.utf8 {
            switch byte {
            case UInt8(ascii: "a")...UInt8(ascii: "z"): compact.append(byte - 0x20)
            case UInt8(ascii: "A")...UInt8(ascii: "Z"), UInt8(ascii: "0")...UInt8(ascii: "9"): compact.append(byte)
            case UInt8(ascii: " "), UInt8(ascii: "\t"), 0xA0, 0xC2: continue   // NBSP arrives as C2 A0
            default:
                throw Rejection("character", "a postcode has letters, digits and spaces only")
            }
        }
        guard !compact.isEmpty else { throw Rejection("empty", "no postcode given") }
        guard (5...7).contains(compact.count) else {
            throw Rejection("length", "a postcode has 5 to 7 letters and digits, this has \(compact.count)")
        }
        let outward = Array(compact.dropLast(3))
        let inward = Array(compact.suffix(3))
        let unit = String(decoding: outward, as: UTF8.self) + " " + String(decoding: inward, as: UTF8.self)

        if let pseudo = pseudoPostcode(outward: outward, inward: inward) {
            return Postcode(unit: unit, pseudo: pseudo)
        }
        if unit == "GIR 0AA" { return Postcode(unit: unit) }
        guard isValidInward(inward) else {
            throw Rejection("format", "the inward code must be a digit and two letters (not C, I, K, M, O or V)")
        }
        guard isValidOutward(outward) else {
            throw Rejection("format", "the outward code is not a UK format (A9, A99, AA9, AA99, A9A or AA9A)")
        }
        return Postcode(unit: unit)
    }

    /// ZZ99 3VZ no fixed abode, ZZ99 3WZ not known, other ZZ99 nXZ codes a country of residence.
    static func pseudoPostcode(outward: [UInt8], inward: [UInt8]) -> PseudoPostcode? {
        guard outward == Array("ZZ99".utf8), inward.count == 3, isDigit(inward[0]), isLetter(inward[1]),
              inward[2] == UInt8(ascii: "Z") else { return nil }
        switch inward {
        case Array("3VZ".utf8): return .noFixedAbode
        case Array("3WZ".utf8): return .notKnown
        default: return .countryOfResidence
        }
    }

    private static func isValidInward(_ inward: [UInt8]) -> Bool {
        let forbidden: Set<UInt8> = Set("CIKMOV".utf8)
        return isDigit(inward[0]) && isLetter(inward[1]) && isLetter(inward[2])
            && !forbidden.contains(inward[1]) && !forbidden.contains(inward[2])
    }

    private static func isValidOutward(_ outward: [UInt8]) -> Bool {
        let first: Set<UInt8> = Set("ABCDEFGHIJKLMNOPRSTUWYZ".utf8)         // never Q, V, X
        let second: Set<UInt8> = Set("ABCDEFGHKLMNOPQRSTUVWXY".utf8)        // never I, J, Z
        let thirdOfANA: Set<UInt8> = Set("ABCDEFGHJKPSTUW".utf8)
        let fourthOfAANA: Set<UInt8> = Set("ABEHMNPRVWXY".utf8)
        guard let lead = outward.first, first.contains(lead) else { return false }
        let shape = outward.map { isDigit($0) ? "9" : "A" }.joined()
        switch shape {
        case "A9", "A99": return true
        case "AA9", "AA99": return second.contains(outward[1])
        case "A9A": return thirdOfANA.contains(outward[2])
        case "AA9A": return second.contains(outward[1]) && fourthOfAANA.contains(outward[3])
        default: return false
        }
    }

    private static func isDigit(_ byte: UInt8) -> Bool { (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(byte) }
    private static func isLetter(_ byte: UInt8) -> Bool { (UInt8(ascii: "A")...UInt8(ascii: "Z")).contains(byte) }
}
