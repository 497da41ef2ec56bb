extension Phonetic {
    /// The New York State Identification and Intelligence System code, untruncated, with the rules as
    /// the reference implementation our fixtures come from (jellyfish) applies them.
    public static func nysiis(_ name: String) -> String {
        var word = Array(name.utf8)
        guard !word.isEmpty else { return "" }
        let original = word

        // 1. Prefixes.
        if original.starts(with: "MAC".utf8) {
            word[1] = ascii("C")
        } else if original.starts(with: "KN".utf8) {
            word.removeFirst()
        } else if original.first == ascii("K") {
            word[0] = ascii("C")
        } else if original.starts(with: "PH".utf8) || original.starts(with: "PF".utf8) {
            word[0] = ascii("F"); word[1] = ascii("F")
        } else if original.starts(with: "SCH".utf8) {
            word[1] = ascii("S"); word[2] = ascii("S")
        }
        // 2. Suffixes.
        if endsWith(original, "IE") || endsWith(original, "EE") {
            word.removeLast(2); word.append(ascii("Y"))
        } else if ["DT", "RT", "RD", "NT", "ND"].contains(where: { endsWith(original, $0) }) {
            word.removeLast(2); word.append(ascii("D"))
        }
        guard let first = word.first else { return "" }

        // 3-4. The first letter stays; the rest are translated and appended unless they repeat the key's
        // last letter.
        var key: [UInt8] = [first]
        var i = 1
        while i < word.count {
            let letter = word[i]
            let next: UInt8? = i + 1 < word.count ? word[i + 1] : nil
            let previous = word[i - 1]
            var translated: [UInt8]
            switch letter {
            case ascii("E") where next == ascii("V"):
                translated = [ascii("A"), ascii("F")]
                i += 1
            case ascii("A"), ascii("E"), ascii("I"), ascii("O"), ascii("U"):
                translated = [ascii("A")]
            case ascii("Q"): translated = [ascii("G")]
            case ascii("Z"): translated = [ascii("S")]
            case ascii("M"): translated = [ascii("N")]
            case ascii("K"): translated = [next == ascii("N") ? ascii("N") : ascii("C")]
            case ascii("S") where next == ascii("C") && i + 2 < word.count && word[i + 2] == ascii("H"):
                translated = [ascii("S"), ascii("S")]
                i += 2
            case ascii("P") where next == ascii("H"):
                translated = [ascii("F")]
                i += 1
            case ascii("H") where !isVowel(previous) || next.map({ !isVowel($0) }) ?? true:
                translated = [isVowel(previous) ? ascii("A") : previous]
            case ascii("W") where isVowel(previous):
                translated = [previous]
            default:
                translated = [letter]
            }
            if translated.last != key.last { key.append(contentsOf: translated) }
            i += 1
        }
        // 5-7. Trailing S, AY -> Y, trailing A.
        if key.count > 1, key.last == ascii("S") { key.removeLast() }
        if key.count >= 2, key[key.count - 2] == ascii("A"), key.last == ascii("Y") { key.remove(at: key.count - 2) }
        if key.count > 1, key.last == ascii("A") { key.removeLast() }
        return String(decoding: key, as: UTF8.self)
    }

    private static func isVowel(_ byte: UInt8) -> Bool {
        byte == ascii("A") || byte == ascii("E") || byte == ascii("I") || byte == ascii("O") || byte == ascii("U")
    }

    private static func endsWith(_ word: [UInt8], _ suffix: String) -> Bool {
        word.count >= suffix.utf8.count && word.suffix(suffix.utf8.count).elementsEqual(suffix.utf8)
    }
}

@inline(__always)
func ascii(_ character: Unicode.Scalar) -> UInt8 { UInt8(ascii: character) }
