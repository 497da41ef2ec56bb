public import Foundation
public import MPICore

extension CalendarDate {
    /// Today's date in UTC, for the future-date check. Read here, at the edge; the normalisers and a
    /// `LinkRun` are given the date, so they stay deterministic.
    public static var today: CalendarDate {
        CalendarDate(daysSinceEpoch: Int((Date().timeIntervalSince1970 / 86_400).rounded(.down)))
    }
}
