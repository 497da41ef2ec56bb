/// A date in the proleptic Gregorian calendar, as a date of birth is recorded: to the day, or only
/// to the month or year when a source sends a partial date (HL7 v2 allows "1970" or "197003").
public struct CalendarDate: Sendable, Hashable, Codable, Comparable, CustomStringConvertible {
    public enum Precision: String, Sendable, Hashable, Codable, Comparable {
        case year, month, day

        public static func < (lhs: Precision, rhs: Precision) -> Bool { lhs.rank < rhs.rank }
        private var rank: Int { self == .year ? 0 : self == .month ? 1 : 2 }
    }

    public let year: Int
    /// 1...12; 1 when the precision is `.year`.
    public let month: Int
    /// 1...31; 1 when the precision is coarser than `.day`.
    public let day: Int
    public let precision: Precision

    /// Nil when the parts do not name a real date (month 13, 30 February, day 0).
    public init?(year: Int, month: Int = 1, day: Int = 1, precision: Precision = .day) {
        guard (1...9999).contains(year), (1...12).contains(month),
              (1...CalendarDate.daysIn(month: month, year: year)).contains(day) else { return nil }
        self.year = year
        self.month = precision == .year ? 1 : month
        self.day = precision == .day ? day : 1
        self.precision = precision
    }

    public static func isLeap(_ year: Int) -> Bool {
        (year % 4 == 0 && year % 100 != 0) || year % 400 == 0
    }

    public static func daysIn(month: Int, year: Int) -> Int {
        switch month {
        case 2: isLeap(year) ? 29 : 28
        case 4, 6, 9, 11: 30
        default: 31
        }
    }

    /// Days since 1970-01-01 (negative before), by Howard Hinnant's `days_from_civil`. For partial dates it counts from the first day of the year or month.
    public var daysSinceEpoch: Int {
        let y = month <= 2 ? year - 1 : year
        let era = (y >= 0 ? y : y - 399) / 400
        let yearOfEra = y - era * 400
        let monthFromMarch = (month + 9) % 12
        let dayOfYear = (153 * monthFromMarch + 2) / 5 + day - 1
        let dayOfEra = yearOfEra * 365 + yearOfEra / 4 - yearOfEra / 100 + dayOfYear
        return era * 146_097 + dayOfEra - 719_468
    }

    /// The day `days` after 1970-01-01 (Howard Hinnant's `civil_from_days`).
    public init(daysSinceEpoch days: Int) {
        let shifted = days + 719_468
        let era = (shifted >= 0 ? shifted : shifted - 146_096) / 146_097
        let dayOfEra = shifted - era * 146_097
        let yearOfEra = (dayOfEra - dayOfEra / 1460 + dayOfEra / 36524 - dayOfEra / 146_096) / 365
        let dayOfYear = dayOfEra - (365 * yearOfEra + yearOfEra / 4 - yearOfEra / 100)
        let monthFromMarch = (5 * dayOfYear + 2) / 153
        let day = dayOfYear - (153 * monthFromMarch + 2) / 5 + 1
        let month = monthFromMarch < 10 ? monthFromMarch + 3 : monthFromMarch - 9
        let year = yearOfEra + era * 400 + (month <= 2 ? 1 : 0)
        self.year = year
        self.month = month
        self.day = day
        precision = .day
    }

    /// ISO 8601 at the date's own precision: "1970-03-21", "1970-03" or "1970".
    public var description: String {
        let y = String(year).leftPadded(to: 4)
        switch precision {
        case .year: return y
        case .month: return "\(y)-\(String(month).leftPadded(to: 2))"
        case .day: return "\(y)-\(String(month).leftPadded(to: 2))-\(String(day).leftPadded(to: 2))"
        }
    }

    public static func < (lhs: CalendarDate, rhs: CalendarDate) -> Bool {
        (lhs.year, lhs.month, lhs.day) < (rhs.year, rhs.month, rhs.day)
    }
}

extension String {
    fileprivate func leftPadded(to width: Int) -> String {
        count >= width ? self : String(repeating: "0", count: width - count) + self
    }
}
