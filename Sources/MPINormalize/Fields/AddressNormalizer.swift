public import MPICore

/// Address lines to upper case without punctuation, with the common Royal Mail and PAS abbreviations
/// expanded, and the house and flat numbers pulled out.
public struct AddressNormalizer {
    private let folding: LatinFolding

    public init(folding: LatinFolding) {
        self.folding = folding
    }

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

    public func normalize(lines rawLines: [String]) -> Address {
        let lines = rawLines.map { normalizeLine($0) }.filter { !$0.isEmpty }
        var address = Address(lines: lines.map { $0.joined(separator: " ") })
        for words in lines {
            var rest = words[...]
            if let first = rest.first, Self.flatWords.contains(first), rest.count >= 2, Self.isNumberLike(rest[rest.startIndex + 1]) {
                if address.flat == nil { address.flat = rest[rest.startIndex + 1] }
                rest = rest.dropFirst(2)
            }
            guard address.houseNumber == nil, let first = rest.first else { continue }
            // "3/12 HIGH STREET": flat 3 at number 12.
            let slashParts = first.split(separator: "/")
            if slashParts.count == 2, slashParts.allSatisfy({ Self.isNumberLike(String($0)) }) {
                if address.flat == nil { address.flat = String(slashParts[0]) }
                address.houseNumber = String(slashParts[1])
                rest = rest.dropFirst()
            } else if Self.isNumberLike(first) {
                address.houseNumber = first
                rest = rest.dropFirst()
            } else {
                continue
            }
            if !rest.isEmpty { address.street = rest.joined(separator: " ") }
        }
        if address.street == nil, address.houseNumber != nil {
            // "12" on a line of its own and the street on the next.
            if let index = lines.firstIndex(where: { $0.count == 1 && $0[0] == address.houseNumber }), index + 1 < lines.count {
                address.street = lines[index + 1].joined(separator: " ")
            }
        }
        return address
    }

    /// Folded words of one line, abbreviations expanded. "ST" is SAINT before another word
    /// ("ST JOHNS ROAD") and STREET at the end of the line ("HIGH ST").
    func normalizeLine(_ raw: String) -> [String] {
        var words: [String] = []
        var word: [UInt8] = []
        func endWord() {
            if !word.isEmpty { words.append(String(decoding: word, as: UTF8.self)); word.removeAll(keepingCapacity: true) }
        }
        for byte in folding.fold(raw).utf8 {
            switch byte {
            case UInt8(ascii: "A")...UInt8(ascii: "Z"), UInt8(ascii: "0")...UInt8(ascii: "9"), UInt8(ascii: "/"):
                word.append(byte)
            case UInt8(ascii: "-") where !word.isEmpty && word.last.map({ $0 >= 0x30 && $0 <= 0x39 }) == true:
                word.append(byte)   // "12-14"
            case UInt8(ascii: "'"):
                continue
            default:
                endWord()
            }
        }
        endWord()
        return words.enumerated().map { index, word in
            if word == "ST" { return index == words.count - 1 ? "STREET" : "SAINT" }
            return Self.abbreviations[word] ?? word
        }
    }

    /// "12", "12A", "12-14".
    static func isNumberLike(_ word: String) -> Bool {
        guard let first = word.utf8.first, (0x30...0x39).contains(first) else { return false }
        let letters = word.utf8.filter { (0x41...0x5A).contains($0) }.count
        return letters <= 1 && word.utf8.allSatisfy { (0x30...0x39).contains($0) || (0x41...0x5A).contains($0) || $0 == UInt8(ascii: "-") }
    }
}
