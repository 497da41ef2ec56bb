import MPICore

/// Each trust's export layout, as its patient administration system writes it.
enum ExtractFormats {
    static let monthNames = ["JAN", "FEB", "MAR", "APR", "MAY", "JUN", "JUL", "AUG", "SEP", "OCT", "NOV", "DEC"]

    /// - Returns: the file name, its bytes, and each record's id in the order given.
    static func write(trust: Int, records: [PopulationGenerator.Record], today: CalendarDate,
                      profile: PopulationProfile) -> (String, [UInt8], [String]) {
        let realistic = profile == .realistic
        var lines: [String] = []
        var ids: [String] = []
        func pad(_ value: Int, _ width: Int) -> String {
            let text = String(value)
            return String(repeating: "0", count: max(0, width - text.count)) + text
        }
        func csv(_ fields: [String]) -> String {
            fields.map { $0.contains(",") || $0.contains("\"") ? "\"" + $0.replacingAll("\"", "\"\"") + "\"" : $0 }.joined(separator: ",")
        }
        func capitalised(_ name: String) -> String {
            var result = ""
            var startOfWord = true
            for character in name {
                result += startOfWord ? String(character) : character.lowercased()
                startOfWord = character == " " || character == "-" || character == "'"
            }
            return result
        }
        for (index, record) in records.enumerated() {
            let given = record.placeholderGiven ?? record.given
            let family = record.placeholderFamily ?? record.family
            // The standard profile keeps the middle name behind "BABY", as it always has.
            let middle = realistic && record.placeholderGiven != nil ? "" : record.middle
            let birth = record.birth
            switch trust {
            case 0:   // R1K: CSV, "SURNAME, Forename Middle", dd/MM/yyyy, sex 1/2, spaced NHS number with status
                let id = "R1K" + pad(index + 1, 7)
                ids.append(id)
                let nhs = record.nhs.map { number -> String in
                    let d = Array(number)
                    return String(d[0..<3]) + " " + String(d[3..<6]) + " " + String(d[6...])
                } ?? ""
                let street = record.street.replacingAll("ROAD", "Rd").replacingAll("STREET", "St")
                lines.append(csv([id, family + ", " + capitalised([given, middle].filter { !$0.isEmpty }.joined(separator: " ")),
                                  "\(pad(birth.day, 2))/\(pad(birth.month, 2))/\(birth.year)", record.person.male ? "1" : "2", nhs,
                                  record.nhs == nil ? "" : (index % 3 == 0 ? "01" : "02"), record.postcode ?? "",
                                  "\(record.house) \(capitalised(street))", "London", record.phone ?? ""]))
            case 1:   // RAS: TSV (Windows-1252), separate names, dd-MMM-yyyy, Male/Female, lower-case postcode without space
                let id = "RAS-" + pad(index + 1, 6)
                ids.append(id)
                // The realistic profile's Hillingdon writes NULL for a missing value, and sometimes two
                // numbers, or a number and a note, in its one phone field.
                let missing = realistic ? "NULL" : ""
                let postcode = record.postcode.map { index % 2 == 0 ? $0.lowercased().replacingAll(" ", "") : $0 } ?? missing
                var phone = record.phone?.replacingAll(" ", "") ?? missing
                if let second = record.secondPhone {
                    phone = record.phone.map { index % 3 == 0 ? "\($0) (MOB)" : "\(second) / \($0)" } ?? second
                }
                lines.append([id, capitalised([given, middle].filter { !$0.isEmpty }.joined(separator: " ")), capitalised(family),
                              "\(pad(birth.day, 2))-\(monthNames[birth.month - 1])-\(birth.year)", record.person.male ? "Male" : "Female",
                              record.nhs ?? missing, postcode, phone].joined(separator: "\t"))
            case 2:   // RYJ: CSV, "Forename Middle Surname", ISO dates, M/F, maiden name
                let id = "RYJ" + pad(index + 1, 8)
                ids.append(id)
                lines.append(csv([id, [given, middle, family].filter { !$0.isEmpty }.joined(separator: " "),
                                  "\(birth.year)-\(pad(birth.month, 2))-\(pad(birth.day, 2))", record.person.male ? "M" : "F",
                                  record.nhs ?? "", record.postcode ?? "", "\(record.house) \(record.street)",
                                  record.family != record.person.family && index % 2 == 0 ? record.person.family : ""]))
            default:  // RQM: CSV, separate names, HL7 dates (yyyyMMdd), F/M, known-as name, house number apart
                let id = "RQM" + pad(index + 1, 7)
                ids.append(id)
                let preferred = record.given != record.person.given ? record.given : ""
                lines.append(csv([id, preferred.isEmpty ? given : record.person.given, family,
                                  "\(birth.year)\(pad(birth.month, 2))\(pad(birth.day, 2))", record.person.male ? "M" : "F",
                                  record.nhs ?? "", record.postcode ?? "", preferred, String(record.house), record.street]))
            }
        }
        let headers = [
            "MRN,PATIENT_NAME,DOB,SEX,NHS_NO,NHS_STATUS,POSTCODE,ADDRESS_1,ADDRESS_2,TELEPHONE",
            "HOSP_NO\tFORENAMES\tSURNAME\tBIRTH_DATE\tGENDER\tNHS_NUMBER\tPOST_CODE\tPHONE",
            "PatientID,Name,DateOfBirth,Sex,NHSNumber,Postcode,AddressLine1,MaidenName",
            "MRN,GIVEN,FAMILY,DOB,GENDER,NHS,PCODE,PREFERRED_NAME,HOUSE_NO,STREET",
        ]
        let names = ["r1k.csv", "ras.tsv", "ryj.csv", "rqm.csv"]
        let text = ([headers[trust]] + lines).joined(separator: trust == 1 ? "\r\n" : "\n") + "\n"
        return (names[trust], Array(text.utf8), ids)
    }

