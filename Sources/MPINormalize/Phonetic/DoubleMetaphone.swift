extension Phonetic {
    /// Lawrence Philips' Double Metaphone: a primary key and an alternate key for names whose
    /// pronunciation varies by origin ("JACKSON" -> JKSN / AKSN, "SCHMIDT" -> XMT / SMT). When a name
    /// has no alternate reading both keys are equal. Keys are not truncated, as in the reference
    /// implementation the fixtures come from.
    public static func doubleMetaphone(_ name: String) -> (primary: String, alternate: String) {
        var encoder = DoubleMetaphoneEncoder(name)
        return encoder.encode()
    }
}

/// One run of Double Metaphone over a word. The rules are Philips' (C/C++ Users Journal, June 2000),
/// letter by letter; each `encodeX` appends to the keys and returns how many letters it consumed.
private struct DoubleMetaphoneEncoder {
    /// The word followed by five spaces, so rules can look past its end, as in the original.
    private let word: [UInt8]
    private let length: Int
    private var last: Int { length - 1 }
    private let isSlavoGermanic: Bool
    private var primary: [UInt8] = []
    private var alternate: [UInt8] = []

    init(_ name: String) {
        let upper = name.utf8.map { $0 >= 0x61 && $0 <= 0x7A ? $0 - 0x20 : $0 }
        length = upper.count
        word = upper + Array("     ".utf8)
        isSlavoGermanic = upper.contains(ascii("W")) || upper.contains(ascii("K"))
            || DoubleMetaphoneEncoder.contains(upper, "CZ") || DoubleMetaphoneEncoder.contains(upper, "WITZ")
    }

    mutating func encode() -> (primary: String, alternate: String) {
        var current = 0
        if matches(0, "GN", "KN", "PN", "WR", "PS") { current = 1 }
        if letter(0) == ascii("X") {
            add("S")
            current = 1
        }
        while current < length {
            current += encodeLetter(at: current)
        }
        return (String(decoding: primary, as: UTF8.self), String(decoding: alternate, as: UTF8.self))
    }

    // MARK: helpers

    private static func contains(_ bytes: [UInt8], _ text: String) -> Bool {
        let needle = Array(text.utf8)
        guard bytes.count >= needle.count else { return false }
        return (0...(bytes.count - needle.count)).contains { bytes[$0..<($0 + needle.count)].elementsEqual(needle) }
    }

    /// The letter at `position`, or 0 outside the padded word.
    private func letter(_ position: Int) -> UInt8 {
        position >= 0 && position < word.count ? word[position] : 0
    }

    private func isVowel(_ position: Int) -> Bool {
        switch letter(position) {
        case ascii("A"), ascii("E"), ascii("I"), ascii("O"), ascii("U"), ascii("Y"): true
        default: false
        }
    }

    /// True when one of `candidates` (all of one length) starts at `position`.
    private func matches(_ position: Int, _ candidates: String...) -> Bool {
        guard position >= 0, position < word.count else { return false }
        return candidates.contains { candidate in
            let needle = candidate.utf8
            return position + needle.count <= word.count && word[position..<(position + needle.count)].elementsEqual(needle)
        }
    }

    private mutating func add(_ both: String) { add(both, both) }

    private mutating func add(_ main: String, _ other: String) {
        primary.append(contentsOf: main.utf8)
        alternate.append(contentsOf: other.utf8)
    }

    private var startsGermanic: Bool { matches(0, "VAN ", "VON ") || matches(0, "SCH") }

    // MARK: letters

