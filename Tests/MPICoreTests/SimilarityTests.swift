import MPICore
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
