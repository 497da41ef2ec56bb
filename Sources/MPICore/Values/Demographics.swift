// Normalised values of the demographic fields. The normalisation target makes them from raw text;
// the matching core compares them. Text in them is upper-case ASCII ([A-Z0-9 ]), so comparisons can
// run on its UTF-8 bytes.

/// A person's name after normalisation.
public struct PersonName: Sendable, Hashable, Codable {
    /// First forename, letters only ("" when absent or a placeholder).
    public var given: String
    /// Further forenames, in order.
    public var middle: [String]
    /// The whole surname with particles and the parts of a double-barrelled name joined without
    /// separators: "Smith-Jones" -> "SMITHJONES", "van der Berg" -> "VANDERBERG".
    public var family: String
    /// The surname's parts without particles, when that differs from `[family]`:
    /// "Smith-Jones" -> ["SMITH", "JONES"], "van der Berg" -> ["BERG"].
    public var familyParts: [String]
    /// Set when the name is one a hospital gives a patient it cannot yet identify.
    public var placeholder: PlaceholderName?

    public init(given: String = "", middle: [String] = [], family: String = "", familyParts: [String] = [],
                placeholder: PlaceholderName? = nil) {
        self.given = given
        self.middle = middle
        self.family = family
        self.familyParts = familyParts
        self.placeholder = placeholder
    }

    /// A placeholder name carries no evidence about who the person is.
    public var isInformative: Bool { placeholder == nil && !(given.isEmpty && family.isEmpty) }
}

/// Why a name was judged a placeholder rather than a name.
public enum PlaceholderName: String, Sendable, Hashable, Codable, CaseIterable {
    /// UNKNOWN, NOT KNOWN, UNNAMED, NO NAME, UNK.
    case unknown
    /// BABY, BABY OF ..., BABY BOY/GIRL: a newborn not yet named.
    case unnamedNewborn
    /// TWIN 1, TWIN 2, TRIPLET 3.
    case multipleBirth
    /// MALE, FEMALE, UNKNOWN MALE: the sex standing in for the name.
    case sexOnly
    /// Two NATO-alphabet words (FOXTROT WHISKY), as given to unidentified emergency patients.
    case emergencyAlias
    /// TEST PATIENT, DUMMY, and the like.
    case testRecord
    /// XX, ZZZ, XXXX: filler typed to get past a mandatory field.
    case filler
}

/// Sex or gender as a canonical value. "Not known" codes are not a value: they normalise to nil.
public enum Sex: String, Sendable, Hashable, Codable, CaseIterable {
    case male
    case female
    /// Indeterminate or intersex (NHS 9 in the current Person Stated Gender list, HL7 "A"/"I").
    case indeterminate
    /// Other, non-binary or not specified (HL7 "O", "X").
    case other
}

/// NHS number status indicator (NHS data dictionary): how much a source's NHS number can be trusted.
public enum NHSNumberStatus: String, Sendable, Hashable, Codable, CaseIterable {
    case verified = "01"
    case notTraced = "02"
    case traceRequired = "03"
    case traceFailed = "04"
    case traceNeedsResolution = "05"
    case traceInProgress = "06"
    case notPresentTraceNotRequired = "07"
    case tracePostponed = "08"

    /// Only a traced and verified number is strong evidence.
    public var isVerified: Bool { self == .verified }
}

/// A valid NHS number: ten digits whose modulus-11 check digit holds.
public struct NHSNumber: Sendable, Hashable, Codable, CustomStringConvertible {
    /// The ten digits as written, without separators.
    public let digits: String
    /// 999 000 0000 to 999 999 9999 are reserved for test data.
    public var isTestNumber: Bool { digits.hasPrefix("999") }
    /// The source's status indicator, when it sends one.
    public var status: NHSNumberStatus?

    /// The ten digits of a number held as an integer (as `MatchRecord` holds it), leading zeros kept.
    public static func digits(of number: UInt64) -> String {
        let digits = String(number)
        return String(repeating: "0", count: max(0, 10 - digits.count)) + digits
    }

    /// Trusted initialiser for digits already validated by the normaliser.
    public init(validatedDigits: String, status: NHSNumberStatus? = nil) {
        digits = validatedDigits
        self.status = status
    }

    /// "943 476 5919".
    public var description: String {
        let d = Array(digits)
        return String(d[0..<3]) + " " + String(d[3..<6]) + " " + String(d[6...])
    }
}

/// A UK postcode split at the levels the matching compares.
public struct Postcode: Sendable, Hashable, Codable, CustomStringConvertible {
    /// "SW1A 1AA".
    public let unit: String
    /// Outward code, the district: "SW1A".
    public let district: String
    /// District plus the inward code's digit: "SW1A 1".
    public let sector: String
    /// The leading letters: "SW".
    public let area: String
    /// ZZ99 pseudo-postcodes (no fixed abode, not known, overseas) carry no evidence of address.
    public let pseudo: PseudoPostcode?

    /// - Parameters:
    ///   - outward: the district, "SW1A".
    ///   - inward: the sector digit and unit letters, "1AA".
    public init(outward: String, inward: String, pseudo: PseudoPostcode? = nil) {
        district = outward
        unit = outward + " " + inward
        sector = outward + " " + String(decoding: inward.utf8.prefix(1), as: UTF8.self)
        area = String(decoding: outward.utf8.prefix { $0 >= UInt8(ascii: "A") && $0 <= UInt8(ascii: "Z") }, as: UTF8.self)
        self.pseudo = pseudo
    }

    public var isInformative: Bool { pseudo == nil }
    public var description: String { unit }
}

public enum PseudoPostcode: String, Sendable, Hashable, Codable {
    case noFixedAbode
    case notKnown
    case countryOfResidence
}

/// A date of birth with what is known about its quality.
public struct DateOfBirth: Sendable, Hashable, Codable {
    public let date: CalendarDate
    /// Set when the date is one systems fill in for "unknown" (1900-01-01 and the like).
    public var isDefault: Bool

    public init(date: CalendarDate, isDefault: Bool = false) {
        self.date = date
        self.isDefault = isDefault
    }

    public var isInformative: Bool { !isDefault }
}

/// A telephone number reduced to its digits.
public struct PhoneNumber: Sendable, Hashable, Codable, CustomStringConvertible {
    /// UK numbers in national form ("02071234567"); others as "+" and the international digits.
    public let number: String
    public var isUK: Bool { number.hasPrefix("0") }
    /// Set for numbers typed to fill a mandatory field (all zeros, 0123456789 ...).
    public var isPlaceholder: Bool

    public init(number: String, isPlaceholder: Bool = false) {
        self.number = number
        self.isPlaceholder = isPlaceholder
    }

    public var description: String { number }
}

/// An address after normalisation: upper case, punctuation gone, abbreviations expanded, and the
/// house and flat numbers pulled out so they can be compared on their own.
public struct Address: Sendable, Hashable, Codable {
    /// The address lines, normalised, without empty lines.
    public var lines: [String]
    /// "12", "12A", "12-14".
    public var houseNumber: String?
    /// "3" from "FLAT 3", "APARTMENT 3", "3/12".
    public var flat: String?
    /// The first street-looking line with its number removed: "HIGH STREET".
    public var street: String?

    public init(lines: [String], houseNumber: String? = nil, flat: String? = nil, street: String? = nil) {
        self.lines = lines
        self.houseNumber = houseNumber
        self.flat = flat
        self.street = street
    }
}