    private mutating func encodeLetter(at current: Int) -> Int {
        switch letter(current) {
        case ascii("A"), ascii("E"), ascii("I"), ascii("O"), ascii("U"), ascii("Y"):
            if current == 0 { add("A") }   // every initial vowel is A
            return 1
        case ascii("B"):
            add("P")
            return letter(current + 1) == ascii("B") ? 2 : 1
        case ascii("C"): return encodeC(current)
        case ascii("D"):
            if matches(current, "DG") {
                if matches(current + 2, "I", "E", "Y") { add("J"); return 3 }   // EDGE
                add("TK"); return 2                                             // EDGAR
            }
            add("T")
            return matches(current, "DT", "DD") ? 2 : 1
        case ascii("F"):
            add("F")
            return letter(current + 1) == ascii("F") ? 2 : 1
        case ascii("G"): return encodeG(current)
        case ascii("H"):
            // Kept only at the start or between vowels.
            if (current == 0 || isVowel(current - 1)) && isVowel(current + 1) { add("H"); return 2 }
            return 1
        case ascii("J"): return encodeJ(current)
        case ascii("K"):
            add("K")
            return letter(current + 1) == ascii("K") ? 2 : 1
        case ascii("L"):
            if letter(current + 1) == ascii("L") {
                // Spanish: CABRILLO, GALLEGOS.
                let spanish = (current == length - 3 && matches(current - 1, "ILLO", "ILLA", "ALLE"))
                    || ((matches(last - 1, "AS", "OS") || matches(last, "A", "O")) && matches(current - 1, "ALLE"))
                if spanish { add("L", ""); return 2 }
                add("L"); return 2
            }
            add("L")
            return 1
        case ascii("M"):
            add("M")
            let silentB = matches(current - 1, "UMB") && (current + 1 == last || matches(current + 2, "ER"))   // DUMB, THUMB
            return silentB || letter(current + 1) == ascii("M") ? 2 : 1
        case ascii("N"):
            add("N")
            return letter(current + 1) == ascii("N") ? 2 : 1
        case ascii("P"):
            if letter(current + 1) == ascii("H") { add("F"); return 2 }
            add("P")
            return matches(current + 1, "P", "B") ? 2 : 1   // CAMPBELL, RASPBERRY
        case ascii("Q"):
            add("K")
            return letter(current + 1) == ascii("Q") ? 2 : 1
        case ascii("R"):
            // French final R after IE (ROGIER), but not HOCHMEIER.
            if current == last, !isSlavoGermanic, matches(current - 2, "IE"), !matches(current - 4, "ME", "MA") {
                add("", "R")
            } else {
                add("R")
            }
            return letter(current + 1) == ascii("R") ? 2 : 1
        case ascii("S"): return encodeS(current)
        case ascii("T"): return encodeT(current)
        case ascii("V"):
            add("F")
            return letter(current + 1) == ascii("V") ? 2 : 1
        case ascii("W"): return encodeW(current)
        case ascii("X"):
            // French final X after IAU, EAU, AU, OU (BREAUX) is silent.
            let silent = current == last && (matches(current - 3, "IAU", "EAU") || matches(current - 2, "AU", "OU"))
            if !silent { add("KS") }
            return matches(current + 1, "C", "X") ? 2 : 1
        case ascii("Z"):
            if letter(current + 1) == ascii("H") { add("J"); return 2 }   // ZHAO
            if matches(current + 1, "ZO", "ZI", "ZA") || (isSlavoGermanic && current > 0 && letter(current - 1) != ascii("T")) {
                add("S", "TS")
            } else {
                add("S")
            }
            return letter(current + 1) == ascii("Z") ? 2 : 1
        default:
            return 1
        }
    }

