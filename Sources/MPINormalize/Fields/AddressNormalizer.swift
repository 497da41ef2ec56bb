public import MPICore

/// Address lines to upper case without punctuation, with the common Royal Mail and PAS abbreviations
/// expanded, and the house and flat numbers pulled out.
public struct AddressNormalizer {
    private let folding: LatinFolding

    public init(folding: LatinFolding) {
        self.folding = folding
    }

    static let abbreviationTable = WordTable(abbreviations)
    static let flatWordSet = WordSet(flatWords)

    static let abbreviations: [String: String] = [
        "RD": "ROAD", "AVE": "AVENUE", "AV": "AVENUE", "AVNUE": "AVENUE", "CRES": "CRESCENT", "CRESC": "CRESCENT",
        "CL": "CLOSE", "CT": "COURT", "CRT": "COURT", "GDNS": "GARDENS", "GDN": "GARDEN", "DR": "DRIVE",
        "LN": "LANE", "PL": "PLACE", "SQ": "SQUARE", "TER": "TERRACE", "TERR": "TERRACE", "TCE": "TERRACE",
        "HSE": "HOUSE", "FLT": "FLAT", "APT": "APARTMENT", "GRN": "GREEN", "GRV": "GROVE", "GR": "GROVE",
        "PK": "PARK", "PDE": "PARADE", "WLK": "WALK", "MWS": "MEWS", "HTS": "HEIGHTS", "EST": "ESTATE",
        "BLDGS": "BUILDINGS", "BLDG": "BUILDING", "UPR": "UPPER", "LWR": "LOWER", "GT": "GREAT",
        "CTR": "CENTRE", "STN": "STATION", "HWY": "HIGHWAY", "BVD": "BOULEVARD", "BLVD": "BOULEVARD",
        "WY": "WAY", "CLS": "CLOSE", "RI": "RISE", "VW": "VIEW", "YD": "YARD", "CNR": "CORNER", "CTS": "COURTS",
        "NTH": "NORTH", "STH": "SOUTH", "ESQ": "ESQUIRE", "MT": "MOUNT", "HL": "HILL", "ALY": "ALLEY",
    ]

    /// Words that introduce a flat number.
    static let flatWords: Set<String> = ["FLAT", "APARTMENT", "UNIT", "ROOM", "STUDIO", "MAISONETTE"]

    public func normalize(lines rawLines: some Collection<String>) -> Address {
        var address = Address(lines: [])
        address.lines.reserveCapacity(rawLines.count)
        var streetOnNextLine = false
        for raw in rawLines {
            let words = normalizeLine(raw)
            guard !words.isEmpty else { continue }
            address.lines.append(words.joined(separator: " "))
            if streetOnNextLine {
                // "12" on a line of its own and the street on the next.
                address.street = address.lines.last
                streetOnNextLine = false
                continue
            }
            var rest = words[...]
            if let first = rest.first, rest.count >= 2, first.utf8.count <= 10, Self.flatWordSet.contains(first),
               Self.isNumberLike(rest[rest.startIndex + 1]) {
                if address.flat == nil { address.flat = rest[rest.startIndex + 1] }
                rest = rest.dropFirst(2)
            }
            guard address.houseNumber == nil, let first = rest.first else { continue }
            // "3/12 HIGH STREET": flat 3 at number 12.
            let slashParts = first.utf8.contains(UInt8(ascii: "/")) ? first.split(separator: "/") : []
            if slashParts.count == 2, slashParts.allSatisfy({ Self.isNumberLike(String($0)) }) {
                if address.flat == nil { address.flat = String(slashParts[0]) }
                address.houseNumber = String(slashParts[1])
            } else if Self.isNumberLike(first) {
                address.houseNumber = first
            } else {
                continue
            }
            rest = rest.dropFirst()
            if rest.isEmpty {
                streetOnNextLine = true
            } else if rest.startIndex == words.startIndex + 1, let line = address.lines.last {
                // The street is the line after its first word: cut it from the line already built.
                address.street = String(line[line.utf8.index(line.utf8.startIndex, offsetBy: first.utf8.count + 1)...])
            } else {
                address.street = rest.joined(separator: " ")
            }
        }
        return address
    }

    /// Folded words of one line, abbreviations expanded. "ST" is SAINT before another word
    /// ("ST JOHNS ROAD") and STREET at the end of the line ("HIGH ST").
    func normalizeLine(_ raw: String) -> [String] {
        let folded = folding.tokenizable(raw)
        let bytes = folded.utf8
        var words: [String] = []
        words.reserveCapacity(8)
        var wordStart: String.UTF8View.Index? = nil
        var hasApostrophe = false
        var previous: UInt8 = 0
        func endWord(at end: String.UTF8View.Index) {
            guard let start = wordStart else { return }
            let word = LatinFolding.upperWord(folded, start..<end, dropApostrophes: hasApostrophe)
            if !word.isEmpty { words.append(word) }
            wordStart = nil
            hasApostrophe = false
        }
        var index = bytes.startIndex
        while index != bytes.endIndex {
            let byte = bytes[index]
            switch byte {
            case UInt8(ascii: "A")...UInt8(ascii: "Z"), UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "0")...UInt8(ascii: "9"),
                 UInt8(ascii: "/"):
                if wordStart == nil { wordStart = index }
            case UInt8(ascii: "-") where wordStart != nil && previous >= 0x30 && previous <= 0x39:
                break   // "12-14"
            case UInt8(ascii: "'") where wordStart != nil:
                hasApostrophe = true
            default:
                endWord(at: index)
            }
            previous = byte
            index = bytes.index(after: index)
        }
        endWord(at: bytes.endIndex)
        for index in words.indices where words[index].utf8.count <= Self.longestAbbreviation {
            if words[index] == "ST" {
                words[index] = index == words.count - 1 ? "STREET" : "SAINT"
            } else if let expanded = Self.abbreviationTable[words[index]] {
                words[index] = expanded
            }
        }
        return words
    }

    /// Longer words are never looked up.
    static let longestAbbreviation = abbreviations.keys.map(\.utf8.count).max() ?? 0

    /// "12", "12A", "12-14".
    static func isNumberLike(_ word: String) -> Bool {
        guard let first = word.utf8.first, (0x30...0x39).contains(first) else { return false }
        var letters = 0
        for byte in word.utf8 {
            switch byte {
            case 0x30...0x39, UInt8(ascii: "-"): continue
            case 0x41...0x5A: letters += 1
            default: return false
            }
        }
        return letters <= 1
    }
}
