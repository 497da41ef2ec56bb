public import MPICore

/// How a source lays out a person's name.
public enum NameInput: Sendable, Hashable {
    /// Forenames and surname in separate columns.
    case separate(given: String, family: String)
    /// One column, "SURNAME, Forename Middle" (the PAS convention). Without a comma it is read as
    /// `givenFirst`.
    case familyFirst(String)
    /// One column, "Forename Middle Surname".
    case givenFirst(String)
}

/// Raw name text to a `PersonName`. See `NameVocabulary` for the word lists and the particle rule.
public struct NameNormalizer {
    private let folding: LatinFolding

    public init(folding: LatinFolding) {
        self.folding = folding
    }

    public func normalize(_ input: NameInput) -> PersonName {
        let givenGroups: [[String]]
        let familyGroups: [[String]]
        switch input {
        case .separate(let given, let family):
            givenGroups = Self.stripTitlesAndSuffixes(tokenize(given))
            familyGroups = Self.stripSuffixes(tokenize(family))
        case .familyFirst(let text):
            guard let comma = text.firstIndex(of: ",") else { return normalize(.givenFirst(text)) }
            familyGroups = Self.stripSuffixes(Self.stripTitles(tokenize(String(text[..<comma]))))
            givenGroups = Self.stripTitlesAndSuffixes(tokenize(String(text[text.index(after: comma)...])))
        case .givenFirst(let text):
            let groups = Self.stripTitlesAndSuffixes(tokenize(text))
            (givenGroups, familyGroups) = Self.splitGivenFirst(groups)
        }
        return Self.assemble(given: givenGroups, family: familyGroups)
    }

    /// Folds to upper-case ASCII and splits into word groups: spaces separate groups, hyphens separate
    /// words inside a group ("SMITH-JONES" is one group of two words), apostrophes join ("O'BRIEN" ->
    /// "OBRIEN"), and any other punctuation separates.
    func tokenize(_ raw: String) -> [[String]] {
        let folded = folding.fold(raw)
        var groups: [[String]] = []
        var group: [String] = []
        var word: [UInt8] = []
        func endWord() {
            if !word.isEmpty { group.append(String(decoding: word, as: UTF8.self)); word.removeAll(keepingCapacity: true) }
        }
        func endGroup() {
            endWord()
            if !group.isEmpty { groups.append(group); group = [] }
        }
        for byte in folded.utf8 {
            switch byte {
            case UInt8(ascii: "A")...UInt8(ascii: "Z"), UInt8(ascii: "0")...UInt8(ascii: "9"):
                word.append(byte)
            case UInt8(ascii: "'"):
                continue
            case UInt8(ascii: "-"):
                endWord()
            default:
                endGroup()
            }
        }
        endGroup()
        return groups
    }

    private static func isSingle(_ group: [String], in set: Set<String>) -> Bool {
        group.count == 1 && set.contains(group[0])
    }

    static func stripTitles(_ groups: [[String]]) -> [[String]] {
        var rest = groups[...]
        // Keep the last group even if it looks like a title: "Lady" or "Major" may be the name itself.
        while rest.count > 1, let first = rest.first, isSingle(first, in: NameVocabulary.titles) { rest = rest.dropFirst() }
        return Array(rest)
    }

    static func stripSuffixes(_ groups: [[String]]) -> [[String]] {
        var rest = groups[...]
        while rest.count > 1, let last = rest.last, isSingle(last, in: NameVocabulary.suffixes) { rest = rest.dropLast() }
        return Array(rest)
    }

    static func stripTitlesAndSuffixes(_ groups: [[String]]) -> [[String]] {
        stripSuffixes(stripTitles(groups))
    }

    /// "Jan van der Berg" -> given [JAN], family [VAN, DER, BERG]: the last group is the surname, with
    /// the particles just before it.
    static func splitGivenFirst(_ groups: [[String]]) -> (given: [[String]], family: [[String]]) {
        guard groups.count > 1 else { return ([], groups) }
        var start = groups.count - 1
        while start > 1, isSingle(groups[start - 1], in: NameVocabulary.particles) { start -= 1 }
        return (Array(groups[..<start]), Array(groups[start...]))
    }

    static func assemble(given: [[String]], family: [[String]]) -> PersonName {
        // A hyphenated forename stays one forename: "MARY-JANE" -> "MARYJANE".
        let forenames = given.map { $0.joined() }
        let familyWords = family.flatMap { $0 }
        let wholeFamily = familyWords.joined()
        var parts = familyWords.filter { !NameVocabulary.particles.contains($0) }
        if parts.isEmpty || parts == [wholeFamily] { parts = [] }
        var name = PersonName(
            given: forenames.first ?? "",
            middle: Array(forenames.dropFirst()),
            family: wholeFamily,
            familyParts: parts
        )
        name.placeholder = PlaceholderDetection.detect(given: given.flatMap { $0 }, family: familyWords)
        return name
    }
}
