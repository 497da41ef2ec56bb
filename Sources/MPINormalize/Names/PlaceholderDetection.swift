public import MPICore

/// Recognises the names hospitals give patients they cannot yet identify, so that the matching treats
/// them as no evidence instead of as a very common name two strangers share.
public enum PlaceholderDetection {
    /// `given` and `family` are the folded words of each part.
    public static func detect(given: [String], family: [String]) -> PlaceholderName? {
        let all = given + family
        guard !all.isEmpty else { return nil }
        let words = Set(all)

        if all.count >= 2, all.allSatisfy(NameVocabulary.natoAlphabet.contains) { return .emergencyAlias }
        if !words.isDisjoint(with: NameVocabulary.unknownWords) { return .unknown }
        if containsPhrase(all, NameVocabulary.unknownPhrases) { return .unknown }
        if isNewborn(given) || isNewborn(family) { return .unnamedNewborn }
        if let index = all.firstIndex(where: NameVocabulary.multipleBirthWords.contains), isBirthOrder(all, after: index) {
            return .multipleBirth
        }
        if isOnlySex(given) || isOnlySex(family) { return .sexOnly }
        if isTest(all) { return .testRecord }
        if isFiller(given) || isFiller(family) { return .filler }
        return nil
    }

    /// "BABY", "BABY OF ...", "BABY BOY", "BABYGIRL".
    private static func isNewborn(_ part: [String]) -> Bool {
        guard let first = part.first else { return false }
        return NameVocabulary.newbornWords.contains(first) && (first != "BB" && first != "BG" || part.count == 1)
    }

    /// TWIN 1, TWIN 2, TWIN A, TWIN ONE; also "TWIN" alone.
    private static func isBirthOrder(_ words: [String], after index: Int) -> Bool {
        let next = index + 1 < words.count ? words[index + 1] : nil
        guard let next else { return true }
        let orders: Set<String> = ["1", "2", "3", "4", "A", "B", "C", "D", "ONE", "TWO", "THREE", "I", "II", "III"]
        return orders.contains(next)
    }

    private static func isOnlySex(_ part: [String]) -> Bool {
        !part.isEmpty && part.allSatisfy { NameVocabulary.sexWords.contains($0) || NameVocabulary.unknownWords.contains($0) }
    }

    /// TEST PATIENT, PATIENT TEST, TEST TEST, DUMMY ..., ZZTEST.
    private static func isTest(_ words: [String]) -> Bool {
        let testish = words.filter { NameVocabulary.testWords.contains($0) || $0.hasPrefix("ZZTEST") || $0.hasPrefix("XXTEST") }
        guard !testish.isEmpty else { return false }
        return testish.count == words.count || words.contains("DUMMY") || words.contains("TESTPATIENT")
            || words.contains { $0.hasPrefix("ZZTEST") || $0.hasPrefix("XXTEST") }
    }

    /// XX, ZZZ, XXXX: one of X or Z repeated.
    private static func isFiller(_ part: [String]) -> Bool {
        part.count == 1 && part[0].utf8.count >= 2 && (part[0].utf8.allSatisfy { $0 == UInt8(ascii: "X") }
            || part[0].utf8.allSatisfy { $0 == UInt8(ascii: "Z") })
    }

    private static func containsPhrase(_ words: [String], _ phrases: [[String]]) -> Bool {
        phrases.contains { phrase in
            words.count >= phrase.count && (0...(words.count - phrase.count)).contains { start in
                Array(words[start..<(start + phrase.count)]) == phrase
            }
        }
    }
}
