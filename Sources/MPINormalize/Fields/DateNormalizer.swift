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
    public static let knownDefaultDates: [CalendarDate] = [
        CalendarDate(year: 1900, month: 1, day: 1)!, CalendarDate(year: 1800, month: 1, day: 1)!,
        CalendarDate(year: 1899, month: 12, day: 31)!, CalendarDate(year: 1899, month: 12, day: 30)!,
        CalendarDate(year: 1901, month: 1, day: 1)!,
    ]
    /// Earlier years are rejected as implausible for a living patient's records.
    public static let earliestYear = 1800

    public init(format: DateFormat, today: CalendarDate, unknownDayDefaultsToFirstJanuary: Bool = false) {
        self.format = format
        self.today = today
        self.unknownDayDefaultsToFirstJanuary = unknownDayDefaultsToFirstJanuary
    }

    public func normalize(_ raw: String) throws(Rejection) -> DateOfBirth {
        let text = raw.trimmingSpaces()
        guard !text.isEmpty else { throw Rejection(.empty, "no date given") }
        // Dates are short: their bytes are copied to the stack (withUTF8 would allocate for the small
        // strings Swift keeps inline).
        let count = text.utf8.count
        let parts = try withUnsafeTemporaryAllocation(of: UInt8.self, capacity: count) { buffer in
            _ = buffer.initialize(from: text.utf8)
            return parse(UnsafeBufferPointer(buffer))
        }.get()
        var precision = parts.precision
        guard let date = CalendarDate(year: parts.year, month: parts.month, day: parts.day, precision: precision) else {
            throw Rejection(.impossibleDate, "that day does not exist in that month and year")
        }
        guard date.year >= Self.earliestYear else {
            throw Rejection(.implausibleYear, "years before \(Self.earliestYear) are not accepted as a date of birth")
        }
        guard date <= today else { throw Rejection(.future, "the date is in the future") }
        if Self.knownDefaultDates.contains(date) {
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

    private func parse(_ text: UnsafeBufferPointer<UInt8>) -> Result<Parts, Rejection> {
        do {
            return .success(try parseParts(text))
        } catch {
            return .failure(error)
        }
    }

    private func parseParts(_ text: UnsafeBufferPointer<UInt8>) throws(Rejection) -> Parts {
        // Built only when thrown: the message interpolation allocates.
        var formatError: Rejection { Rejection(.format, "the date does not match the source's format \(format.rawValue)") }
        var scanner = DateScanner(text)
        var parts = Parts(year: 0)
        switch format {
        case .iso:
            guard let y = scanner.number(exactly: 4), scanner.literal("-"), let m = scanner.number(upTo: 2),
                  scanner.literal("-"), let d = scanner.number(upTo: 2), scanner.atEndOrTime() else { throw formatError }
            (parts.year, parts.month, parts.day) = (y, m, d)
        case .dayMonthYearSlash, .dayMonthYearDash, .dayMonthYearDot, .dayMonthTwoDigitYear, .monthDayYearSlash:
            let separator: Unicode.Scalar = format == .dayMonthYearDash ? "-" : format == .dayMonthYearDot ? "." : "/"
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
                    scanner.skip { ($0 >= 0x30 && $0 <= 0x39) || $0 == UInt8(ascii: ".") || $0 == UInt8(ascii: "+") || $0 == UInt8(ascii: "-") }
                }
            }
            guard scanner.atEnd else { throw formatError }
            if parts.precision != .day, !(1...12).contains(parts.month) {
                throw Rejection(.impossibleDate, "month must be 01 to 12")
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
/// A cursor over the UTF-8 bytes of a date.
private struct DateScanner {
    private let bytes: UnsafeBufferPointer<UInt8>
    private var index = 0

    init(_ bytes: UnsafeBufferPointer<UInt8>) { self.bytes = bytes }

    var atEnd: Bool { index == bytes.count }

    /// End of text, or a time part after a space or "T" ("21/03/1970 00:00").
    mutating func atEndOrTime() -> Bool {
        if atEnd { return true }
        guard bytes[index] == UInt8(ascii: " ") || bytes[index] == UInt8(ascii: "T") else { return false }
        return bytes[(index + 1)...].allSatisfy { Self.digit($0) != nil || ":. +-Z".utf8.contains($0) }
    }

    mutating func literal(_ character: Unicode.Scalar) -> Bool {
        guard !atEnd, bytes[index] == UInt8(ascii: character) else { return false }
        index += 1
        return true
    }

    mutating func number(exactly count: Int) -> Int? {
        guard index + count <= bytes.count else { return nil }
        var value = 0
        for offset in 0..<count {
            guard let digit = Self.digit(bytes[index + offset]) else { return nil }
            value = value * 10 + digit
        }
        index += count
        return value
    }

    /// One or two digits ("3" or "03").
    mutating func number(upTo count: Int) -> Int? {
        var value = 0, taken = 0
        while taken < count, !atEnd, let digit = Self.digit(bytes[index]) {
            value = value * 10 + digit
            index += 1
            taken += 1
        }
        return taken == 0 ? nil : value
    }

    /// JAN ... DEC, in any case.
    mutating func monthName() -> Int? {
        guard index + 3 <= bytes.count else { return nil }
        let upper = bytes[index..<(index + 3)].lazy.map { $0 >= 0x61 && $0 <= 0x7A ? $0 - 0x20 : $0 }
        guard let month = Self.months.firstIndex(where: { $0.utf8.elementsEqual(upper) }) else { return nil }
        index += 3
        return month + 1
    }

    private static let months = ["JAN", "FEB", "MAR", "APR", "MAY", "JUN", "JUL", "AUG", "SEP", "OCT", "NOV", "DEC"]

    mutating func skip(while predicate: (UInt8) -> Bool) {
        while !atEnd, predicate(bytes[index]) { index += 1 }
    }

    private static func digit(_ byte: UInt8) -> Int? {
        byte >= 0x30 && byte <= 0x39 ? Int(byte - 0x30) : nil
    }
}

extension String {
    /// Without leading and trailing ASCII spaces, tabs, line breaks and no-break spaces. Works on the
    /// UTF-8 bytes and returns `self` untouched in the common case.
    func trimmingSpaces() -> String {
        let bytes = utf8
        func isSpace(_ byte: UInt8) -> Bool { byte <= 0x20 }
        guard let first = bytes.first, let last = bytes.last else { return self }
        if !isSpace(first), !isSpace(last), first != 0xC2, last != 0xA0 { return self }
        var start = bytes.startIndex, end = bytes.endIndex
        while start < end {
            if isSpace(bytes[start]) { start = bytes.index(after: start); continue }
            // U+00A0 no-break space is C2 A0.
            let next = bytes.index(after: start)
            if bytes[start] == 0xC2, next < end, bytes[next] == 0xA0 { start = bytes.index(after: next); continue }
            break
        }
        while end > start {
            let before = bytes.index(before: end)
            if isSpace(bytes[before]) { end = before; continue }
            if bytes[before] == 0xA0, before > start, bytes[bytes.index(before: before)] == 0xC2 { end = bytes.index(before: before); continue }
            break
        }
        return String(self[start..<end])
    }
}
