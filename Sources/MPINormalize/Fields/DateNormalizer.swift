public import MPICore

/// A source's date layout, named as in its job file.
public enum DateFormat: String, Sendable, Hashable, Codable, CaseIterable {
    /// 1970-03-21, optionally followed by a time ("1970-03-21T00:00:00").
    case iso = "yyyy-MM-dd"
    case dayMonthYearSlash = "dd/MM/yyyy"
    case dayMonthYearDash = "dd-MM-yyyy"
    case dayMonthYearDot = "dd.MM.yyyy"
    /// 21-MAR-1970 (month abbreviation in English, any case).
    case dayMonthNameYear = "dd-MMM-yyyy"
    case compact = "yyyyMMdd"
    /// HL7 v2 TS/DTM: YYYY[MM[DD[HHMM[SS[.S+]]]]][+/-ZZZZ]; a partial date keeps its precision.
    case hl7 = "hl7"
    /// 21/03/70: two-digit years, see `DateNormalizer.resolveTwoDigitYear`.
    case dayMonthTwoDigitYear = "dd/MM/yy"
    /// 03/21/1970, as some US-built systems export.
    case monthDayYearSlash = "MM/dd/yyyy"
}

/// Dates of birth: parsed by the source's named format, checked to be real and not in the future,
/// and flagged when they are a known stand-in for "unknown".
public struct DateNormalizer: Sendable {
    public let format: DateFormat
    /// "Today" for the future-date check; passed in so normalisation stays a pure function.
    public let today: CalendarDate
    /// Some systems store an unknown day and month as 1 January. For such a source, 1 January keeps only
    /// its year.
    public let unknownDayDefaultsToFirstJanuary: Bool

    /// Dates systems write when the real one is unknown. 1899-12-30 and -31 are spreadsheet day zero.
    public static let knownDefaultDates: Set<String> = ["1900-01-01", "1800-01-01", "1899-12-31", "1899-12-30", "1901-01-01"]
    /// Earlier years are rejected as implausible for a living patient's records.
    public static let earliestYear = 1800

    public init(format: DateFormat, today: CalendarDate, unknownDayDefaultsToFirstJanuary: Bool = false) {
        self.format = format
        self.today = today
        self.unknownDayDefaultsToFirstJanuary = unknownDayDefaultsToFirstJanuary
    }

    public func normalize(_ raw: String) throws(Rejection) -> DateOfBirth {
        let text = raw.trimmingSpaces()
        guard !text.isEmpty else { throw Rejection("empty", "no date given") }
        let parts = try parse(text)
        var precision = parts.precision
        guard let date = CalendarDate(year: parts.year, month: parts.month, day: parts.day, precision: precision) else {
            throw Rejection("impossible_date", "that day does not exist in that month and year")
        }
        guard date.year >= Self.earliestYear else {
            throw Rejection("implausible_year", "years before \(Self.earliestYear) are not accepted as a date of birth")
        }
        guard date <= today else { throw Rejection("future", "the date is in the future") }
        if Self.knownDefaultDates.contains(date.description) {
            return DateOfBirth(date: date, isDefault: true)
        }
        if unknownDayDefaultsToFirstJanuary, date.precision == .day, date.month == 1, date.day == 1 {
            precision = .year
            return DateOfBirth(date: CalendarDate(year: date.year, precision: precision)!)
        }
        return DateOfBirth(date: date)
    }

    private struct Parts {
        var year: Int, month = 1, day = 1, precision = CalendarDate.Precision.day
    }

