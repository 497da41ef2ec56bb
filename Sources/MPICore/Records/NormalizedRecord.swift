/// Where a record came from: the source's short code (a trust's ODS code, e.g. "R1K") and the
/// source's own record id (its hospital number).
public struct RecordKey: Sendable, Hashable, Codable, Comparable, CustomStringConvertible {
    public let source: String
    public let recordId: String

    public init(source: String, recordId: String) {
        self.source = source
        self.recordId = recordId
    }

    public var description: String { "\(source):\(recordId)" }

    public static func < (lhs: RecordKey, rhs: RecordKey) -> Bool {
        (lhs.source, lhs.recordId) < (rhs.source, rhs.recordId)
    }
}

/// One source record after normalisation: every field either a typed value, absent, or rejected
/// (rejections travel beside the record, see `FieldRejection`).
public struct NormalizedRecord: Sendable, Hashable, Codable {
    public let key: RecordKey
    public var name: PersonName
    /// A preferred or "known as" forename, when the source records one.
    public var preferredGiven: String?
    /// Previous or maiden surnames, when the source records them.
    public var previousFamilyNames: [String]
    public var nhsNumber: NHSNumber?
    public var dateOfBirth: DateOfBirth?
    public var sex: Sex?
    public var postcode: Postcode?
    public var address: Address?
    public var phone: PhoneNumber?
    /// Fields outside the NHS set (a national id, a suburb), folded to upper-case ASCII.
    public var otherFields: [String: String]

    public init(key: RecordKey, name: PersonName = PersonName(), preferredGiven: String? = nil,
                previousFamilyNames: [String] = [], nhsNumber: NHSNumber? = nil, dateOfBirth: DateOfBirth? = nil,
                sex: Sex? = nil, postcode: Postcode? = nil, address: Address? = nil, phone: PhoneNumber? = nil,
                otherFields: [String: String] = [:]) {
        self.key = key
        self.name = name
        self.preferredGiven = preferredGiven
        self.previousFamilyNames = previousFamilyNames
        self.nhsNumber = nhsNumber
        self.dateOfBirth = dateOfBirth
        self.sex = sex
        self.postcode = postcode
        self.address = address
        self.phone = phone
        self.otherFields = otherFields
    }

    /// True when the record's identity rests on a placeholder name: such records are never linked
    /// automatically on demographics alone.
    public var isPlaceholderIdentity: Bool { name.placeholder != nil }
}

/// A raw value that normalisation could not accept. It holds the raw value, so it belongs in outputs
/// that may carry patient data (the rejects report, the audit trail), never in logs.
public struct FieldRejection: Sendable, Hashable, Codable {
    public let field: String
    public let raw: String
    public let code: String
    public let reason: String

    public init(field: String, raw: String, code: String, reason: String) {
        self.field = field
        self.raw = raw
        self.code = code
        self.reason = reason
    }
}
