import MPICore
import MPINormalize
import Testing

private let today = CalendarDate(year: 2026, month: 11, day: 28)!

@Suite struct DateNormalizerTests {
    private func parse(_ raw: String, _ format: DateFormat, firstJanuary: Bool = false) throws(Rejection) -> DateOfBirth {
        try DateNormalizer(format: format, today: today, unknownDayDefaultsToFirstJanuary: firstJanuary).normalize(raw)
    }

    private func code(_ raw: String, _ format: DateFormat) -> String? {
        do { _ = try parse(raw, format); return nil } catch { return error.code.rawValue }
    }

    @Test(arguments: [
        ("1970-03-21", DateFormat.iso), ("1970-03-21T00:00:00", .iso), ("21/03/1970", .dayMonthYearSlash),
        ("21/3/1970", .dayMonthYearSlash), ("21/03/1970 00:00", .dayMonthYearSlash), ("21-03-1970", .dayMonthYearDash),
        ("21.03.1970", .dayMonthYearDot), ("21-MAR-1970", .dayMonthNameYear), ("21-Mar-1970", .dayMonthNameYear),
        ("21 Mar 1970", .dayMonthNameYear), ("19700321", .compact), ("19700321", .hl7), ("197003211230", .hl7),
        ("19700321123000.5+0100", .hl7), ("21/03/70", .dayMonthTwoDigitYear), ("03/21/1970", .monthDayYearSlash),
    ])
    func formats(raw: String, format: DateFormat) throws {
        let date = try parse(raw, format).date
        #expect(date == CalendarDate(year: 1970, month: 3, day: 21)!)
        #expect(date.description == "1970-03-21")
    }

    @Test func hl7PartialDatesKeepTheirPrecision() throws {
        let year = try parse("1970", .hl7).date
        #expect(year.precision == .year)
        #expect(year.description == "1970")
        let month = try parse("197003", .hl7).date
        #expect(month.precision == .month)
        #expect(month.description == "1970-03")
        #expect(code("197013", .hl7) == "impossible_date")
    }

    @Test func twoDigitYearRule() throws {
        let normalizer = DateNormalizer(format: .dayMonthTwoDigitYear, today: today)
        #expect(normalizer.resolveTwoDigitYear(26) == 2026)
        #expect(normalizer.resolveTwoDigitYear(27) == 1927)
        #expect(normalizer.resolveTwoDigitYear(0) == 2000)
        #expect(try parse("01/01/99", .dayMonthTwoDigitYear).date.year == 1999)
    }

    @Test(arguments: [
        ("30/02/1981", DateFormat.dayMonthYearSlash, "impossible_date"), ("31/04/1975", .dayMonthYearSlash, "impossible_date"),
        ("12/13/1988", .dayMonthYearSlash, "impossible_date"), ("29/02/2001", .dayMonthYearSlash, "impossible_date"),
        ("05/06/2030", .dayMonthYearSlash, "future"), ("29/11/2026", .dayMonthYearSlash, "future"),
        ("01/01/1750", .dayMonthYearSlash, "implausible_year"), ("1970-03-21", .dayMonthYearSlash, "format"),
        ("21/03/1970", .iso, "format"), ("21-XYZ-1970", .dayMonthNameYear, "format"), ("", .iso, "empty"),
        ("1970032", .compact, "format"), ("21/03/1970 junk", .dayMonthYearSlash, "format"),
    ])
    func rejected(raw: String, format: DateFormat, code expected: String) {
        #expect(code(raw, format) == expected)
    }

    @Test func todayIsAccepted() throws {
        #expect(try parse("28/11/2026", .dayMonthYearSlash).date == today)
        #expect(try parse("29/02/2000", .dayMonthYearSlash).date.day == 29)
    }

    @Test func knownDefaultDatesAreFlagged() throws {
        #expect(try parse("1900-01-01", .iso).isDefault)
        #expect(try parse("1800-01-01", .iso).isDefault)
        #expect(try parse("1900-01-02", .iso).isInformative)
        #expect(!(try parse("1970-01-01", .iso).isDefault))
    }

