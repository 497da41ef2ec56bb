/// Turns any text into upper-case Latin ASCII: mojibake repaired, control characters and odd spaces
/// cleaned, then ICU's transliteration for anything outside ASCII ("Zoë" -> "ZOE", "Łukasz" ->
/// "LUKASZ", "Дмитрий" -> "DMITRIJ"). ASCII input, the common case, never reaches ICU.
public struct LatinFolding {
    private let transliterator: Transliterator

    public init(transliterator: Transliterator) {
        self.transliterator = transliterator
    }

    public func fold(_ raw: String) -> String {
        if TextCleaning.isPlainASCII(raw) {
            return Self.uppercasedCollapsingSpaces(raw)
        }
        let cleaned = TextCleaning.clean(TextCleaning.repairMojibake(raw))
        if TextCleaning.isPlainASCII(cleaned) {
            return Self.uppercasedCollapsingSpaces(cleaned)
        }
        // Curly quotes and primes become the ASCII apostrophe before ICU, which would otherwise
        // leave some of them as they are.
        let quotesStraightened = String(String.UnicodeScalarView(cleaned.unicodeScalars.map { scalar in
            switch scalar.value {
            case 0x2018, 0x2019, 0x201B, 0x2032, 0x02BC, 0x00B4, 0x0060: "'"
            default: scalar
            }
        }))
        let folded = transliterator.transliterate(quotesStraightened)
        // Whatever ICU could not map to ASCII is dropped rather than kept as a non-ASCII byte.
        let ascii = String(decoding: folded.utf8.filter { $0 < 0x80 }, as: UTF8.self)
        return Self.uppercasedCollapsingSpaces(ascii)
    }

    /// Text for a tokeniser that upper-cases as it cuts words: plain ASCII as it is (no new string),
    /// anything else folded.
    public func tokenizable(_ raw: String) -> String {
        TextCleaning.isPlainASCII(raw) ? raw : fold(raw)
    }

    /// The bytes `text[range]` in upper case, without apostrophes, as a new string (small words stay
    /// inline in the string, with no allocation).
    static func upperWord(_ text: String, _ range: Range<String.Index>, dropApostrophes: Bool) -> String {
        let bytes = text.utf8[range]
        return String(unsafeUninitializedCapacity: bytes.count) { buffer in
            var count = 0
            for byte in bytes {
                if dropApostrophes, byte == UInt8(ascii: "'") { continue }
                buffer[count] = byte >= 0x61 && byte <= 0x7A ? byte - 0x20 : byte
                count += 1
            }
            return count
        }
    }

    /// True when `uppercasedCollapsingSpaces` would return the text unchanged (PAS exports are often
    /// upper case already), so no new string is made.
    static func isUppercasedAndCollapsed(_ text: String) -> Bool {
        var previousWasSpace = true   // a leading space needs work
        for byte in text.utf8 {
            if byte < 0x20 || byte == 0x7F || (byte >= 0x61 && byte <= 0x7A) { return false }
            if byte == 0x20 {
                if previousWasSpace { return false }
                previousWasSpace = true
            } else {
                previousWasSpace = false
            }
        }
        return !previousWasSpace || text.isEmpty
    }

    /// ASCII upper case with runs of spaces collapsed and ends trimmed, in one pass over bytes.
    static func uppercasedCollapsingSpaces(_ text: String) -> String {
        if isUppercasedAndCollapsed(text) { return text }
        // Written straight into the new string's storage: no intermediate array.
        return String(unsafeUninitializedCapacity: text.utf8.count) { buffer in
            var count = 0
            var pendingSpace = false
            for byte in text.utf8 {
                if byte <= 0x20 || byte == 0x7F {
                    pendingSpace = count > 0
                    continue
                }
                if pendingSpace { buffer[count] = 0x20; count += 1; pendingSpace = false }
                buffer[count] = byte >= 0x61 && byte <= 0x7A ? byte - 0x20 : byte
                count += 1
            }
            return count
        }
    }
}
