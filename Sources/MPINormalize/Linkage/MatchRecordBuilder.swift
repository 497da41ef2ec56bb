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
            let value = Array(text.utf8)
            return sharing?.share(value) ?? value
        }
        var match = MatchRecord.Fields(key: record.key)
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
                let keys = Phonetic.doubleMetaphone(name.given)
                match.givenMetaphone = bytes(keys.primary)
                match.givenMetaphoneAlternate = bytes(keys.alternate)
            }
            if !name.family.isEmpty {
                let keys = Phonetic.doubleMetaphone(name.family)
                match.familyMetaphone = bytes(keys.primary)
                match.familyMetaphoneAlternate = bytes(keys.alternate)
            }
        } else if name.placeholder == .unnamedNewborn || name.placeholder == .multipleBirth, !name.family.isEmpty,
                  PlaceholderDetection.detect(given: [], family: name.family.split(separator: " ").map(String.init)) == nil {
            // "BABY OF AISHA" KHAN: the surname is real, and the child's later record usually carries it.
            // Only blocking reads this key (so the two records meet); the name comparisons stay null.
            let keys = Phonetic.doubleMetaphone(name.family)
            match.familyMetaphone = bytes(keys.primary)
            match.familyMetaphoneAlternate = bytes(keys.alternate)
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
        if let phone = record.phone, !phone.isPlaceholder { match.phone = bytes(phone.number) }
        for (field, value) in record.otherFields { match.otherFields[field] = bytes(value) }
        return MatchRecord(match)
    }
}


/// Equal values shared by the records built through it: the same surname, forename, metaphone key,
/// postcode district or street is one array, held by every record that has it, instead of one per
/// record. At a million records most values repeat (there are a few thousand postcode districts),
/// and the arrays were most of a run's memory. Not for sharing between tasks: a reading task makes
/// its own.
public final class ValueSharing {
    private var bytes = Set<[UInt8]>()
    private var groups = Set<[Int32]>()

    public init() {}

    func share(_ value: [UInt8]) -> [UInt8] {
        value.isEmpty ? value : bytes.insert(value).memberAfterInsert
    }

    func share(_ value: [Int32]) -> [Int32] {
        value.isEmpty ? value : groups.insert(value).memberAfterInsert
    }
}
