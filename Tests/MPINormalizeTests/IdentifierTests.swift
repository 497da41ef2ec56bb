import MPICore
import MPINormalize
import MPITestSupport
import Testing

@Suite struct NHSNumberTests {
    /// Numbers whose validity was computed by an independent implementation of the data dictionary's rule.
    @Test func referenceVectors() throws {
        let rows = try Fixtures.rows("nhs-numbers.tsv")
        #expect(rows.count > 500)
        for row in rows {
            let number = row["number"]!
            if row["expected"] == "valid" {
                #expect(throws: Never.self) { try NHSNumberNormalizer.normalize(number) }
            } else {
                #expect(throws: Rejection.self) { try NHSNumberNormalizer.normalize(number) }
            }
        }
    }

    @Test func publishedExamples() throws {
        #expect(try NHSNumberNormalizer.normalize("943 476 5919").digits == "9434765919")
        #expect(try NHSNumberNormalizer.normalize("943-476-5919").description == "943 476 5919")
        #expect(rejection("987 654 4321") == "check_digit")
    }

    @Test(arguments: [
        ("", "empty"), ("943 476 591", "length"), ("94347659190", "length"), ("943476591X", "non_digit"),
        ("9.43477E+09", "scientific_notation"), ("9434765919.0", "spreadsheet_decimal"), ("0000000000", "placeholder"),
        ("1111111111", "placeholder"), ("9999999999", "placeholder"), ("9434765918", "check_digit"),
        // 434765919: a spreadsheet lost the leading digit; it is rejected, not guessed.
        ("434765919", "length"),
    ])
    func rejectionsSayWhy(raw: String, code: String) {
        #expect(rejection(raw) == code)
    }

    @Test func checkDigitTenMeansNoValidNumber() {
        // 999000001: weights give 10 - an impossible check digit, so every tenth digit is rejected.
        let firstNine = [9, 9, 9, 0, 0, 0, 0, 0, 1]
        #expect(NHSNumberNormalizer.checkDigit(ofFirstNine: firstNine) == 8)
        #expect(NHSNumberNormalizer.checkDigit(ofFirstNine: [1, 0, 0, 0, 0, 0, 0, 0, 1]) == nil)   // sum 12 -> 11-1 = 10
    }

    @Test func testRangeAndStatus() throws {
        let test = try NHSNumberNormalizer.normalize("9990000018", status: "1")
        #expect(test.isTestNumber)
        #expect(test.status == .verified)
        #expect(test.status?.isVerified == true)
        #expect(try NHSNumberNormalizer.normalize("9434765919", status: "02").status?.isVerified == false)
        #expect(!(try NHSNumberNormalizer.normalize("9434765919").isTestNumber))
        #expect(rejection("9434765919", status: "09") == "status_code")
    }

    private func rejection(_ raw: String, status: String? = nil) -> String? {
        do {
            _ = try NHSNumberNormalizer.normalize(raw, status: status)
            return nil
        } catch {
            return error.code.rawValue
        }
    }
}

@Suite struct PostcodeTests {
    @Test(arguments: [
        ("M1 1AE", "M1 1AE", "M1 1", "M1", "M"), ("b338th", "B33 8TH", "B33 8", "B33", "B"), ("CR2  6XH", "CR2 6XH", "CR2 6", "CR2", "CR"),
        ("DN551PT", "DN55 1PT", "DN55 1", "DN55", "DN"), ("W1A 1HQ", "W1A 1HQ", "W1A 1", "W1A", "W"),
        ("ec1a1bb", "EC1A 1BB", "EC1A 1", "EC1A", "EC"), ("GIR 0AA", "GIR 0AA", "GIR 0", "GIR", "GIR"),
        (" ha1\u{00A0}3uj ", "HA1 3UJ", "HA1 3", "HA1", "HA"),
    ])
    func validFormatsAndParts(raw: String, unit: String, sector: String, district: String, area: String) throws {
        let postcode = try PostcodeNormalizer.normalize(raw)
        #expect(postcode.unit == unit)
        #expect(postcode.sector == sector)
        #expect(postcode.district == district)
        #expect(postcode.area == area)
        #expect(postcode.isInformative)
    }

    @Test(arguments: [("Q1 1AA", "format"), ("SW1A 1AC", "format"), ("V1 1AA", "format"), ("AI1 1AA", "format"),
                      ("W1I 1AA", "format"), ("EC1C 1BB", "format"), ("12345", "format"), ("HA1", "length"),
                      ("HA1 3UJX9", "length"), ("HA1-3UJ", "character"), ("", "empty")])
    func invalid(raw: String, code: String) {
        #expect(throws: Rejection.self) { try PostcodeNormalizer.normalize(raw) }
        do { _ = try PostcodeNormalizer.normalize(raw) } catch { #expect(error.code.rawValue == code) }
    }

    @Test func pseudoPostcodesAreNonInformative() throws {
        #expect(try PostcodeNormalizer.normalize("ZZ99 3VZ").pseudo == .noFixedAbode)
        #expect(try PostcodeNormalizer.normalize("zz993wz").pseudo == .notKnown)
        #expect(try PostcodeNormalizer.normalize("ZZ99 6CZ").pseudo == .countryOfResidence)
        #expect(!(try PostcodeNormalizer.normalize("ZZ99 3CZ").isInformative))
    }
}
