import MPICore
import MPITestSupport
import Testing

private func bytes(_ text: String) -> [UInt8] { Array(text.utf8) }

@Suite struct SimilarityReferenceTests {
    /// 5,000+ name pairs scored by rapidfuzz (Scripts/generate-reference-fixtures.py).
    static let pairs: [[String: String]] = (try? Fixtures.rows("similarity.tsv")) ?? []

    @Test func fixtureIsLoaded() {
        #expect(Self.pairs.count >= 5000)
    }

    @Test func jaroAndJaroWinklerMatchRapidfuzz() throws {
        var mismatches: [String] = []
        for row in Self.pairs {
            let a = bytes(row["a"]!), b = bytes(row["b"]!)
            let jaro = Jaro.similarity(a, b), expectedJaro = Double(row["jaro"]!)!
            let winkler = Jaro.winklerSimilarity(a, b), expectedWinkler = Double(row["jaro_winkler"]!)!
            if abs(jaro - expectedJaro) > 1e-9 || abs(winkler - expectedWinkler) > 1e-9 {
                mismatches.append("\(row["a"]!)/\(row["b"]!): \(jaro) \(winkler) expected \(expectedJaro) \(expectedWinkler)")
            }
        }
        let mismatchCount = mismatches.count, firstFew = mismatches.prefix(5)
        #expect(mismatchCount == 0, "first mismatches: \(firstFew)")
    }

    @Test func editDistancesMatchRapidfuzz() {
        var mismatches: [String] = []
        for row in Self.pairs {
            let a = bytes(row["a"]!), b = bytes(row["b"]!)
            let levenshtein = EditDistance.levenshtein(a, b)
            let osa = EditDistance.optimalStringAlignment(a, b)
            if levenshtein != Int(row["levenshtein"]!)! || osa != Int(row["osa"]!)! {
                mismatches.append("\(row["a"]!)/\(row["b"]!): \(levenshtein) \(osa)")
            }
        }
        let mismatchCount = mismatches.count, firstFew = mismatches.prefix(5)
        #expect(mismatchCount == 0, "first mismatches: \(firstFew)")
    }
}

@Suite struct SimilarityPropertyTests {
    static let words: [[UInt8]] = {
        let rows = (try? Fixtures.rows("similarity.tsv")) ?? []
        return rows.prefix(400).flatMap { [bytes($0["a"]!), bytes($0["b"]!)] }
    }()

    @Test func symmetricAndBounded() {
        for (a, b) in zip(Self.words, Self.words.reversed()) {
            let jw = Jaro.winklerSimilarity(a, b)
            #expect(jw == Jaro.winklerSimilarity(b, a))
            #expect((0...1).contains(jw))
            #expect(EditDistance.levenshtein(a, b) == EditDistance.levenshtein(b, a))
            #expect(EditDistance.optimalStringAlignment(a, b) == EditDistance.optimalStringAlignment(b, a))
            #expect(EditDistance.levenshtein(a, b) <= max(a.count, b.count))
            #expect(EditDistance.optimalStringAlignment(a, b) <= EditDistance.levenshtein(a, b))
        }
    }

    @Test func identity() {
        for word in Self.words {
            #expect(Jaro.similarity(word, word) == 1)
            #expect(Jaro.winklerSimilarity(word, word) == 1)
            #expect(EditDistance.levenshtein(word, word) == 0)
            #expect(EditDistance.optimalStringAlignment(word, word) == 0)
        }
    }

    /// Levenshtein is a metric; the restricted (OSA) distance is not, so only Levenshtein is checked.
    @Test func levenshteinTriangleInequality() {
        let sample = Array(Self.words.prefix(60))
        for a in sample {
            for b in sample.prefix(20) {
                for c in sample.suffix(20) {
                    #expect(EditDistance.levenshtein(a, c) <= EditDistance.levenshtein(a, b) + EditDistance.levenshtein(b, c))
                }
            }
        }
    }

    @Test func osaIsNotATriangleMetric() {
        // The textbook counterexample: CA -> AC -> ABC costs 1 + 1, but OSA(CA, ABC) is 3.
        #expect(EditDistance.optimalStringAlignment(bytes("CA"), bytes("ABC")) == 3)
        #expect(EditDistance.optimalStringAlignment(bytes("CA"), bytes("AC")) == 1)
    }
}

@Suite struct DateSimilarityTests {
    private func date(_ y: Int, _ m: Int, _ d: Int) -> CalendarDate { CalendarDate(year: y, month: m, day: d)! }

