public import MPICore

/// Recognises the names hospitals give patients they cannot yet identify, so that the matching treats
/// them as no evidence instead of as a very common name two strangers share.
public enum PlaceholderDetection {
    /// What a word can signal. One dictionary lookup per word finds all of it, so ordinary names
    /// (no word in any list) cost one hash each.
    private struct Signals: OptionSet, Sendable {
        let rawValue: UInt16
        static let nato = Signals(rawValue: 1 << 0)
        static let unknown = Signals(rawValue: 1 << 1)
        static let newborn = Signals(rawValue: 1 << 2)
        static let multipleBirth = Signals(rawValue: 1 << 3)
        static let sex = Signals(rawValue: 1 << 4)
        static let test = Signals(rawValue: 1 << 5)
        static let strongTest = Signals(rawValue: 1 << 6)      // DUMMY, TESTPATIENT: a test record on its own
        static let phraseStart = Signals(rawValue: 1 << 7)     // NOT, NO: may start "NOT KNOWN", "NO NAME"
    }

    private static let vocabulary: WordTable<Signals> = {
        var signals: [String: Signals] = [:]
        func mark(_ words: Set<String>, _ signal: Signals) { for word in words { signals[word, default: []].insert(signal) } }
        mark(NameVocabulary.natoAlphabet, .nato)
        mark(NameVocabulary.unknownWords, .unknown)
        mark(NameVocabulary.newbornWords, .newborn)
        mark(NameVocabulary.multipleBirthWords, .multipleBirth)
        mark(NameVocabulary.sexWords, .sex)
        mark(NameVocabulary.testWords, .test)
        mark(["DUMMY", "TESTPATIENT"], .strongTest)
        mark(Set(NameVocabulary.unknownPhrases.map { $0[0] }), .phraseStart)
        return WordTable(signals)
    }()

    /// Most names hold no word of any list: this first pass finds that without building anything.
    static func detect(given: some Collection<String>, family: some Collection<String>) -> PlaceholderName? {
        var anySignal = false
        for word in given where vocabulary[word] != nil || isTestPrefixed(word) { anySignal = true; break }
        if !anySignal {
            for word in family where vocabulary[word] != nil || isTestPrefixed(word) { anySignal = true; break }
        }
        if !anySignal {
            return isFiller(given) || isFiller(family) ? .filler : nil
        }
        return detect(given: Array(given), family: Array(family))
    }

    private static func isTestPrefixed(_ word: String) -> Bool {
        word.utf8.starts(with: "ZZTEST".utf8) || word.utf8.starts(with: "XXTEST".utf8)
    }

    /// `given` and `family` are the folded words of each part.
    public static func detect(given: [String], family: [String]) -> PlaceholderName? {
        let count = given.count + family.count
        guard count > 0 else { return nil }
        var signals: [Signals] = []
        signals.reserveCapacity(count)
        var any: Signals = []
        let words = given + family
        for word in words {
            var signal = vocabulary[word] ?? []
            if isTestPrefixed(word) { signal.formUnion([.test, .strongTest]) }
            signals.append(signal)
            any.formUnion(signal)
        }
        if any.isEmpty { return isFiller(given) || isFiller(family) ? .filler : nil }

        if count >= 2, signals.allSatisfy({ $0.contains(.nato) }) { return .emergencyAlias }
        if any.contains(.unknown) { return .unknown }
        if any.contains(.phraseStart), containsPhrase(words, NameVocabulary.unknownPhrases) { return .unknown }
        if isNewborn(given) || isNewborn(family) { return .unnamedNewborn }
        if let index = signals.firstIndex(where: { $0.contains(.multipleBirth) }), isBirthOrder(words, after: index) {
            return .multipleBirth
        }
        if isOnlySex(given) || isOnlySex(family) { return .sexOnly }
        if any.contains(.strongTest) || (any.contains(.test) && signals.allSatisfy { $0.contains(.test) }) { return .testRecord }
        if isFiller(given) || isFiller(family) { return .filler }
        return nil
    }

    /// "BABY", "BABY OF ...", "BABY BOY", "BABYGIRL"; BB and BG only on their own.
    private static func isNewborn(_ part: [String]) -> Bool {
        guard let first = part.first, NameVocabulary.newbornWords.contains(first) else { return false }
        return (first != "BB" && first != "BG") || part.count == 1
    }

    /// TWIN 1, TWIN 2, TWIN A, TWIN ONE; also "TWIN" alone.
    private static func isBirthOrder(_ words: [String], after index: Int) -> Bool {
        guard index + 1 < words.count else { return true }
        let orders: Set<String> = ["1", "2", "3", "4", "A", "B", "C", "D", "ONE", "TWO", "THREE", "I", "II", "III"]
        return orders.contains(words[index + 1])
    }

    private static func isOnlySex(_ part: [String]) -> Bool {
        !part.isEmpty && part.allSatisfy { NameVocabulary.sexWords.contains($0) || NameVocabulary.unknownWords.contains($0) }
    }

    /// XX, ZZZ, XXXX: one of X or Z repeated.
    private static func isFiller(_ part: some Collection<String>) -> Bool {
        guard part.count == 1, let word = part.first, word.utf8.count >= 2, let first = word.utf8.first,
              first == UInt8(ascii: "X") || first == UInt8(ascii: "Z") else { return false }
        return word.utf8.allSatisfy { $0 == first }
    }

    private static func containsPhrase(_ words: [String], _ phrases: [[String]]) -> Bool {
        phrases.contains { phrase in
            words.count >= phrase.count && (0...(words.count - phrase.count)).contains { start in
                words[start..<(start + phrase.count)].elementsEqual(phrase)
            }
        }
    }
}
