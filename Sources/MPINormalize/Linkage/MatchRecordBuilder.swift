public import MPICore

/// Turns a normalised record into the form the comparisons read: bytes, nickname group ids and
/// phonetic keys computed once.
public struct MatchRecordBuilder: Sendable {
    public let variants: ForenameVariants

    public init(variants: ForenameVariants) {
        self.variants = variants
    }

    public func build(_ record: NormalizedRecord) -> MatchRecord {
        var match = MatchRecord.Fields(key: record.key)
        let name = record.name
        match.isPlaceholder = name.placeholder != nil
        if !match.isPlaceholder {
            match.given = Array(name.given.utf8)
            match.middle = name.middle.map { Array($0.utf8) }
            match.family = Array(name.family.utf8)
            match.familyParts = name.familyParts.map { Array($0.utf8) }
            match.givenGroups = variants.groupIds(of: name.given)
            if !name.given.isEmpty {
                let keys = Phonetic.doubleMetaphone(name.given)
                match.givenMetaphone = Array(keys.primary.utf8)
                match.givenMetaphoneAlternate = Array(keys.alternate.utf8)
            }
            if !name.family.isEmpty {
                let keys = Phonetic.doubleMetaphone(name.family)
                match.familyMetaphone = Array(keys.primary.utf8)
                match.familyMetaphoneAlternate = Array(keys.alternate.utf8)
            }
        } else if name.placeholder == .unnamedNewborn || name.placeholder == .multipleBirth, !name.family.isEmpty,
                  PlaceholderDetection.detect(given: [], family: name.family.split(separator: " ").map(String.init)) == nil {
            // "BABY OF AISHA" KHAN: the surname is real, and the child's later record usually carries it.
            // Only blocking reads this key (so the two records meet); the name comparisons stay null.
            let keys = Phonetic.doubleMetaphone(name.family)
            match.familyMetaphone = Array(keys.primary.utf8)
            match.familyMetaphoneAlternate = Array(keys.alternate.utf8)
        }
        match.preferredGiven = Array((record.preferredGiven ?? "").utf8)
        match.previousFamily = record.previousFamilyNames.map { Array($0.utf8) }
        if let dob = record.dateOfBirth, dob.isInformative { match.dateOfBirth = dob.date }
        match.sex = record.sex
        if let nhs = record.nhsNumber {
            match.nhsNumber = UInt64(nhs.digits)
            match.nhsNumberVerified = nhs.status?.isVerified ?? false
        }
        if let postcode = record.postcode, postcode.isInformative {
            match.postcodeUnit = Array(postcode.unit.utf8)
            match.postcodeSector = Array(postcode.sector.utf8)
            match.postcodeDistrict = Array(postcode.district.utf8)
            match.postcodeArea = Array(postcode.area.utf8)
        }
        if let address = record.address {
            match.houseNumber = Array((address.houseNumber ?? "").utf8)
            match.street = Array((address.street ?? "").utf8)
        }
        if let phone = record.phone, !phone.isPlaceholder { match.phone = Array(phone.number.utf8) }
        for (field, value) in record.otherFields { match.otherFields[field] = Array(value.utf8) }
        return MatchRecord(match)
    }
}