    @Test func firstJanuaryKeepsOnlyItsYearWhenTheSourceDefaultsToIt() throws {
        let defaulted = try parse("1975-01-01", .iso, firstJanuary: true).date
        #expect(defaulted.precision == .year)
        #expect(defaulted.year == 1975)
        #expect(try parse("1975-01-02", .iso, firstJanuary: true).date.precision == .day)
        #expect(try parse("1975-01-01", .iso, firstJanuary: false).date.precision == .day)
    }
}

@Suite struct SexNormalizerTests {
    @Test(arguments: [
        ("M", Sex?.some(.male)), ("male", .male), ("1", .male), ("F", .female), ("Female", .female), ("2", .female),
        ("I", .indeterminate), ("Indeterminate", .indeterminate), ("O", .other), ("U", nil), ("Unknown", nil),
        ("Not Known", nil), ("not specified", nil), ("0", nil), ("9", nil), ("X", nil), ("", nil),
    ])
    func defaults(raw: String, expected: Sex?) throws {
        #expect(try SexNormalizer().normalize(raw) == expected)
    }

    @Test func unmappedCodeIsAnErrorNotAGuess() {
        #expect(throws: Rejection.self) { try SexNormalizer().normalize("7") }
        #expect(throws: Rejection.self) { try SexNormalizer().normalize("Q") }
    }

    @Test func sourceCodesOverrideDefaults() throws {
        // A source on the current Person Stated Gender list reads 9 as indeterminate.
        let current = SexNormalizer(sourceCodes: ["9": .indeterminate, "W": .female])
        #expect(try current.normalize("9") == .indeterminate)
        #expect(try current.normalize("w") == .female)
        #expect(try current.normalize("1") == .male)
    }
}

@Suite struct PhoneNormalizerTests {
    @Test(arguments: [
        ("020 7946 0000", "02079460000"), ("+44 20 7946 0000", "02079460000"), ("+44 (0)20 7946 0000", "02079460000"),
        ("0044 20 7946 0000", "02079460000"), ("(01895) 238282", "01895238282"), ("07700 900123", "07700900123"),
        ("07700-900-123 ext 12", "07700900123"), ("020 7946 0000 x123", "02079460000"), ("7700900123", "07700900123"),
        ("447700900123", "07700900123"), ("+33 1 42 68 53 00", "+33142685300"), ("0033 1 42 68 53 00", "+33142685300"),
    ])
    func normalises(raw: String, expected: String) throws {
        #expect(try PhoneNormalizer.normalize(raw).number == expected)
    }

    @Test(arguments: ["00000000000", "0123456789", "01234567890", "07777777777", "01895 000000", "09876543210"])
    func placeholders(raw: String) throws {
        #expect(try PhoneNormalizer.normalize(raw).isPlaceholder)
    }

    @Test func realNumbersAreNotPlaceholders() throws {
        #expect(!(try PhoneNormalizer.normalize("020 8864 3232").isPlaceholder))
    }

    @Test(arguments: [("123", "length"), ("0207 946", "length"), ("phone me", "character"), ("", "empty")])
    func rejected(raw: String, code: String) {
        do { _ = try PhoneNormalizer.normalize(raw); Issue.record("accepted \(raw)") } catch { #expect(error.code.rawValue == code) }
    }
}

@Suite struct AddressNormalizerTests {
    let addresses = AddressNormalizer(folding: LatinFolding(transliterator: try! Transliterator()))

    @Test func abbreviationsExpandedAndNumbersExtracted() {
        let address = addresses.normalize(lines: ["12 Northwick Park Rd.", "Harrow"])
        #expect(address.lines == ["12 NORTHWICK PARK ROAD", "HARROW"])
        #expect(address.houseNumber == "12")
        #expect(address.street == "NORTHWICK PARK ROAD")
        #expect(address.flat == nil)
    }

