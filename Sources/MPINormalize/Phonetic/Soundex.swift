/// Phonetic keys for names. Input is upper-case ASCII letters (what `NameNormalizer` produces);
/// other bytes are ignored by the codes and break runs the way a vowel does.
public enum Phonetic {
    /// American Soundex (the letter and three digits; H and W do not separate equal codes).
    public static func soundex(_ name: String) -> String {
        let bytes = Array(name.utf8)
        guard let first = bytes.first else { return "" }
        var key: [UInt8] = [first]
        var last = soundexDigit(first)
        for byte in bytes.dropFirst() {
            let digit = soundexDigit(byte)
            if let digit {
                if digit != last {
                    key.append(digit)
                    if key.count == 4 { break }
                }
                last = digit
            } else if byte != UInt8(ascii: "H") && byte != UInt8(ascii: "W") {
                last = nil
            }
        }
        while key.count < 4 { key.append(UInt8(ascii: "0")) }
        return String(decoding: key, as: UTF8.self)
    }

    private static func soundexDigit(_ byte: UInt8) -> UInt8? {
        switch byte {
        case UInt8(ascii: "B"), UInt8(ascii: "F"), UInt8(ascii: "P"), UInt8(ascii: "V"): UInt8(ascii: "1")
        case UInt8(ascii: "C"), UInt8(ascii: "G"), UInt8(ascii: "J"), UInt8(ascii: "K"), UInt8(ascii: "Q"),
             UInt8(ascii: "S"), UInt8(ascii: "X"), UInt8(ascii: "Z"): UInt8(ascii: "2")
        case UInt8(ascii: "D"), UInt8(ascii: "T"): UInt8(ascii: "3")
        case UInt8(ascii: "L"): UInt8(ascii: "4")
        case UInt8(ascii: "M"), UInt8(ascii: "N"): UInt8(ascii: "5")
        case UInt8(ascii: "R"): UInt8(ascii: "6")
        default: nil
        }
    }
}
