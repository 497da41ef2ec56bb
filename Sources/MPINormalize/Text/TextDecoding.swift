/// The text encodings trusts' extracts arrive in.
public enum TextEncoding: String, Sendable, Hashable, Codable, CaseIterable {
    /// UTF-8, with or without a byte-order mark.
    case utf8 = "utf-8"
    /// Windows code page 1252, what Excel on Windows writes as "ANSI".
    case windows1252 = "windows-1252"
    /// ISO-8859-1 (Latin-1).
    case latin1 = "iso-8859-1"
}

public enum TextDecoding {
    /// Decodes a whole file or field. Invalid UTF-8 sequences become U+FFFD rather than failing,
    /// so one bad byte costs one character, not the row.
    public static func decode(_ bytes: some Collection<UInt8>, as encoding: TextEncoding) -> String {
        switch encoding {
        case .utf8:
            var slice = bytes[...]
            if slice.starts(with: [0xEF, 0xBB, 0xBF]) { slice = slice.dropFirst(3) }
            return String(decoding: slice, as: UTF8.self)
        case .latin1:
            return String(String.UnicodeScalarView(bytes.map { Unicode.Scalar($0) }))
        case .windows1252:
            return String(String.UnicodeScalarView(bytes.map(windows1252Scalar)))
        }
    }

    /// Windows-1252 is Latin-1 except in 0x80...0x9F, where it has printable characters
    /// (curly quotes, the euro sign, Š, Ž ...). The five undefined bytes map to themselves, as
    /// Windows' own decoder does.
    static func windows1252Scalar(_ byte: UInt8) -> Unicode.Scalar {
        guard (0x80...0x9F).contains(byte) else { return Unicode.Scalar(byte) }
        let value = windows1252High[Int(byte - 0x80)]
        return Unicode.Scalar(value) ?? Unicode.Scalar(byte)
    }

    /// Code points of Windows-1252 bytes 0x80...0x9F.
    static let windows1252High: [UInt32] = [
        0x20AC, 0x0081, 0x201A, 0x0192, 0x201E, 0x2026, 0x2020, 0x2021,
        0x02C6, 0x2030, 0x0160, 0x2039, 0x0152, 0x008D, 0x017D, 0x008F,
        0x0090, 0x2018, 0x2019, 0x201C, 0x201D, 0x2022, 0x2013, 0x2014,
        0x02DC, 0x2122, 0x0161, 0x203A, 0x0153, 0x009D, 0x017E, 0x0178,
    ]

    /// The Windows-1252 byte for a scalar, if it has one (the inverse of `windows1252Scalar`).
    static func windows1252Byte(_ scalar: Unicode.Scalar) -> UInt8? {
        if scalar.value < 0x80 || (0xA0...0xFF).contains(scalar.value) { return UInt8(scalar.value) }
        if let index = windows1252High.firstIndex(of: scalar.value) { return UInt8(0x80 + index) }
        return nil
    }
}

/// Cleans decoded text before any field rule sees it.
public enum TextCleaning {
    /// Repairs text that was UTF-8, decoded once as Windows-1252 and saved again ("ZoÃ«" for "Zoë",
    /// "O’Brien" for "O’Brien"). The repair is applied only when the whole string re-encodes to
    /// Windows-1252 and those bytes are valid UTF-8 containing at least one multi-byte sequence,
    /// so genuine Latin-1 text such as "Ã…se" typed on purpose is left as it is unless it also
    /// decodes cleanly, which real names essentially never do.
    public static func repairMojibake(_ text: String) -> String {
        // Mojibake of this kind always contains a lead character in Ã..ô or â (from E2 80 xx).
        guard text.unicodeScalars.contains(where: { (0xC2...0xF4).contains($0.value) }) else { return text }
        var bytes = [UInt8]()
        bytes.reserveCapacity(text.utf8.count)
        for scalar in text.unicodeScalars {
            guard let byte = TextDecoding.windows1252Byte(scalar) else { return text }
            bytes.append(byte)
        }
        guard bytes.contains(where: { $0 >= 0x80 }), let repaired = validUTF8(bytes) else { return text }
        return repaired
    }

    private static func validUTF8(_ bytes: [UInt8]) -> String? {
        var decoded = String.UnicodeScalarView()
        var iterator = bytes.makeIterator()
        var decoder = UTF8()
        while true {
            switch decoder.decode(&iterator) {
            case .scalarValue(let scalar): decoded.append(scalar)
            case .emptyInput: return String(decoded)
            case .error: return nil
            }
        }
    }

    /// Removes control characters (C0, DEL, C1) and turns tabs, line breaks, non-breaking and other
    /// Unicode spaces into a plain space; runs of spaces collapse and the ends are trimmed.
    public static func clean(_ text: String) -> String {
        var result = String.UnicodeScalarView()
        var pendingSpace = false
        for scalar in text.unicodeScalars {
            if isSpace(scalar) {
                pendingSpace = !result.isEmpty
                continue
            }
            if isControl(scalar) { continue }
            if pendingSpace { result.append(" "); pendingSpace = false }
            result.append(scalar)
        }
        return String(result)
    }

    /// Fast check used by the ASCII path: true when every byte is printable ASCII or a plain space.
    static func isPlainASCII(_ text: String) -> Bool {
        text.utf8.allSatisfy { $0 >= 0x20 && $0 < 0x7F }
    }

    private static func isSpace(_ scalar: Unicode.Scalar) -> Bool {
        switch scalar.value {
        case 0x09...0x0D, 0x20, 0x85, 0xA0, 0x1680, 0x2000...0x200A, 0x2028, 0x2029, 0x202F, 0x205F, 0x3000: true
        default: false
        }
    }

    private static func isControl(_ scalar: Unicode.Scalar) -> Bool {
        switch scalar.value {
        case 0x00...0x1F, 0x7F...0x9F, 0x200B...0x200D, 0xFEFF: true
        default: false
        }
    }
}
