public import MPICore

/// Telephone numbers to UK national digits ("02071234567"), or "+" and the digits for other countries.
public enum PhoneNormalizer {
    public static func normalize(_ raw: String) throws(Rejection) -> PhoneNumber {
        var digits: [UInt8] = []
        digits.reserveCapacity(16)
        var international = false
        var previous: UInt8 = 0
        var bytes = raw.utf8.makeIterator()
        scan: while let byte = bytes.next() {
            switch byte {
            case UInt8(ascii: "0")...UInt8(ascii: "9"):
                digits.append(byte)
            case UInt8(ascii: "+") where digits.isEmpty:
                international = true
            case UInt8(ascii: "x"), UInt8(ascii: "X"), UInt8(ascii: "e"), UInt8(ascii: "E"), UInt8(ascii: "#"):
                // An extension ("ext 123", "x123", "#123") is not part of the number.
                break scan
            case UInt8(ascii: "("):
                // "+44 (0)20 ..." carries the trunk zero in brackets for readers dialling nationally.
                var lookahead = bytes
                if international || !digits.isEmpty, lookahead.next() == UInt8(ascii: "0"), lookahead.next() == UInt8(ascii: ")") {
                    bytes = lookahead
                }
            case UInt8(ascii: " "), UInt8(ascii: "-"), UInt8(ascii: ")"), UInt8(ascii: "."), UInt8(ascii: "\t"):
                continue
            default:
                throw Rejection("character", "a telephone number has digits, spaces, brackets, + and - only")
            }
            previous = byte
        }
        _ = previous
        guard !digits.isEmpty else {
            if raw.utf8.allSatisfy({ $0 == UInt8(ascii: " ") }) { throw Rejection("empty", "no telephone number given") }
            throw Rejection("length", "a telephone number needs digits")
        }
        if international || digits.starts(with: [0x30, 0x30]) {
            if !international { digits.removeFirst(2) }
            if digits.starts(with: [0x34, 0x34]) {           // 44: the United Kingdom
                digits.replaceSubrange(0..<2, with: [0x30])
            } else {
                guard (7...15).contains(digits.count) else {
                    throw Rejection("length", "an international number has 7 to 15 digits")
                }
                return PhoneNumber(number: "+" + String(decoding: digits, as: UTF8.self), isPlaceholder: isPlaceholder(digits[...]))
            }
        } else if digits.count == 12, digits.starts(with: [0x34, 0x34]) {
            digits.replaceSubrange(0..<2, with: [0x30])
        } else if digits.count == 10, digits[0] != 0x30 {
            // A spreadsheet dropped the leading zero; UK national numbers always start with one.
            digits.insert(0x30, at: 0)
        }
        guard digits[0] == 0x30, (10...11).contains(digits.count) else {
            throw Rejection("length", "a UK number has 10 or 11 digits starting with 0")
        }
        return PhoneNumber(number: String(decoding: digits, as: UTF8.self), isPlaceholder: isPlaceholder(digits.dropFirst()))
    }

    /// Numbers typed to get past a mandatory field: one digit repeated, 123456789 and its reverse, or
    /// six or more zeros in a row.
    static func isPlaceholder(_ digits: ArraySlice<UInt8>) -> Bool {
        guard let first = digits.first else { return true }
        if digits.allSatisfy({ $0 == first }) { return true }
        var zeros = 0
        for digit in digits {
            zeros = digit == 0x30 ? zeros + 1 : 0
            if zeros >= 6 { return true }
        }
        return isRun(digits, step: 1) || isRun(digits, step: 9)
    }

    /// True when each digit but at most the last follows the one before by `step` (mod 10): 1 for
    /// 123456789, 9 for 987654321. Eight digits at least.
    private static func isRun(_ digits: ArraySlice<UInt8>, step: UInt8) -> Bool {
        guard digits.count >= 8 else { return false }
        var following = 0
        var previous = digits[digits.startIndex]
        for digit in digits.dropFirst() {
            if (previous - 0x30 + step) % 10 == digit - 0x30 { following += 1 }
            previous = digit
        }
        return following >= digits.count - 2
    }
}
