public import MPICore

/// NHS numbers: ten digits, the last a modulus-11 check digit (NHS data dictionary).
public enum NHSNumberNormalizer {
    /// - Parameters:
    ///   - raw: the number as the source wrote it; spaces and hyphens are allowed ("943 476 5919").
    ///   - status: the source's NHS number status indicator, if it sends one ("01".."08").
    public static func normalize(_ raw: String, status rawStatus: String? = nil) throws(Rejection) -> NHSNumber {
        var digits = InlineDigits()
        var sawExponent = false, sawPointOrPlus = false, sawOther = false
        for byte in raw.utf8 {
            switch byte {
            case UInt8(ascii: "0")...UInt8(ascii: "9"): digits.append(byte - UInt8(ascii: "0"))
            case UInt8(ascii: " "), UInt8(ascii: "-"), UInt8(ascii: "\t"): continue
            case UInt8(ascii: "E"), UInt8(ascii: "e"): sawExponent = true
            case UInt8(ascii: "."), UInt8(ascii: "+"): sawPointOrPlus = true
            default: sawOther = true
            }
        }
        if digits.isEmpty, !sawExponent, !sawPointOrPlus, !sawOther { throw Rejection(.empty, "no NHS number given") }
        // Spreadsheets turn long numbers into 9.43477E+09 and drop leading zeros; neither can be undone
        // safely, so they are rejected rather than guessed.
        if sawExponent, sawPointOrPlus {
            throw Rejection(.scientificNotation, "the number was converted to scientific notation by a spreadsheet")
        }
        if sawPointOrPlus, !sawExponent, !sawOther, raw.utf8.last == UInt8(ascii: "0"), raw.utf8.contains(UInt8(ascii: ".")) {
            throw Rejection(.spreadsheetDecimal, "the number was stored as a decimal by a spreadsheet")
        }
        guard !sawExponent, !sawPointOrPlus, !sawOther else {
            throw Rejection(.nonDigit, "an NHS number has digits only")
        }
        guard digits.count == 10 else {
            throw Rejection(.length, "an NHS number has 10 digits, this has \(digits.count)")
        }
        if digits.allSatisfy({ $0 == digits[0] }) {
            throw Rejection(.placeholder, "one digit repeated is a placeholder, not an NHS number")
        }
        guard let expected = checkDigit(ofFirstNine: digits) else {
            throw Rejection(.checkDigit, "no valid check digit exists for these first nine digits")
        }
        guard expected == digits[9] else {
            throw Rejection(.checkDigit, "the check digit does not match")
        }
        var status: NHSNumberStatus?
        if let rawStatus, !rawStatus.isEmpty {
            let code = rawStatus.utf8.count == 1 ? "0" + rawStatus : rawStatus
            guard let known = NHSNumberStatus(rawValue: code) else {
                throw Rejection(.statusCode, "NHS number status indicator must be 01 to 08")
            }
            status = known
        }
        return NHSNumber(validatedDigits: String(unsafeUninitializedCapacity: 10) { buffer in
            for index in 0..<10 { buffer[index] = UInt8(digits[index]) + UInt8(ascii: "0") }
            return 10
        }, status: status)
    }

    /// Up to ten digits without a heap allocation; `count` goes on counting past ten so the length
    /// rejection can say how many there were.
    private struct InlineDigits {
        private var storage: (Int, Int, Int, Int, Int, Int, Int, Int, Int, Int) = (0, 0, 0, 0, 0, 0, 0, 0, 0, 0)
        private(set) var count = 0
        var isEmpty: Bool { count == 0 }

        mutating func append(_ digit: UInt8) {
            if count < 10 { withUnsafeMutableBytes(of: &storage) { $0.storeBytes(of: Int(digit), toByteOffset: count * MemoryLayout<Int>.stride, as: Int.self) } }
            count += 1
        }

        subscript(index: Int) -> Int {
            withUnsafeBytes(of: storage) { $0.load(fromByteOffset: index * MemoryLayout<Int>.stride, as: Int.self) }
        }

        func allSatisfy(_ predicate: (Int) -> Bool) -> Bool {
            (0..<min(count, 10)).allSatisfy { predicate(self[$0]) }
        }
    }

    /// Modulus 11 with weights 10...2; a result of 11 is 0, a result of 10 means no valid number.
    public static func checkDigit(ofFirstNine digits: [Int]) -> Int? {
        checkDigit { digits[$0] }
    }

    private static func checkDigit(ofFirstNine digits: InlineDigits) -> Int? {
        checkDigit { digits[$0] }
    }

    private static func checkDigit(digit: (Int) -> Int) -> Int? {
        var sum = 0
        for index in 0..<9 { sum += digit(index) * (10 - index) }
        let check = 11 - sum % 11
        switch check {
        case 11: return 0
        case 10: return nil
        default: return check
        }
    }
}