    private mutating func encodeC(_ current: Int) -> Int {
        // Germanic ACH: BACHER, MACHER, but not ACHI or ACHE.
        if current > 1, !isVowel(current - 2), matches(current - 1, "ACH"), letter(current + 2) != ascii("I"),
           letter(current + 2) != ascii("E") || matches(current - 2, "BACHER", "MACHER") {
            add("K"); return 2
        }
        if current == 0, matches(current, "CAESAR") { add("S"); return 2 }
        if matches(current, "CHIA") { add("K"); return 2 }   // CHIANTI
        if matches(current, "CH") {
            if current > 0, matches(current, "CHAE") { add("K", "X"); return 2 }   // MICHAEL
            // Greek roots at the start: CHARACTER, CHARISMA, CHORUS, CHYMIST, but not CHORE.
            if current == 0, matches(current + 1, "HARAC", "HARIS") || matches(current + 1, "HOR", "HYM", "HIA", "HEM"),
               !matches(0, "CHORE") {
                add("K"); return 2
            }
            let hardCH = startsGermanic
                || matches(current - 2, "ORCHES", "ARCHIT", "ORCHID")
                || matches(current + 2, "T", "S")
                || ((matches(current - 1, "A", "O", "U", "E") || current == 0)
                    && matches(current + 2, "L", "R", "N", "M", "B", "H", "F", "V", "W", " "))
            if hardCH {
                add("K")
            } else if current > 0 {
                if matches(0, "MC") { add("K") } else { add("X", "K") }   // MCHUGH
            } else {
                add("X")
            }
            return 2
        }
        if matches(current, "CZ"), !matches(current - 2, "WICZ") { add("S", "X"); return 2 }   // CZERNY
        if matches(current + 1, "CIA") { add("X"); return 3 }   // FOCACCIA
        if matches(current, "CC"), !(current == 1 && letter(0) == ascii("M")) {   // not MCCLELLAN
            if matches(current + 2, "I", "E", "H"), !matches(current + 2, "HU") {
                if (current == 1 && letter(current - 1) == ascii("A")) || matches(current - 1, "UCCEE", "UCCES") {
                    add("KS")   // ACCIDENT, SUCCEED
                } else {
                    add("X")    // BACCI, BERTUCCI
                }
                return 3
            }
            add("K")   // Pierce's rule
            return 2
        }
        if matches(current, "CK", "CG", "CQ") { add("K"); return 2 }
        if matches(current, "CI", "CE", "CY") {
            if matches(current, "CIO", "CIE", "CIA") { add("S", "X") } else { add("S") }
            return 2
        }
        add("K")
        if matches(current + 1, " C", " Q", " G") { return 3 }   // MAC CAFFREY, MAC GREGOR
        if matches(current + 1, "C", "K", "Q"), !matches(current + 1, "CE", "CI") { return 2 }
        return 1
    }

    private mutating func encodeG(_ current: Int) -> Int {
        if letter(current + 1) == ascii("H") {
            if current > 0, !isVowel(current - 1) { add("K"); return 2 }
            if current == 0 {
                if letter(current + 2) == ascii("I") { add("J") } else { add("K") }   // GHISLANE
                return 2
            }
            // Parker's rule: HUGH, BOUGH, BROUGHTON are silent.
            if (current > 1 && matches(current - 2, "B", "H", "D")) || (current > 2 && matches(current - 3, "B", "H", "D"))
                || (current > 3 && matches(current - 4, "B", "H")) {
                return 2
            }
            if current > 2, letter(current - 1) == ascii("U"), matches(current - 3, "C", "G", "L", "R", "T") {
                add("F")   // LAUGH, COUGH, TOUGH
            } else if current > 0, letter(current - 1) != ascii("I") {
                add("K")
            }
            return 2
        }
        if letter(current + 1) == ascii("N") {
            if current == 1, isVowel(0), !isSlavoGermanic {
                add("KN", "N")
            } else if !matches(current + 2, "EY"), letter(current + 1) != ascii("Y"), !isSlavoGermanic {
                add("N", "KN")   // not CAGNEY
            } else {
                add("KN")
            }
            return 2
        }
        if matches(current + 1, "LI"), !isSlavoGermanic { add("KL", "L"); return 2 }   // TAGLIARO
        if current == 0, letter(current + 1) == ascii("Y")
            || matches(current + 1, "ES", "EP", "EB", "EL", "EY", "IB", "IL", "IN", "IE", "EI", "ER") {
            add("K", "J"); return 2
        }
        if matches(current + 1, "ER") || letter(current + 1) == ascii("Y"), !matches(0, "DANGER", "RANGER", "MANGER"),
           !matches(current - 1, "E", "I"), !matches(current - 1, "RGY", "OGY") {
            add("K", "J"); return 2
        }
        if matches(current + 1, "E", "I", "Y") || matches(current - 1, "AGGI", "OGGI") {   // Italian BIAGGI
            if startsGermanic || matches(current + 1, "ET") {
                add("K")
            } else if matches(current + 1, "IER ") {
                add("J")   // French ending
            } else {
                add("J", "K")
            }
            return 2
        }
        add("K")
        return letter(current + 1) == ascii("G") ? 2 : 1
    }

