/// Why a raw value could not be normalised. `code` is stable (scripts and the rejects report key on
/// it); `message` is for people. Neither ever contains the raw value itself: that goes only to
/// outputs that may hold patient data, next to the rejection.
public struct Rejection: Error, Sendable, Hashable, Codable, CustomStringConvertible {
    /// The stable codes, one per kind of fault; the raw value is what reports and scripts see.
    public enum Code: String, Sendable, Hashable, Codable, CaseIterable {
        /// A character the field never holds.
        case character
        /// The check digit does not match.
        case checkDigit = "check_digit"
        /// No value was given.
        case empty
        /// A line of the forename variants file is not group,name.
        case forenameVariantsFormat = "forename_variants_format"
        /// Not in the expected layout.
        case format
        /// A date after today.
        case future
        /// ICU could not open a transliterator.
        case icuOpenFailed = "icu_open_failed"
        /// A year too early for a date of birth.
        case implausibleYear = "implausible_year"
        /// A day that does not exist.
        case impossibleDate = "impossible_date"
        /// Too few or too many characters or digits.
        case length
        /// The source mapping itself is inconsistent.
        case mapping
        /// The extract lacks columns the mapping names.
        case missingColumns = "missing_columns"
        /// A letter or symbol where only digits belong.
        case nonDigit = "non_digit"
        /// A value that stands for "unknown".
        case placeholder
        /// A number a spreadsheet turned into scientific notation.
        case scientificNotation = "scientific_notation"
        /// A number a spreadsheet stored as a decimal.
        case spreadsheetDecimal = "spreadsheet_decimal"
        /// An NHS number status outside 01 to 08.
        case statusCode = "status_code"
        /// A code the source's mapping does not list.
        case unmappedCode = "unmapped_code"
    }

    public let code: Code
    public let message: String

    public init(_ code: Code, _ message: String) {
        self.code = code
        self.message = message
    }

    public var description: String { "\(code.rawValue): \(message)" }
}
