import Foundation
import MPILinkage
import MPITestSupport
import Testing

@Suite struct OutputTextTests {
    /// pairs.csv and review.csv print weights and probabilities as C's "%.6g" did before they were
    /// written without String(format:). The expected text is Python's "%.6g" (exact rounding, as C's),
    /// for weights, probabilities, ties at the sixth digit, carries and the exponent form.
    @Test func numbersArePrintedAsCPrintsSixSignificantDigits() throws {
        let rows = try Fixtures.rows("six-significant.tsv")
        #expect(rows.count > 10_000)
        var mismatches: [String] = []
        for row in rows {
            let text = try #require(row["value"])
            let value = try #require(Double(text))
            var out: [UInt8] = []
            NumberText.appendSixSignificant(value, to: &out)
            let printed = String(decoding: out, as: UTF8.self)
            if printed != row["printed"] { mismatches.append("\(row["value"]!): \(printed), expected \(row["printed"]!)") }
        }
        #expect(mismatches.isEmpty, "\(mismatches.prefix(10))")
    }

    @Test func personIdsAreZeroPaddedToSevenDigits() {
        #expect(LinkOutputs.personId(0) == "P0000001")
        #expect(LinkOutputs.personId(41) == "P0000042")
        #expect(LinkOutputs.personId(12_345_677) == "P12345678")
    }

    @Test func fieldsWithCommasQuotesOrLineBreaksAreQuoted() {
        var text = CSVText()
        text.row(["plain", "a,b", "say \"hi\"", "two\nlines", ""])
        text.field(7, width: 3)
        text.field(sixSignificant: 0.25)
        text.endRow()
        #expect(String(decoding: text.bytes, as: UTF8.self) == "plain,\"a,b\",\"say \"\"hi\"\"\",\"two\nlines\",\n007,0.25\n")
    }
}
