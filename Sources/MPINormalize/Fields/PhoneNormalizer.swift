public import MPICore

/// Telephone numbers to UK national digits ("02071234567"), or "+" and the digits for other countries.
public enum PhoneNormalizer {
    private static let zero = UInt8(ascii: "0"), four = UInt8(ascii: "4")

    /// Every number in a phone field that holds several ("020 8123 4567 / 07700 900123", "07700 900123
    /// (MOB)", "H: 020 8123 4567; M: 07700 900123"), in order. Notes in brackets and words such as MOB,
    /// HOME, WORK or TEL are not part of a number. Throws the first part's rejection when no part is a
    /// number.
    public static func normalizeAll(_ raw: String) throws(Rejection) -> [PhoneNumber] {
        // One number (with an extension, say) is read as before.
        let whole: Rejection
        do { return [try normalize(raw)] } catch { whole = error }
        let parts = raw.split(whereSeparator: { $0 == "/" || $0 == ";" || $0 == "," || $0 == "|" }).map(String.init)
        guard parts.count > 1 || raw.contains(where: \.isLetter) else { throw whole }
        var numbers: [PhoneNumber] = []
        var firstRejection: Rejection?
        for part in parts {
            let cleaned = withoutNotes(part)
            guard !cleaned.allSatisfy({ $0 == " " }) else { continue }
            do { numbers.append(try normalize(cleaned)) } catch { firstRejection = firstRejection ?? error }
        }
        if numbers.isEmpty { throw firstRejection ?? whole }
        return numbers
    }

    /// The part without bracketed notes ("(MOB)") and without words: what is left are the number's
    /// own characters.
    private static func withoutNotes(_ part: String) -> String {
        var out = ""
        var depth = 0
        let characters = Array(part)
        // "+44 (0)20": the bracketed trunk zero is part of the number, not a note.
        var index = 0
        while index < characters.count {
            let character = characters[index]
            if character == "(", index + 2 < characters.count, characters[index + 1] == "0", characters[index + 2] == ")" {
                out += "(0)"
                index += 3
                continue
            }
            if character == "(" { depth += 1 } else if character == ")" { depth = max(0, depth - 1) }
            else if depth == 0, !character.isLetter, character != ":" { out.append(character) }
            index += 1
        }
        return out
    }

    public static func normalize(_ raw: String) throws(Rejection) -> PhoneNumber {
        var digits = ShortBytes()
        var international = false
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
                if international || !digits.isEmpty, lookahead.next() == zero, lookahead.next() == UInt8(ascii: ")") {
                    bytes = lookahead
                }
            case UInt8(ascii: " "), UInt8(ascii: "-"), UInt8(ascii: ")"), UInt8(ascii: "."), UInt8(ascii: "\t"):
                continue
            default:
                throw Rejection(.character, "a telephone number has digits, spaces, brackets, + and - only")
            }
        }
        guard !digits.isEmpty else {
            if raw.utf8.allSatisfy({ $0 == UInt8(ascii: " ") }) { throw Rejection(.empty, "no telephone number given") }
            throw Rejection(.length, "a telephone number needs digits")
        }
        guard !digits.overflowed else { throw Rejection(.length, "a telephone number has at most 15 digits") }

        // Where the national significant number starts in `digits`, once prefixes are read.
        var start = 0
        if international || digits.starts(with: zero, zero) {
            if !international { start = 2 }
            if digits.count - start >= 2, digits[start] == four, digits[start + 1] == four {   // 44: the United Kingdom
                start += 2
            } else {
                let count = digits.count - start
                guard (7...15).contains(count) else {
                    throw Rejection(.length, "an international number has 7 to 15 digits")
                }
                return PhoneNumber(number: digits.string(start..<digits.count, prefix: UInt8(ascii: "+")),
                                   isPlaceholder: isPlaceholder(digits, start..<digits.count))
            }
        } else if digits.count == 12, digits.starts(with: four, four) {
            start = 2
        } else if digits.count == 10, digits[0] != zero {
            // A spreadsheet dropped the leading zero; UK national numbers always start with one.
            start = 0
        } else {
            guard digits[0] == zero, (10...11).contains(digits.count) else {
                throw Rejection(.length, "a UK number has 10 or 11 digits starting with 0")
            }
            start = 1
        }
        // National form: a trunk zero and the national significant number (9 or 10 digits).
        guard (9...10).contains(digits.count - start), digits[start] != zero else {
            throw Rejection(.length, "a UK number has 10 or 11 digits starting with 0")
        }
        return PhoneNumber(number: digits.string(start..<digits.count, prefix: zero),
                           isPlaceholder: isPlaceholder(digits, start..<digits.count))
    }

    /// Numbers typed to get past a mandatory field: one digit repeated, six or more zeros in a row,
    /// or 123456789 and its reverse.
    static func isPlaceholder(_ digits: ShortBytes, _ range: Range<Int>) -> Bool {
        guard !range.isEmpty else { return true }
        let first = digits[range.lowerBound]
        if range.allSatisfy({ digits[$0] == first }) { return true }
        var zeros = 0
        for index in range {
            zeros = digits[index] == zero ? zeros + 1 : 0
            if zeros >= 6 { return true }
        }
        return isRun(digits, range, step: 1) || isRun(digits, range, step: 9)
    }

    /// True when each digit but at most one follows the one before by `step` (mod 10): 1 for
    /// 123456789, 9 for 987654321. Eight digits at least.
    private static func isRun(_ digits: ShortBytes, _ range: Range<Int>, step: UInt8) -> Bool {
        guard range.count >= 8 else { return false }
        var following = 0
        for index in range.dropFirst() where (digits[index - 1] - zero + step) % 10 == digits[index] - zero {
            following += 1
        }
        return following >= range.count - 2
    }
}
