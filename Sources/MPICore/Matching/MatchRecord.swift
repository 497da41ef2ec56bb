/// A record prepared for comparison: each field as the bytes or numbers the comparison levels read,
/// computed once when the record is loaded so the pair loop does no string work.
///
/// Empty byte arrays and nil mean "no evidence": missing, rejected, or a value that carries none
/// (a placeholder name, a ZZ99 pseudo-postcode, a known default date of birth).
public struct MatchRecord: Sendable, Hashable {
    public let key: RecordKey

    public var given: [UInt8] = []
    public var middle: [[UInt8]] = []
    public var preferredGiven: [UInt8] = []
    /// Nickname and spelling-variant groups of `given` (sorted ids).
    public var givenGroups: [Int32] = []
    public var givenMetaphone: [UInt8] = []
    public var givenMetaphoneAlternate: [UInt8] = []

    public var family: [UInt8] = []
    public var familyParts: [[UInt8]] = []
    public var previousFamily: [[UInt8]] = []
    /// Also set for an unnamed newborn whose surname is real ("BABY OF AISHA" KHAN), for blocking only:
    /// the name comparisons of a placeholder record stay null.
    public var familyMetaphone: [UInt8] = []
    public var familyMetaphoneAlternate: [UInt8] = []

    /// The name is a placeholder (unknown patient, unnamed newborn ...): never compared as a name, and
    /// the record is never linked automatically on demographics alone.
    public var isPlaceholder = false

    public var dateOfBirth: CalendarDate?
    public var sex: Sex?
    /// The ten digits as a number.
    public var nhsNumber: UInt64?
    public var nhsNumberVerified = false

    public var postcodeUnit: [UInt8] = []
    public var postcodeSector: [UInt8] = []
    public var postcodeDistrict: [UInt8] = []
    public var postcodeArea: [UInt8] = []

    public var houseNumber: [UInt8] = []
    public var street: [UInt8] = []
    public var phone: [UInt8] = []

    /// Fields outside the NHS set, by name.
    public var otherFields: [String: [UInt8]] = [:]

    public init(key: RecordKey) {
        self.key = key
    }
}