    @Test func saintAndStreet() {
        #expect(addresses.normalize(lines: ["St John's Rd"]).lines == ["SAINT JOHNS ROAD"])
        #expect(addresses.normalize(lines: ["221B Baker St"]).lines == ["221B BAKER STREET"])
        #expect(addresses.normalize(lines: ["221B Baker St"]).houseNumber == "221B")
    }

    @Test func flats() {
        let separateLine = addresses.normalize(lines: ["Flat 3", "14 Pield Heath Ave"])
        #expect(separateLine.flat == "3")
        #expect(separateLine.houseNumber == "14")
        #expect(separateLine.street == "PIELD HEATH AVENUE")
        let slash = addresses.normalize(lines: ["3/12 Praed St"])
        #expect(slash.flat == "3")
        #expect(slash.houseNumber == "12")
        #expect(slash.street == "PRAED STREET")
        let flt = addresses.normalize(lines: ["Flt 7, Hammersmith Grv"])
        #expect(flt.flat == "7")
        #expect(flt.lines == ["FLAT 7 HAMMERSMITH GROVE"])
        #expect(addresses.normalize(lines: ["12-14 High St"]).houseNumber == "12-14")
    }

    @Test func emptyLinesDropped() {
        #expect(addresses.normalize(lines: ["", "  ", "Crescent Gdns"]).lines == ["CRESCENT GARDENS"])
    }
}

@Suite struct TextDecodingTests {
    @Test func encodings() {
        #expect(TextDecoding.decode([0xEF, 0xBB, 0xBF, 0x5A, 0x6F, 0xC3, 0xAB], as: .utf8) == "Zoë")
        #expect(TextDecoding.decode([0x5A, 0x6F, 0xEB], as: .latin1) == "Zoë")
        #expect(TextDecoding.decode([0x5A, 0x6F, 0xEB], as: .windows1252) == "Zoë")
        // 0x92 is a right single quote in Windows-1252 and a C1 control in Latin-1.
        #expect(TextDecoding.decode([0x4F, 0x92, 0x42], as: .windows1252) == "O\u{2019}B")
        #expect(TextDecoding.decode([0x4F, 0x92, 0x42], as: .latin1) == "O\u{92}B")
        #expect(TextDecoding.decode([0x8A], as: .windows1252) == "Š")
    }

    @Test func mojibakeRepaired() {
        #expect(TextCleaning.repairMojibake("ZoÃ«") == "Zoë")
        #expect(TextCleaning.repairMojibake("MÃ¼ller") == "Müller")
        #expect(TextCleaning.repairMojibake("Oâ€™Brien") == "O\u{2019}Brien")
        #expect(TextCleaning.repairMojibake("Å\u{81}ukasz") == "Łukasz")
        // Genuine text is left alone.
        #expect(TextCleaning.repairMojibake("Zoë") == "Zoë")
        #expect(TextCleaning.repairMojibake("Ãsa") == "Ãsa")
        #expect(TextCleaning.repairMojibake("plain") == "plain")
    }

    @Test func controlCharactersAndSpaces() {
        #expect(TextCleaning.clean("\u{0001}Mary\u{00A0}\u{2003}Ann\u{200B}\r\n") == "Mary Ann")
        #expect(TextCleaning.clean("  a \t b  ") == "a b")
    }
}

@Suite struct WhatTrustsSendTests {
    @Test func onePhoneFieldMayHoldTwoNumbers() throws {
        #expect(try PhoneNormalizer.normalizeAll("020 8123 4567 / 07700 900123").map(\.number) == ["02081234567", "07700900123"])
        #expect(try PhoneNormalizer.normalizeAll("07700 900123 (MOB)").map(\.number) == ["07700900123"])
        #expect(try PhoneNormalizer.normalizeAll("H: 020 8123 4567; M: 07700 900123").map(\.number) == ["02081234567", "07700900123"])
        #expect(try PhoneNormalizer.normalizeAll("020 8123 4567 ext 12").map(\.number) == ["02081234567"])
        #expect(throws: Rejection.self) { try PhoneNormalizer.normalizeAll("not known / none") }
    }
}
