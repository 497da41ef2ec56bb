public import MPICore

/// Turns a normalised record into the form the comparisons read: bytes, nickname group ids and
/// phonetic keys computed once.
public struct MatchRecordBuilder: Sendable {
    public let variants: ForenameVariants

    public init(variants: ForenameVariants) {
        self.variants = variants
    }

    /// With `sharing`, equal values are one array in every record built through it (see
    /// `ValueSharing`).
    public func build(_ record: NormalizedRecord, sharing: ValueSharing? = nil) -> MatchRecord {
        func bytes(_ text: String) -> [UInt8] {
            sharing?.share(text) ?? Array(text.utf8)
        }
        func metaphoneKeys(_ name: String) -> (primary: [UInt8], alternate: [UInt8]) {
            if let sharing { return sharing.doubleMetaphone(name) }
            let keys = Phonetic.doubleMetaphone(name)
            return (Array(keys.primary.utf8), Array(keys.alternate.utf8))
        }
        return MatchRecord(key: record.key) { match in
            let name = record.name
            match.isPlaceholder = name.placeholder != nil
            if !match.isPlaceholder {
                match.given = bytes(name.given)
                match.middle = name.middle.map(bytes)
                match.family = bytes(name.family)
                match.familyParts = name.familyParts.map(bytes)
                let groups = variants.groupIds(of: name.given)
                match.givenGroups = sharing?.share(groups) ?? groups
                if !name.given.isEmpty {
                    (match.givenMetaphone, match.givenMetaphoneAlternate) = metaphoneKeys(name.given)
                }
                if !name.family.isEmpty {
                    (match.familyMetaphone, match.familyMetaphoneAlternate) = metaphoneKeys(name.family)
                }
            } else if name.placeholder == .unnamedNewborn || name.placeholder == .multipleBirth, !name.family.isEmpty,
                      PlaceholderDetection.detect(given: [], family: name.family.split(separator: " ").map(String.init)) == nil {
                // "BABY OF AISHA" KHAN: the surname is real, and the child's later record usually carries it.
                // Only blocking reads this key (so the two records meet); the name comparisons stay null.
                (match.familyMetaphone, match.familyMetaphoneAlternate) = metaphoneKeys(name.family)
            }
            match.preferredGiven = bytes(record.preferredGiven ?? "")
            match.previousFamily = record.previousFamilyNames.map(bytes)
            if let dob = record.dateOfBirth, dob.isInformative { match.dateOfBirth = dob.date }
            match.sex = record.sex
            if let nhs = record.nhsNumber {
                match.nhsNumber = UInt64(nhs.digits)
                match.nhsNumberVerified = nhs.status?.isVerified ?? false
            }
            if let postcode = record.postcode, postcode.isInformative {
                match.postcodeUnit = bytes(postcode.unit)
                match.postcodeSector = bytes(postcode.sector)
                match.postcodeDistrict = bytes(postcode.district)
                match.postcodeArea = bytes(postcode.area)
            }
            if let address = record.address {
                match.houseNumber = bytes(address.houseNumber ?? "")
                match.street = bytes(address.street ?? "")
            }
            // A phone number is nearly always one person's own: sharing it would only cost a lookup.
            if let phone = record.phone, !phone.isPlaceholder { match.phone = Array(phone.number.utf8) }
            for (field, value) in record.otherFields { match.otherFields[field] = bytes(value) }
        }
    }
}


/// Equal values shared by the records built through it: the same surname, forename, metaphone key,
/// postcode district or street is one array, held by every record that has it, instead of one per
/// record. At a million records most values repeat (there are a few thousand postcode districts),
/// and the arrays were most of a run's memory. Not for sharing between tasks: a reading task makes
/// its own.
public final class ValueSharing {
    private var texts = RecentValues<UInt8, [UInt8]>(slots: 32_768)
    private var groups = RecentValues<Int32, [Int32]>(slots: 32_768)
    private var metaphoneKeys = RecentValues<UInt8, (primary: [UInt8], alternate: [UInt8])>(slots: 16_384)

