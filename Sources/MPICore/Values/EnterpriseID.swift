/// An enterprise identifier: opaque, never reused, with a check symbol so a mistyped ID is caught.
///
/// Eight characters of Douglas Crockford's Base32 (digits and letters without I, L, O, U) encoding a
/// 40-bit number, then Crockford's check symbol (the number mod 37, with * ~ $ = U for 32...36).
/// Printed in two groups of four and the check: "7K3M-PX9Q-4".
public struct EnterpriseID: Sendable, Hashable, Comparable, CustomStringConvertible {
    static let alphabet = Array("0123456789ABCDEFGHJKMNPQRSTVWXYZ*~$=U")

    public let value: UInt64

    public init(value: UInt64) {
        precondition(value < 1 << 40, "enterprise ids are 40-bit")
        self.value = value
    }

    /// Parses "7K3M-PX9Q-4" or "7K3MPX9Q4", any case, O read as 0 and I or L as 1 (Crockford's
    /// decoding rules); nil when malformed or when the check symbol does not match.
    public init?(_ text: String) {
        let symbols = text.uppercased().filter { $0 != "-" && $0 != " " }.map { character -> Character in
            switch character {
            case "O": "0"
            case "I", "L": "1"
            default: character
            }
        }
        guard symbols.count == 9 else { return nil }
        var value: UInt64 = 0
        for symbol in symbols.prefix(8) {
            guard let digit = Self.alphabet.prefix(32).firstIndex(of: symbol) else { return nil }
            value = value << 5 | UInt64(digit)
        }
        guard Self.alphabet[Int(value % 37)] == symbols[8] else { return nil }
        self.value = value
    }

    public var description: String {
        // "XXXX-XXXX-C": eight symbols, most significant first, with hyphens, then the check symbol.
        var bytes = [UInt8](repeating: UInt8(ascii: "-"), count: 11)
        var remaining = value
        for position in [8, 7, 6, 5, 3, 2, 1, 0] {
            bytes[position] = Self.asciiAlphabet[Int(remaining & 31)]
            remaining >>= 5
        }
        bytes[10] = Self.asciiAlphabet[Int(value % 37)]
        return String(decoding: bytes, as: UTF8.self)
    }

    private static let asciiAlphabet = alphabet.map { $0.asciiValue! }

    public static func < (lhs: EnterpriseID, rhs: EnterpriseID) -> Bool { lhs.value < rhs.value }
}