    private func parse(_ text: String) throws(Rejection) -> Parts {
        let formatError = Rejection("format", "the date does not match the source's format \(format.rawValue)")
        var scanner = DateScanner(text)
        var parts = Parts(year: 0)
        switch format {
        case .iso:
            guard let y = scanner.number(exactly: 4), scanner.literal("-"), let m = scanner.number(upTo: 2),
                  scanner.literal("-"), let d = scanner.number(upTo: 2), scanner.atEndOrTime() else { throw formatError }
            (parts.year, parts.month, parts.day) = (y, m, d)
        case .dayMonthYearSlash, .dayMonthYearDash, .dayMonthYearDot, .dayMonthTwoDigitYear, .monthDayYearSlash:
            let separator: Character = format == .dayMonthYearDash ? "-" : format == .dayMonthYearDot ? "." : "/"
            guard let first = scanner.number(upTo: 2), scanner.literal(separator), let second = scanner.number(upTo: 2),
                  scanner.literal(separator) else { throw formatError }
            let year: Int
            if format == .dayMonthTwoDigitYear {
                guard let yy = scanner.number(exactly: 2), scanner.atEndOrTime() else { throw formatError }
                year = resolveTwoDigitYear(yy)
            } else {
                guard let yyyy = scanner.number(exactly: 4), scanner.atEndOrTime() else { throw formatError }
                year = yyyy
            }
            (parts.year, parts.month, parts.day) = format == .monthDayYearSlash ? (year, first, second) : (year, second, first)
        case .dayMonthNameYear:
            guard let d = scanner.number(upTo: 2), scanner.literal("-") || scanner.literal(" "),
                  let m = scanner.monthName(), scanner.literal("-") || scanner.literal(" "),
                  let y = scanner.number(exactly: 4), scanner.atEndOrTime() else { throw formatError }
            (parts.year, parts.month, parts.day) = (y, m, d)
        case .compact:
            guard let y = scanner.number(exactly: 4), let m = scanner.number(exactly: 2), let d = scanner.number(exactly: 2),
                  scanner.atEndOrTime() else { throw formatError }
            (parts.year, parts.month, parts.day) = (y, m, d)
        case .hl7:
            guard let y = scanner.number(exactly: 4) else { throw formatError }
            parts.year = y
            parts.precision = .year
            if let m = scanner.number(exactly: 2) {
                parts.month = m
                parts.precision = .month
                if let d = scanner.number(exactly: 2) {
                    parts.day = d
                    parts.precision = .day
                    // Hours, minutes, seconds, fractions and a zone offset may follow; a date of birth ignores them.
                    scanner.skip { $0.isNumber || $0 == "." || $0 == "+" || $0 == "-" }
                }
            }
            guard scanner.atEnd else { throw formatError }
            if parts.precision != .day, !(1...12).contains(parts.month) {
                throw Rejection("impossible_date", "month must be 01 to 12")
            }
        }
        return parts
    }

    /// Two-digit years are read as the most recent year ending in those digits that is not after
    /// today: on 2026-11-28, "26" is 2026 and "27" is 1927. A date of birth cannot be in the future, so
    /// this is only wrong for people over a hundred, whose sources should send four digits.
    public func resolveTwoDigitYear(_ yy: Int) -> Int {
        let century = today.year / 100 * 100
        return century + yy <= today.year ? century + yy : century - 100 + yy
    }
}

/// A cursor over the characters of a date.
private struct DateScanner {
    private let characters: [Character]
    private var index = 0

    init(_ text: String) { characters = Array(text) }

    var atEnd: Bool { index == characters.count }

    /// End of text, or a time part after a space or "T" ("21/03/1970 00:00").
    mutating func atEndOrTime() -> Bool {
        if atEnd { return true }
        guard characters[index] == " " || characters[index] == "T" else { return false }
        return characters[(index + 1)...].allSatisfy { $0.isNumber || ":. +-Z".contains($0) }
    }

    mutating func literal(_ character: Character) -> Bool {
        guard !atEnd, characters[index] == character else { return false }
        index += 1
        return true
    }

    mutating func number(exactly count: Int) -> Int? {
        guard index + count <= characters.count else { return nil }
        var value = 0
        for offset in 0..<count {
            guard let digit = characters[index + offset].wholeNumberValue, characters[index + offset].isASCII else { return nil }
            value = value * 10 + digit
        }
        index += count
        return value
    }

    /// One or two digits ("3" or "03").
    mutating func number(upTo count: Int) -> Int? {
        var value = 0, taken = 0
        while taken < count, !atEnd, characters[index].isASCII, let digit = characters[index].wholeNumberValue {
            value = value * 10 + digit
            index += 1
            taken += 1
        }
        return taken == 0 ? nil : value
    }

    mutating func monthName() -> Int? {
        guard index + 3 <= characters.count else { return nil }
        let name = String(characters[index..<(index + 3)]).uppercased()
        let months = ["JAN", "FEB", "MAR", "APR", "MAY", "JUN", "JUL", "AUG", "SEP", "OCT", "NOV", "DEC"]
        guard let month = months.firstIndex(of: name) else { return nil }
        index += 3
        return month + 1
    }

    mutating func skip(while predicate: (Character) -> Bool) {
        while !atEnd, predicate(characters[index]) { index += 1 }
    }
}

extension String {
    func trimmingSpaces() -> String {
        var scalars = Substring(self)
        while let first = scalars.first, first.isWhitespace { scalars.removeFirst() }
        while let last = scalars.last, last.isWhitespace { scalars.removeLast() }
        return String(scalars)
    }
}
