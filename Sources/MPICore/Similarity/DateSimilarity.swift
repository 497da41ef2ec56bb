/// Comparisons between two dates of birth, the building blocks of the date-of-birth comparison
/// levels: the common keying errors are a swapped day and month, one mistyped digit, and a
/// date that is close but not equal.
public enum DateSimilarity {
    /// Absolute number of days between the two dates.
    public static func daysApart(_ a: CalendarDate, _ b: CalendarDate) -> Int {
        abs(a.daysSinceEpoch - b.daysSinceEpoch)
    }

    /// True when one date is the other with day and month swapped (03/04 against 04/03), in the
    /// same year. Equal dates and dates whose day equals their month are not transpositions.
    public static func isDayMonthTransposed(_ a: CalendarDate, _ b: CalendarDate) -> Bool {
        guard a.precision == .day, b.precision == .day, a != b else { return false }
        return a.year == b.year && a.day == b.month && a.month == b.day
    }

    /// True when the two full dates, written as the eight digits YYYYMMDD, differ in exactly one digit.
    public static func differsByOneDigit(_ a: CalendarDate, _ b: CalendarDate) -> Bool {
        guard a.precision == .day, b.precision == .day else { return false }
        let differing = differingDigits(a.year, b.year, width: 4)
            + differingDigits(a.month, b.month, width: 2)
            + differingDigits(a.day, b.day, width: 2)
        return differing == 1
    }

    /// Number of decimal places, of `width`, in which `x` and `y` differ. Arithmetic, so the
    /// comparison allocates nothing.
    private static func differingDigits(_ x: Int, _ y: Int, width: Int) -> Int {
        var x = x, y = y, differing = 0
        for _ in 0..<width {
            if x % 10 != y % 10 { differing += 1 }
            x /= 10
            y /= 10
        }
        return differing
    }
}
