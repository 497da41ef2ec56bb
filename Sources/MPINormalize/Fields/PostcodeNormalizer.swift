public import MPICore

/// UK postcodes by the Royal Mail format rules, plus the NHS ZZ99 pseudo-postcodes.
public enum PostcodeNormalizer {
    public static func normalize(_ raw: String) throws(Rejection) -> Postcode {
        // Seven bytes at most are kept; counting goes on so the length rejection is exact.
        var buffer: (UInt64, UInt64) = (0, 0)
        var count = 0
        for byte in raw.utf8 {
            let kept: UInt8
            switch byte {
            case UInt8(ascii: "a")...UInt8(ascii: "z"): kept = byte - 0x20
            case UInt8(ascii: "A")...UInt8(ascii: "Z"), UInt8(ascii: "0")...UInt8(ascii: "9"): kept = byte
            case UInt8(ascii: " "), UInt8(ascii: "\t"), 0xA0, 0xC2: continue   // NBSP arrives as C2 A0
            default:
                throw Rejection(.character, "a postcode has letters, digits and spaces only")
            }
            if count < 16 { withUnsafeMutableBytes(of: &buffer) { $0[count] = kept } }
            count += 1
        }
        guard count > 0 else { throw Rejection(.empty, "no postcode given") }
        guard (5...7).contains(count) else {
            throw Rejection(.length, "a postcode has 5 to 7 letters and digits, this has \(count)")
        }
        return try withUnsafeBytes(of: buffer) { bytes throws(Rejection) in
            try validated(outward: UnsafeRawBufferPointer(rebasing: bytes[0..<(count - 3)]),
                          inward: UnsafeRawBufferPointer(rebasing: bytes[(count - 3)..<count]))
        }
    }

    private static func validated(outward: UnsafeRawBufferPointer, inward: UnsafeRawBufferPointer) throws(Rejection) -> Postcode {
        let outwardText = String(decoding: outward, as: UTF8.self), inwardText = String(decoding: inward, as: UTF8.self)

        if let pseudo = pseudoPostcode(outward: outward, inward: inward) {
            return Postcode(outward: outwardText, inward: inwardText, pseudo: pseudo)
        }
        if outwardText == "GIR", inwardText == "0AA" { return Postcode(outward: outwardText, inward: inwardText) }
        guard isValidInward(inward) else {
            throw Rejection(.format, "the inward code must be a digit and two letters (not C, I, K, M, O or V)")
        }
        guard isValidOutward(outward) else {
            throw Rejection(.format, "the outward code is not a UK format (A9, A99, AA9, AA99, A9A or AA9A)")
        }
        return Postcode(outward: outwardText, inward: inwardText)
    }

    /// ZZ99 3VZ no fixed abode, ZZ99 3WZ not known, other ZZ99 nXZ codes a country of residence.
    static func pseudoPostcode(outward: UnsafeRawBufferPointer, inward: UnsafeRawBufferPointer) -> PseudoPostcode? {
        guard outward.elementsEqual("ZZ99".utf8), inward.count == 3, isDigit(inward[0]), isLetter(inward[1]),
              inward[2] == UInt8(ascii: "Z") else { return nil }
        if inward.elementsEqual("3VZ".utf8) { return .noFixedAbode }
        if inward.elementsEqual("3WZ".utf8) { return .notKnown }
        return .countryOfResidence
    }

    /// Letters allowed at each position, as bit sets over A...Z (bit 0 is A).
    private static let allowedFirst = letterSet("ABCDEFGHIJKLMNOPRSTUWYZ")      // never Q, V, X
    private static let allowedSecond = letterSet("ABCDEFGHKLMNOPQRSTUVWXY")     // never I, J, Z
    private static let allowedThirdOfANA = letterSet("ABCDEFGHJKPSTUW")
    private static let allowedFourthOfAANA = letterSet("ABEHMNPRVWXY")
    private static let allowedInward = letterSet("ABDEFGHJLNPQRSTUWXYZ")        // never C, I, K, M, O, V

    private static func letterSet(_ letters: String) -> UInt32 {
        letters.utf8.reduce(0) { $0 | 1 << UInt32($1 - UInt8(ascii: "A")) }
    }

    private static func isLetter(_ byte: UInt8, in set: UInt32) -> Bool {
        isLetter(byte) && set & (1 << UInt32(byte - UInt8(ascii: "A"))) != 0
    }

    private static func isValidInward(_ inward: UnsafeRawBufferPointer) -> Bool {
        isDigit(inward[0]) && isLetter(inward[1], in: allowedInward) && isLetter(inward[2], in: allowedInward)
    }

    private static func isValidOutward(_ outward: UnsafeRawBufferPointer) -> Bool {
        guard let lead = outward.first, isLetter(lead, in: allowedFirst) else { return false }
        // The shape as a bit pattern, one bit per character, 1 for a digit: A9 = 0b01, AA9A = 0b0010 ...
        var shape = 0
        for byte in outward {
            guard isDigit(byte) || isLetter(byte) else { return false }
            shape = shape << 1 | (isDigit(byte) ? 1 : 0)
        }
        switch (outward.count, shape) {
        case (2, 0b01), (3, 0b011): return true                                         // A9, A99
        case (3, 0b001), (4, 0b0011): return isLetter(outward[1], in: allowedSecond)     // AA9, AA99
        case (3, 0b010): return isLetter(outward[2], in: allowedThirdOfANA)              // A9A
        case (4, 0b0010): return isLetter(outward[1], in: allowedSecond) && isLetter(outward[3], in: allowedFourthOfAANA)   // AA9A
        default: return false
        }
    }

    private static func isDigit(_ byte: UInt8) -> Bool { (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(byte) }
    private static func isLetter(_ byte: UInt8) -> Bool { (UInt8(ascii: "A")...UInt8(ascii: "Z")).contains(byte) }
}
