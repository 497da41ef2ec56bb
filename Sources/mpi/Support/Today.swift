import Foundation
import MPICore

extension CalendarDate {
    /// Today's date in UTC, for the future-date check.
    static var today: CalendarDate {
        CalendarDate(daysSinceEpoch: Int((Date().timeIntervalSince1970 / 86_400).rounded(.down)))
    }
}
