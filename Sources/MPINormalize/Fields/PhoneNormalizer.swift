public import MPICore

/// Telephone numbers to UK national digits ("02071234567"), or "+" and the digits for other countries.
public enum PhoneNormalizer {
    public static func normalize(_ raw: String) throws(Rejection) -> PhoneNumber {
        let upper = LatinFolding.uppercasedCollapsingSpaces(raw)
        guard !upper.isEmpty else { throw Rejection("empty", "no telephone number given") }
        // An extension is not part of the number: "020 7946 0000 ext 123", "x123", "#123".
        var body = Substring(upper)
        for marker in ["EXTN", "EXT", "X", "#"] {
            if let range = body.range(of: marker) { body = body[..<range.lowerBound] }
        }
        // "+44 (0)20 ..." carries the trunk zero in brackets for readers dialling nationally.
        let withoutTrunkHint = String(body).replacingAll("(0)", with: "")
        var digits = withoutTrunkHint.filter { $0.isASCII && $0.isNumber }
        let international = withoutTrunkHint.first(where: { $0 != " " }) == "+"
        guard withoutTrunkHint.allSatisfy({ $0.isASCII && ($0.isNumber || " +-().".contains($0)) }) else {
            throw Rejection("character", "a telephone number has digits, spaces, brackets, + and - only")
        }
        if international || digits.hasPrefix("00") {
            if digits.hasPrefix("00") { digits.removeFirst(2) }
            if digits.hasPrefix("44") {
                digits = "0" + digits.dropFirst(2)
            } else {
                guard (7...15).contains(digits.count) else {
                    throw Rejection("length", "an international number has 7 to 15 digits")
                }
                return PhoneNumber(number: "+" + digits, isPlaceholder: isPlaceholder(digits))
            }
        } else if digits.count == 12, digits.hasPrefix("44") {
            digits = "0" + digits.dropFirst(2)
        } else if digits.count == 10, !digits.hasPrefix("0") {
            // A spreadsheet dropped the leading zero; UK national numbers always start with one.
            digits = "0" + digits
        }
        guard digits.hasPrefix("0"), (10...11).contains(digits.count) else {
            throw Rejection("length", "a UK number has 10 or 11 digits starting with 0")
        }
        return PhoneNumber(number: digits, isPlaceholder: isPlaceholder(String(digits.dropFirst())))
    }

    /// Numbers typed to get past a mandatory field: one digit repeated, 123456789 and its reverse, or
    /// six or more zeros in a row.
    static func isPlaceholder(_ digits: String) -> Bool {
        let bytes = Array(digits.utf8)
        guard let first = bytes.first else { return true }
        if bytes.allSatisfy({ $0 == first }) { return true }
        if digits.contains("000000") { return true }
        let ascending = Array("1234567890".utf8)
        let descending = Array("9876543210".utf8)
        return isRun(bytes, of: ascending) || isRun(bytes, of: descending)
    }

    /// True when all but at most the last digit follow `sequence` consecutively.
    private static func isRun(_ bytes: [UInt8], of sequence: [UInt8]) -> Bool {
        guard let start = sequence.firstIndex(of: bytes[0]) else { return false }
        var matched = 0
        for (offset, byte) in bytes.enumerated() where byte == sequence[(start + offset) % sequence.count] { matched += 1 }
        return matched >= bytes.count - 1 && bytes.count >= 8
    }
}

extension String {
    func replacingAll(_ target: String, with replacement: String) -> String {
        var result = ""
        var rest = Substring(self)
        while let range = rest.range(of: target) {
            result += rest[..<range.lowerBound]
            result += replacement
            rest = rest[range.upperBound...]
        }
        return result + rest
    }
}

extension Substring {
    /// First occurrence of `target`, without Foundation.
    func range(of target: String) -> Range<Index>? {
        guard !target.isEmpty else { return nil }
        var start = startIndex
        while start < endIndex {
            if self[start...].hasPrefix(target) {
                return start..<index(start, offsetBy: target.count)
            }
            start = index(after: start)
        }
        return nil
    }
}
