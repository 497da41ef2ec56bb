/// A record prepared for comparison: each field as the bytes or numbers the comparison levels read,
/// computed once when the record is loaded so the pair loop does no string work.
///
/// Empty byte arrays and nil mean "no evidence": missing, rejected, or a value that carries none
/// (a placeholder name, a ZZ99 pseudo-postcode, a known default date of birth).
///
/// The values live in one immutable object shared by every copy, so copying a record costs one
/// reference count, not one per field. The pair loops read records out of arrays, and each read is a
/// copy that the compiler cannot avoid; with two dozen arrays per record those copies took more time
/// at a million records than the comparisons did. Setting a field makes a new object (records are
/// built once, by `MatchRecordBuilder`, through `Fields`).
public struct MatchRecord: Sendable, Hashable {
    /// A record's values, set one by one while it is built.
    public struct Fields: Sendable, Hashable {
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
        public var isPlaceholder: Bool = false
        public var dateOfBirth: CalendarDate? = nil
        public var sex: Sex? = nil
        /// The ten digits as a number.
        public var nhsNumber: UInt64? = nil
        public var nhsNumberVerified: Bool = false
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

    /// Immutable once made, so sharing it between threads is safe.
    fileprivate final class Storage: Sendable {
        let fields: Fields
        init(_ fields: consuming Fields) { self.fields = fields }

        init(key: RecordKey, building build: (inout Fields) -> Void) {
            var fields = Fields(key: key)
            build(&fields)
            self.fields = fields
        }
    }

    /// A constant: a record's fields are read through a borrow of it (`_read`), so the pair loops
    /// read a field's array without taking a reference to it. Setting a field makes a new record.
    private let storage: Storage

    public init(key: RecordKey) {
        storage = Storage(Fields(key: key))
    }

    public init(_ fields: consuming Fields) {
        storage = Storage(fields)
    }

    /// A record whose fields `build` sets, in place: made from a `Fields` value of the caller's, a
    /// record's two dozen arrays were each retained into the record and released from the caller's
    /// copy (3% of the reading stage at a million records).
    public init(key: RecordKey, building build: (inout Fields) -> Void) {
        storage = Storage(key: key, building: build)
    }

    public var fields: Fields { _read { yield storage.fields } }
    public var key: RecordKey { _read { yield storage.fields.key } }

    public var given: [UInt8] { _read { yield storage.fields.given } set { update { $0.given = newValue } } }
    public var middle: [[UInt8]] { _read { yield storage.fields.middle } set { update { $0.middle = newValue } } }
    public var preferredGiven: [UInt8] { _read { yield storage.fields.preferredGiven } set { update { $0.preferredGiven = newValue } } }
    public var givenGroups: [Int32] { _read { yield storage.fields.givenGroups } set { update { $0.givenGroups = newValue } } }
    public var givenMetaphone: [UInt8] { _read { yield storage.fields.givenMetaphone } set { update { $0.givenMetaphone = newValue } } }
    public var givenMetaphoneAlternate: [UInt8] { _read { yield storage.fields.givenMetaphoneAlternate } set { update { $0.givenMetaphoneAlternate = newValue } } }
    public var family: [UInt8] { _read { yield storage.fields.family } set { update { $0.family = newValue } } }
    public var familyParts: [[UInt8]] { _read { yield storage.fields.familyParts } set { update { $0.familyParts = newValue } } }
    public var previousFamily: [[UInt8]] { _read { yield storage.fields.previousFamily } set { update { $0.previousFamily = newValue } } }
    public var familyMetaphone: [UInt8] { _read { yield storage.fields.familyMetaphone } set { update { $0.familyMetaphone = newValue } } }
    public var familyMetaphoneAlternate: [UInt8] { _read { yield storage.fields.familyMetaphoneAlternate } set { update { $0.familyMetaphoneAlternate = newValue } } }
    public var isPlaceholder: Bool { _read { yield storage.fields.isPlaceholder } set { update { $0.isPlaceholder = newValue } } }
    public var dateOfBirth: CalendarDate? { _read { yield storage.fields.dateOfBirth } set { update { $0.dateOfBirth = newValue } } }
    public var sex: Sex? { _read { yield storage.fields.sex } set { update { $0.sex = newValue } } }
    public var nhsNumber: UInt64? { _read { yield storage.fields.nhsNumber } set { update { $0.nhsNumber = newValue } } }
    public var nhsNumberVerified: Bool { _read { yield storage.fields.nhsNumberVerified } set { update { $0.nhsNumberVerified = newValue } } }
    public var postcodeUnit: [UInt8] { _read { yield storage.fields.postcodeUnit } set { update { $0.postcodeUnit = newValue } } }
    public var postcodeSector: [UInt8] { _read { yield storage.fields.postcodeSector } set { update { $0.postcodeSector = newValue } } }
    public var postcodeDistrict: [UInt8] { _read { yield storage.fields.postcodeDistrict } set { update { $0.postcodeDistrict = newValue } } }
    public var postcodeArea: [UInt8] { _read { yield storage.fields.postcodeArea } set { update { $0.postcodeArea = newValue } } }
    public var houseNumber: [UInt8] { _read { yield storage.fields.houseNumber } set { update { $0.houseNumber = newValue } } }
    public var street: [UInt8] { _read { yield storage.fields.street } set { update { $0.street = newValue } } }
    public var phone: [UInt8] { _read { yield storage.fields.phone } set { update { $0.phone = newValue } } }
    public var otherFields: [String: [UInt8]] { _read { yield storage.fields.otherFields } set { update { $0.otherFields = newValue } } }

    private mutating func update(_ change: (inout Fields) -> Void) {
        var fields = storage.fields
        change(&fields)
        self = MatchRecord(fields)
    }

    /// The record's storage without a reference count, for `PairReader`.
    fileprivate var unretained: Unmanaged<Storage> { Unmanaged.passUnretained(storage) }

    fileprivate init(borrowing storage: Storage) {
        self.storage = storage
    }

    public static func == (lhs: MatchRecord, rhs: MatchRecord) -> Bool {
        lhs.storage === rhs.storage || lhs.storage.fields == rhs.storage.fields
    }

    public func hash(into hasher: inout Hasher) {
        storage.fields.hash(into: &hasher)
    }
}


/// Reads the two records of a pair without taking a reference to either. The pair loops compare
/// millions of pairs on every core; reading a record out of an array retains it for as long as the
/// compiler cannot prove nothing in the loop releases it, which in a loop that calls the comparison
/// rules it never can: two atomic increments and two decrements per pair, on objects every core reads,
/// were a sixth of comparing's time. The records are kept alive by the array held here, and a record's
/// storage never changes once made, so handing the comparisons a guaranteed reference is safe.
public struct PairReader: @unchecked Sendable {
    private let records: [MatchRecord]
    private let storages: [Unmanaged<MatchRecord.Storage>]

    public init(_ records: [MatchRecord]) {
        self.records = records
        storages = records.map(\.unretained)
    }

    /// Calls `body` with the records at `i` and `j`.
    @inline(__always)
    public func withPair<Result>(_ i: Int, _ j: Int, _ body: (MatchRecord, MatchRecord) -> Result) -> Result {
        storages[i]._withUnsafeGuaranteedRef { a in
            storages[j]._withUnsafeGuaranteedRef { b in
                body(MatchRecord(borrowing: a), MatchRecord(borrowing: b))
            }
        }
    }
}