    static let emergencyFeedName = "ras-ed.hl7"

    /// The job file: the four extracts, and in the realistic profile Hillingdon's ED feed as a second
    /// feed of the RAS domain.
    static func jobFile(profile: PopulationProfile) -> String {
        guard profile == .realistic else { return jobFile }
        let feed = ",\n    {\n      \"code\": \"RAS\", \"feed\": \"RAS-ED\", \"path\": \"\(emergencyFeedName)\", \"format\": \"hl7\"\n    }\n  ]\n}\n"
        return String(jobFile.dropLast("\n  ]\n}\n".count)) + feed
    }

    static let jobFile = """
    {
      "sources": [
        {
          "code": "R1K", "path": "r1k.csv", "recordId": "MRN",
          "columns": { "fullName": "PATIENT_NAME", "nameLayout": "familyFirst", "dateOfBirth": "DOB", "sex": "SEX",
                       "nhsNumber": "NHS_NO", "nhsNumberStatus": "NHS_STATUS", "postcode": "POSTCODE",
                       "address": ["ADDRESS_1", "ADDRESS_2"], "phone": "TELEPHONE" },
          "dateFormat": "dd/MM/yyyy"
        },
        {
          "code": "RAS", "path": "ras.tsv", "format": "tsv", "encoding": "windows-1252", "recordId": "HOSP_NO",
          "columns": { "givenName": "FORENAMES", "familyName": "SURNAME", "dateOfBirth": "BIRTH_DATE", "sex": "GENDER",
                       "nhsNumber": "NHS_NUMBER", "postcode": "POST_CODE", "phone": "PHONE" },
          "dateFormat": "dd-MMM-yyyy"
        },
        {
          "code": "RYJ", "path": "ryj.csv", "recordId": "PatientID",
          "columns": { "fullName": "Name", "nameLayout": "givenFirst", "dateOfBirth": "DateOfBirth", "sex": "Sex",
                       "nhsNumber": "NHSNumber", "postcode": "Postcode", "address": ["AddressLine1"],
                       "previousFamilyName": "MaidenName" },
          "dateFormat": "yyyy-MM-dd"
        },
        {
          "code": "RQM", "path": "rqm.csv", "recordId": "MRN",
          "columns": { "givenName": "GIVEN", "familyName": "FAMILY", "dateOfBirth": "DOB", "sex": "GENDER", "nhsNumber": "NHS",
                       "postcode": "PCODE", "preferredName": "PREFERRED_NAME", "address": ["HOUSE_NO", "STREET"] },
          "dateFormat": "hl7"
        }
      ]
    }

    """
}

extension String {
    func replacingAll(_ target: String, _ replacement: String) -> String {
        guard !target.isEmpty else { return self }
        var result = ""
        var rest = Substring(self)
        while let range = rest.firstRange(of: target) {
            result += rest[..<range.lowerBound]
            result += replacement
            rest = rest[range.upperBound...]
        }
        return result + rest
    }
}
