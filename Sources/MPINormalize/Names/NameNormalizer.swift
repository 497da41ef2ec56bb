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
///
/// Words are kept in one flat array with a group number each: spaces start a new group, hyphens
/// separate words inside a group ("SMITH-JONES" is one group of two words). Titles, suffixes and the
/// given/family split move slice bounds over that array rather than copying it.
public struct NameNormalizer {
    private let folding: LatinFolding

    public init(folding: LatinFolding) {
        self.folding = folding
    }

    struct Word {
        let text: String
        let group: Int
    }

    public func normalize(_ input: NameInput) -> PersonName {
        switch input {
        case .separate(let given, let family):
            let givenWords = tokenize(given), familyWords = tokenize(family)
            return Self.assemble(given: Self.stripTitlesAndSuffixes(givenWords[...]), family: Self.stripSuffixes(familyWords[...]))
        case .familyFirst(let text):
            // One pass over the whole value; the first comma marks where the forenames begin.
            var firstGivenWord: Int? = nil
            let words = tokenize(text, commaSeen: &firstGivenWord)
            guard let split = firstGivenWord else { return normalize(.givenFirst(text)) }
            return Self.assemble(given: Self.stripTitlesAndSuffixes(words[split...]),
                                 family: Self.stripSuffixes(Self.stripTitles(words[..<split])))
        case .givenFirst(let text):
            let words = Self.stripTitlesAndSuffixes(tokenize(text)[...])
            let familyStart = Self.familyStart(words)
            return Self.assemble(given: words[..<familyStart], family: words[familyStart...])
        }
    }

    /// Folds to upper-case ASCII and splits into words: apostrophes join ("O'BRIEN" -> "OBRIEN"),
    /// hyphens split words within a group, anything else that is not a letter or digit ends the group.
    func tokenize(_ raw: String) -> [Word] {
        var ignored: Int? = nil
        return tokenize(raw, commaSeen: &ignored)
    }

    /// As `tokenize(_:)`, also setting `commaSeen` to the index of the first word after the first comma
    /// (the number of words when nothing follows it).
    func tokenize(_ raw: String, commaSeen: inout Int?) -> [Word] {
        let folded = folding.tokenizable(raw)
        var words: [Word] = []
        words.reserveCapacity(4)
        var group = 0
        var wordStart: String.UTF8View.Index? = nil
        var hasApostrophe = false
        let bytes = folded.utf8
        func endWord(at end: String.UTF8View.Index) {
            guard let start = wordStart else { return }
            let text = LatinFolding.upperWord(folded, start..<end, dropApostrophes: hasApostrophe)
            if !text.isEmpty { words.append(Word(text: text, group: group)) }
            wordStart = nil
            hasApostrophe = false
        }
        var index = bytes.startIndex
        while index != bytes.endIndex {
            let byte = bytes[index]
            switch byte {
            case UInt8(ascii: "A")...UInt8(ascii: "Z"), UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "0")...UInt8(ascii: "9"):
                if wordStart == nil { wordStart = index }
            case UInt8(ascii: "'"):
                if wordStart != nil { hasApostrophe = true }
            case UInt8(ascii: "-"):
                endWord(at: index)
            default:
                endWord(at: index)
                if words.last?.group == group { group += 1 }
                if byte == UInt8(ascii: ","), commaSeen == nil { commaSeen = words.count }
            }
            index = bytes.index(after: index)
        }
        endWord(at: bytes.endIndex)
        return words
    }

    typealias Words = ArraySlice<Word>

    /// The first group, if it is one word from `set`.
    private static func leadingSingleWordGroup(_ words: Words, in set: WordSet) -> Int? {
        guard let first = words.first, set.contains(first.text) else { return nil }
        let next = words.index(after: words.startIndex)
        return next == words.endIndex || words[next].group != first.group ? 1 : nil
    }

    private static func groupCount(_ words: Words) -> Int {
        guard let first = words.first, let last = words.last else { return 0 }
        var count = 1
        var previous = first.group
        for word in words where word.group != previous { count += 1; previous = word.group }
        _ = last
        return count
    }

    static func stripTitles(_ words: Words) -> Words {
        var rest = words
        // Keep the last group even if it looks like a title: "Lady" or "Major" may be the name itself.
        while groupCount(rest) > 1, let drop = leadingSingleWordGroup(rest, in: NameVocabulary.titleSet) { rest = rest.dropFirst(drop) }
        return rest
    }

    static func stripSuffixes(_ words: Words) -> Words {
        var rest = words
        while groupCount(rest) > 1, let last = rest.last, NameVocabulary.suffixSet.contains(last.text),
              rest.dropLast().last?.group != last.group {
            rest = rest.dropLast()
        }
        return rest
    }

    static func stripTitlesAndSuffixes(_ words: Words) -> Words {
        stripSuffixes(stripTitles(words))
    }

    /// "Jan van der Berg": the last group is the surname, with the single-word particle groups just
    /// before it; at least one group stays given.
    static func familyStart(_ words: Words) -> Int {
        guard let last = words.last else { return words.endIndex }
        var start = words.lastIndex { $0.group != last.group }.map { $0 + 1 } ?? words.startIndex
        guard start > words.startIndex else { return start }   // one group only: it is the surname
        while start - 1 > words.startIndex {
            let candidate = words[start - 1]
            let isSingleWordGroup = words[start - 2].group != candidate.group
            guard isSingleWordGroup, NameVocabulary.particleSet.contains(candidate.text) else { break }
            start -= 1
        }
        return start
    }

    static func assemble(given: Words, family: Words) -> PersonName {
        // Forenames: one per group; a hyphenated forename stays one ("MARY-JANE" -> "MARYJANE"). The
        // first is the given name, the rest middle names (an array only when there are some).
        var firstForename: String? = nil
        var middle: [String] = []
        var current = ""
        var currentGroup = given.first?.group
        func finishForename() {
            if firstForename == nil { firstForename = current } else { middle.append(current) }
        }
        for word in given {
            if word.group != currentGroup {
                finishForename()
                current = ""
                currentGroup = word.group
            }
            current += word.text
        }
        if !current.isEmpty { finishForename() }

        var wholeFamily = ""
        var particleCount = 0
        for word in family {
            wholeFamily += word.text
            if NameVocabulary.particleSet.contains(word.text) { particleCount += 1 }
        }
        // Parts only when they say more than the whole surname does.
        var parts: [String] = []
        if family.count > 1, particleCount < family.count {
            parts = family.compactMap { NameVocabulary.particleSet.contains($0.text) ? nil : $0.text }
            if parts == [wholeFamily] { parts = [] }
        }
        return PersonName(
            given: firstForename ?? "",
            middle: middle,
            family: wholeFamily,
            familyParts: parts,
            placeholder: PlaceholderDetection.detect(given: given.lazy.map(\.text), family: family.lazy.map(\.text))
        )
    }
}