    public init() {}

    /// The UTF-8 bytes of `text`, as the array already held for them when there is one. A repeated
    /// value is found without allocating.
    func share(_ text: String) -> [UInt8] {
        if text.isEmpty { return [] }
        var text = text
        return text.withUTF8 { texts.value(for: $0) { held in held } }
    }

    func share(_ value: [Int32]) -> [Int32] {
        value.isEmpty ? value : value.withUnsafeBufferPointer { groups.value(for: $0) { held in held } }
    }

    /// The name's Double Metaphone keys, shared. Encoding a name letter by letter was a sixth of the
    /// reading stage's time, and a few thousand names make up most records: a name met recently is
    /// looked up instead.
    func doubleMetaphone(_ name: String) -> (primary: [UInt8], alternate: [UInt8]) {
        var utf8 = name
        return utf8.withUTF8 { bytes in
            metaphoneKeys.value(for: bytes) { _ in
                let keys = Phonetic.doubleMetaphone(name)
                return (share(keys.primary), share(keys.alternate))
            }
        }
    }
}

/// What was made for the keys met most recently, found by the keys' contents: a direct-mapped table
/// keyed by a multiply-and-rotate hash of the key's bytes, where a new key takes its slot from whatever
/// held it. A key that repeats often (a common surname, a postcode district) stays held; a key seen
/// once passes through. Holding every key instead (a `Set`, or a table that grows) made a lookup a
/// cache miss once the table outgrew the cache, and sharing a tenth of the reading stage's time. A
/// lookup reads one hash and touches the held key only when the hash is equal.
struct RecentValues<Element: FixedWidthInteger, Value> {
    private let slotMask: Int
    private var keys: [[Element]]
    private var hashes: [UInt64]
    private var values: [Value?]

    /// `slots` is a power of two.
    init(slots: Int) {
        precondition(slots > 0 && slots & (slots - 1) == 0, "a power of two")
        slotMask = slots - 1
        keys = Array(repeating: [], count: slots)
        hashes = Array(repeating: 0, count: slots)
        values = Array(repeating: nil, count: slots)
    }

    /// The value held for `key`, or the one `make` makes from the key (as an array, held from now on).
    mutating func value(for key: UnsafeBufferPointer<Element>, make: ([Element]) -> Value) -> Value {
        let hash = Self.hash(UnsafeRawBufferPointer(key))
        let slot = Int(truncatingIfNeeded: hash) & slotMask
        if hashes[slot] == hash, let held = values[slot], keys[slot].withUnsafeBufferPointer({ $0.elementsEqual(key) }) {
            return held
        }
        let heldKey = Array(key)
        let made = make(heldKey)
        keys[slot] = heldKey
        hashes[slot] = hash
        values[slot] = made
        return made
    }

    /// Eight bytes at a time, each word multiplied in and rotated; the length is mixed in so that
    /// keys differing only by trailing zero bytes differ. A crafted extract could only make values
    /// share less, never wrongly.
    private static func hash(_ bytes: UnsafeRawBufferPointer) -> UInt64 {
        let multiplier: UInt64 = 0x9E37_79B9_7F4A_7C15
        var hash = UInt64(bytes.count) &* multiplier
        var offset = 0
        while offset + 8 <= bytes.count {
            hash = (hash ^ bytes.loadUnaligned(fromByteOffset: offset, as: UInt64.self)) &* multiplier
            hash = (hash << 31) | (hash >> 33)
            offset += 8
        }
        var tail: UInt64 = 0
        while offset < bytes.count {
            tail = (tail << 8) | UInt64(bytes[offset])
            offset += 1
        }
        hash = (hash ^ tail) &* multiplier
        return hash ^ (hash >> 29)
    }
}
