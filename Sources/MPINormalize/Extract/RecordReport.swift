import MPICore

/// One line of `mpi normalise` output: what the program made of a row, for a steward to read.
public struct RecordReport: Encodable, Sendable {
    struct Name: Encodable {
        let given: String
        let middle: [String]
        let family: String
        let familyParts: [String]
        let placeholder: String?
        let preferredGiven: String?
        let previousFamily: [String]
        let forenameGroups: [String]
        let phonetic: [String: PhoneticKeys]
    }
    struct PhoneticKeys: Encodable {
        let soundex: String
        let nysiis: String
        let doubleMetaphone: [String]
    }
    struct NHS: Encodable {
        let number: String
        let testRange: Bool
        let status: String?
        let verified: Bool
    }
    struct DateReport: Encodable {
        let date: String
        let precision: String
        let knownDefault: Bool
    }
    struct PostcodeReport: Encodable {
        let unit: String
        let sector: String
        let district: String
        let area: String
        let pseudo: String?
    }

    let source: String
    let recordId: String
    let line: Int
    let name: Name
    let nhsNumber: NHS?
    let dateOfBirth: DateReport?
    let sex: String?
    let postcode: PostcodeReport?
    let address: Address?
    let phone: PhoneNumber?
    let other: [String: String]?
    let rejections: [FieldRejection]

    public init(_ row: NormalizedRow, variants: ForenameVariants) {
        let record = row.record
        func keys(_ text: String) -> PhoneticKeys? {
            guard !text.isEmpty else { return nil }
            let dm = Phonetic.doubleMetaphone(text)
            return PhoneticKeys(soundex: Phonetic.soundex(text), nysiis: Phonetic.nysiis(text),
                                doubleMetaphone: dm.primary == dm.alternate ? [dm.primary] : [dm.primary, dm.alternate])
        }
        var phonetic: [String: PhoneticKeys] = [:]
        phonetic["given"] = keys(record.name.given)
        phonetic["family"] = keys(record.name.family)
        source = record.key.source
        recordId = record.key.recordId
        line = row.line
        name = Name(given: record.name.given, middle: record.name.middle, family: record.name.family,
                    familyParts: record.name.familyParts, placeholder: record.name.placeholder?.rawValue,
                    preferredGiven: record.preferredGiven, previousFamily: record.previousFamilyNames,
                    forenameGroups: variants.groups(of: record.name.given), phonetic: phonetic)
        nhsNumber = record.nhsNumber.map {
            NHS(number: $0.digits, testRange: $0.isTestNumber, status: $0.status?.rawValue, verified: $0.status?.isVerified ?? false)
        }
        dateOfBirth = record.dateOfBirth.map {
            DateReport(date: $0.date.description, precision: $0.date.precision.rawValue, knownDefault: $0.isDefault)
        }
        sex = record.sex?.rawValue
        postcode = record.postcode.map {
            PostcodeReport(unit: $0.unit, sector: $0.sector, district: $0.district, area: $0.area, pseudo: $0.pseudo?.rawValue)
        }
        address = record.address
        phone = record.phone
        other = record.otherFields.isEmpty ? nil : record.otherFields
        rejections = row.rejections
    }
}
