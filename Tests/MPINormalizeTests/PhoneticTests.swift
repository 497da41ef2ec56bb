import MPINormalize
import MPITestSupport
import Testing

@Suite struct PhoneticReferenceTests {
    /// 4,700 names coded by jellyfish (Soundex, NYSIIS) and the C++ Double Metaphone.
    static let rows: [[String: String]] = (try? Fixtures.rows("phonetic.tsv")) ?? []

    @Test func fixtureIsLoaded() { #expect(Self.rows.count >= 4500) }

    @Test func soundexMatchesJellyfish() {
        let mismatches = Self.rows.filter { Phonetic.soundex($0["name"]!) != $0["soundex"]! }.map { $0["name"]! }
        let mismatchCount = mismatches.count, firstFew = mismatches.prefix(8)
        #expect(mismatchCount == 0, "first mismatches: \(firstFew)")
    }

    @Test func nysiisMatchesJellyfish() {
        let mismatches = Self.rows.filter { Phonetic.nysiis($0["name"]!) != $0["nysiis"]! }
            .map { "\($0["name"]!): \(Phonetic.nysiis($0["name"]!)) expected \($0["nysiis"]!)" }
        let mismatchCount = mismatches.count, firstFew = mismatches.prefix(8)
        #expect(mismatchCount == 0, "first mismatches: \(firstFew)")
    }

    @Test func doubleMetaphoneMatchesReference() {
        let mismatches = Self.rows.compactMap { row -> String? in
            let name = row["name"]!
            let keys = Phonetic.doubleMetaphone(name)
            guard keys.primary != row["dm_primary"]! || keys.alternate != row["dm_alternate"]! else { return nil }
            return "\(name): \(keys.primary)/\(keys.alternate) expected \(row["dm_primary"]!)/\(row["dm_alternate"]!)"
        }
        let mismatchCount = mismatches.count, firstFew = mismatches.prefix(8)
        #expect(mismatchCount == 0, "first mismatches: \(firstFew)")
    }

    @Test(arguments: [("SMITH", "SM0", "XMT"), ("SCHMIDT", "XMT", "SMT"), ("JACKSON", "JKSN", "AKSN"), ("", "", "")])
    func doubleMetaphoneKnownCases(name: String, primary: String, alternate: String) {
        let keys = Phonetic.doubleMetaphone(name)
        #expect(keys.primary == primary)
        #expect(keys.alternate == alternate)
    }
}