    private mutating func encodeJ(_ current: Int) -> Int {
        // Spanish: JOSE, SAN JACINTO.
        if matches(current, "JOSE") || matches(0, "SAN ") {
            if (current == 0 && letter(current + 4) == ascii(" ")) || matches(0, "SAN ") {
                add("H")
            } else {
                add("J", "H")
            }
            return 1
        }
        if current == 0, !matches(current, "JOSE") {
            add("J", "A")   // YANKELOVICH / JANKELOWICZ
        } else if isVowel(current - 1), !isSlavoGermanic, letter(current + 1) == ascii("A") || letter(current + 1) == ascii("O") {
            add("J", "H")   // Spanish BAJADOR
        } else if current == last {
            add("J", "")
        } else if !matches(current + 1, "L", "T", "K", "S", "N", "M", "B", "Z"), !matches(current - 1, "S", "K", "L") {
            add("J")
        }
        return letter(current + 1) == ascii("J") ? 2 : 1
    }

    private mutating func encodeS(_ current: Int) -> Int {
        if matches(current - 1, "ISL", "YSL") { return 1 }   // ISLAND, CARLISLE
        if current == 0, matches(current, "SUGAR") { add("X", "S"); return 1 }
        if matches(current, "SH") {
            if matches(current + 1, "HEIM", "HOEK", "HOLM", "HOLZ") { add("S") } else { add("X") }
            return 2
        }
        if matches(current, "SIO", "SIA") || matches(current, "SIAN") {   // Italian, Armenian
            if isSlavoGermanic { add("S") } else { add("S", "X") }
            return 3
        }
        // SMITH matches SCHMIDT, SNIDER matches SCHNEIDER; Slavic SZ.
        if (current == 0 && matches(current + 1, "M", "N", "L", "W")) || matches(current + 1, "Z") {
            add("S", "X")
            return matches(current + 1, "Z") ? 2 : 1
        }
        if matches(current, "SC") {
            if letter(current + 2) == ascii("H") {   // Schlesinger's rule
                if matches(current + 3, "OO", "ER", "EN", "UY", "ED", "EM") {
                    if matches(current + 3, "ER", "EN") { add("X", "SK") } else { add("SK") }   // SCHENKER; SCHOOL
                    return 3
                }
                if current == 0, !isVowel(3), letter(3) != ascii("W") { add("X", "S") } else { add("X") }
                return 3
            }
            if matches(current + 2, "I", "E", "Y") { add("S"); return 3 }
            add("SK")
            return 3
        }
        // French final S after AI or OI (RESNAIS, ARTOIS).
        if current == last, matches(current - 2, "AI", "OI") { add("", "S") } else { add("S") }
        return matches(current + 1, "S", "Z") ? 2 : 1
    }

    private mutating func encodeT(_ current: Int) -> Int {
        if matches(current, "TION") { add("X"); return 3 }
        if matches(current, "TIA", "TCH") { add("X"); return 3 }
        if matches(current, "TH") || matches(current, "TTH") {
            // THOMAS, THAMES, or Germanic: T; otherwise the TH sound, written 0.
            if matches(current + 2, "OM", "AM") || startsGermanic { add("T") } else { add("0", "T") }
            return 2
        }
        add("T")
        return matches(current + 1, "T", "D") ? 2 : 1
    }

    private mutating func encodeW(_ current: Int) -> Int {
        if matches(current, "WR") { add("R"); return 2 }
        if current == 0, isVowel(current + 1) || matches(current, "WH") {
            if isVowel(current + 1) { add("A", "F") } else { add("A") }   // WASSERMAN / VASSERMAN; UOMO / WOMO
        }
        // ARNOW matches ARNOFF; Polish -EWSKI.
        if (current == last && isVowel(current - 1)) || matches(current - 1, "EWSKI", "EWSKY", "OWSKI", "OWSKY")
            || matches(0, "SCH") {
            add("", "F")
            return 1
        }
        if matches(current, "WICZ", "WITZ") { add("TS", "FX"); return 4 }   // FILIPOWICZ
        return 1
    }
}