    @Test func daysApart() {
        #expect(DateSimilarity.daysApart(date(1970, 1, 1), date(1970, 1, 1)) == 0)
        #expect(DateSimilarity.daysApart(date(2000, 2, 28), date(2000, 3, 1)) == 2)       // leap year
        #expect(DateSimilarity.daysApart(date(1900, 2, 28), date(1900, 3, 1)) == 1)       // not a leap year
        #expect(DateSimilarity.daysApart(date(1969, 12, 31), date(1970, 1, 1)) == 1)
        #expect(date(1970, 1, 1).daysSinceEpoch == 0)
        #expect(date(2000, 1, 1).daysSinceEpoch == 10957)
    }

    @Test func transposedDayAndMonth() {
        #expect(DateSimilarity.isDayMonthTransposed(date(1980, 3, 4), date(1980, 4, 3)))
        #expect(!DateSimilarity.isDayMonthTransposed(date(1980, 3, 4), date(1981, 4, 3)))
        #expect(!DateSimilarity.isDayMonthTransposed(date(1980, 3, 3), date(1980, 3, 3)))
        #expect(!DateSimilarity.isDayMonthTransposed(date(1980, 3, 4), date(1980, 3, 5)))
    }

    @Test func oneDigitDifferent() {
        #expect(DateSimilarity.differsByOneDigit(date(1980, 3, 14), date(1980, 3, 15)))
        #expect(DateSimilarity.differsByOneDigit(date(1980, 3, 14), date(1990, 3, 14)))
        #expect(!DateSimilarity.differsByOneDigit(date(1980, 3, 14), date(1980, 3, 14)))
        #expect(!DateSimilarity.differsByOneDigit(date(1980, 3, 14), date(1980, 4, 15)))
        #expect(!DateSimilarity.differsByOneDigit(date(1980, 3, 19), date(1980, 3, 21)))
    }

    @Test func invalidDatesAreRejected() {
        #expect(CalendarDate(year: 2001, month: 2, day: 29) == nil)
        #expect(CalendarDate(year: 2000, month: 2, day: 29) != nil)
        #expect(CalendarDate(year: 1990, month: 13, day: 1) == nil)
        #expect(CalendarDate(year: 1990, month: 4, day: 31) == nil)
    }
}

@Suite struct LongStringTests {
    /// Past 16-bit distances the wide paths take over and agree with the definition. The other string
    /// is short, so the quadratic work stays small.
    @Test func distancesBeyondSixteenBits() {
        let long = [UInt8](repeating: UInt8(ascii: "A"), count: 70_000)
        let short = Array("AB".utf8)
        #expect(EditDistance.levenshtein(long, short) == 69_999)
        #expect(EditDistance.optimalStringAlignment(short, long) == 69_999)
        #expect(EditDistance.levenshtein([], long) == 70_000)
        // The transposition rule still applies on the wide path: BAC -> ABC costs 1, not 2.
        // (rapidfuzz gives 12 and 11 for the same shape with 10 X's: n + 2 and n + 1.)
        let startsABC = Array("ABC".utf8) + [UInt8](repeating: UInt8(ascii: "X"), count: 69_997)
        #expect(EditDistance.levenshtein(Array("BAC".utf8), startsABC) == 69_999)
        #expect(EditDistance.optimalStringAlignment(Array("BAC".utf8), startsABC) == 69_998)
    }
}

private func asciiLowercased(_ byte: UInt8) -> UInt8 {
    byte >= UInt8(ascii: "A") && byte <= UInt8(ascii: "Z") ? byte + 0x20 : byte
}

@Suite struct EditDistancePathTests {
    /// Lower-case bytes fall outside the bit-parallel alphabet, so the same pairs in lower case take the
    /// dynamic-programming path. Distances do not depend on case, so the two paths must agree.
    @Test func bitParallelAndDynamicProgrammingAgree() throws {
        let rows = try Fixtures.rows("similarity.tsv")
        var disagreements: [String] = []
        for row in rows {
            let a = Array(row["a"]!.utf8), b = Array(row["b"]!.utf8)
            // ASCII letters only: Unicode lower-casing is contextual (Greek final sigma) and would change distances.
            let lowerA = a.map(asciiLowercased), lowerB = b.map(asciiLowercased)
            if EditDistance.levenshtein(a, b) != EditDistance.levenshtein(lowerA, lowerB)
                || EditDistance.optimalStringAlignment(a, b) != EditDistance.optimalStringAlignment(lowerA, lowerB) {
                disagreements.append("\(row["a"]!)/\(row["b"]!)")
            }
        }
        let count = disagreements.count, firstFew = disagreements.prefix(5)
        #expect(count == 0, "first: \(firstFew)")
    }

    @Test func patternOfExactlySixtyFourBytes() {
        let a = Array(String(repeating: "AB", count: 32).utf8)          // 64 bytes: the top bit is in use
        var b = a
        b[63] = UInt8(ascii: "C")
        b.swapAt(0, 1)
        #expect(EditDistance.levenshtein(a, b) == 3)
        #expect(EditDistance.optimalStringAlignment(a, b) == 2)
    }
}
