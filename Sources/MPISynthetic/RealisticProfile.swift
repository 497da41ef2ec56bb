import MPICore

/// Which population `mpi generate` draws.
public enum PopulationProfile: String, Sendable, Hashable, CaseIterable {
    /// The population the matching core was first built on: postcodes nearly unique to a household,
    /// half of newborn records unnamed, NHS numbers missing at one rate everywhere.
    case standard
    /// A population drawn from what published descriptions of NHS data say, not tuned to the core
    /// (docs/synthetic-data.md gives each figure's source):
    /// - a postcode unit holds about 15 addresses, so 30 to 50 people; blocks of flats and care homes
    ///   put 50 to 200 people behind one postcode;
    /// - children born at a trust have a birth registration there, a quarter of them never renamed
    ///   from "BABY OF ..." and some under the mother's NHS number;
    /// - unidentified emergency patients ("UNKNOWN", an estimated 1 January date of birth);
    /// - one trust (Hillingdon, RAS) missing 20% of NHS numbers, writing NULL for missing values and
    ///   two numbers in one phone field;
    /// - forename and surname swapped in a share of registrations;
    /// - a second feed in Hillingdon's hospital-number domain: its emergency department's HL7 A04
    ///   registrations, most under the PAS number, some under a new one.
    case realistic
}

/// The realistic profile's figures, each a parameter.
struct RealisticFigures {
    /// People per postcode unit outside blocks and homes: ONS postcode directories give about 15
    /// delivery points per unit and 2.4 people per household in London.
    var peoplePerPostcode = 36
    /// Share of people in a block of flats (50 to 200 residents behind one postcode).
    var inBlockOfFlats = 0.12
    /// Share of people in a care home (50 to 120 residents, one address and one phone).
    var inCareHome = 0.01
    /// Share of children under ten with a birth registration at their home trust.
    var birthRegistration = 0.6
    /// Share of birth registrations never renamed from the placeholder.
    var neverRenamed = 0.25
    /// Share of unnamed birth registrations carrying the mother's NHS number instead of the child's.
    var mothersNumber = 0.15
    /// Share of records that are an unidentified emergency registration of their person.
    var unidentified = 0.004
    /// NHS number missing, per trust (R1K, RAS, RYJ, RQM).
    var nhsMissing = [0.06, 0.20, 0.08, 0.05]
    /// Forename and surname swapped.
    var namesSwapped = 0.01
    /// At RAS: a phone field holding two numbers.
    var twoPhones = 0.25
    /// Share of RAS patients with an emergency department attendance in the feed.
    var emergencyAttendance = 0.15
    /// Share of those attendances where the patient was not found and a new RAS number was issued (a
    /// duplicate registration made in a hurry).
    var emergencyNewNumber = 0.05
    /// Share of patients with no RAS record who attended Hillingdon's emergency department.
    var emergencyVisitor = 0.02
}

extension PopulationGenerator {
    /// Each child under ten gets a mother: a woman aged 18 to 45 at the birth, whose surname, home and
    /// phone the child shares (so the child is in her household).
    mutating func assignMothers(_ persons: inout [Person]) {
        let today = settings.today.daysSinceEpoch
        let women = persons.indices.filter { !persons[$0].male && persons[$0].family != "" }
        guard !women.isEmpty else { return }
        for child in persons.indices where today - persons[child].birth.daysSinceEpoch < 3653 {
            for _ in 0..<20 {
                let candidate = women[index(women.count)]
                let ageAtBirth = (persons[child].birth.daysSinceEpoch - persons[candidate].birth.daysSinceEpoch) / 365
                guard (18...45).contains(ageAtBirth) else { continue }
                let mother = persons[candidate]
                persons[child].mother = candidate
                persons[child].family = mother.family
                persons[child].outward = mother.outward; persons[child].inward = mother.inward
                persons[child].house = mother.house; persons[child].street = mother.street
                persons[child].phone = mother.phone; persons[child].homeTrust = mother.homeTrust
                break
            }
        }
    }

    /// Households (people sharing a home) are placed behind shared postcodes: most in ordinary streets
    /// of about `peoplePerPostcode` people a postcode, some in blocks of flats and care homes.
    mutating func assignRealisticAddresses(_ persons: inout [Person]) {
        var households: [String: [Int]] = [:]
        var order: [String] = []
        for index in persons.indices {
            let home = "\(persons[index].outward) \(persons[index].inward) \(persons[index].house) \(persons[index].street)"
            if households[home] == nil { order.append(home) }
            households[home, default: []].append(index)
        }
        struct Place { var outward: String; var inward: String; var street: String; var trust: Int }
        func newPlace() -> Place {
            let district = NameLists.districts[index(NameLists.districts.count)]
            return Place(outward: district.outward, inward: makeInward(), street: NameLists.streets[index(NameLists.streets.count)],
                         trust: district.trust)
        }
        let units = max(1, persons.count / figures.peoplePerPostcode)
        var streets: [Place] = []
        for _ in 0..<units { streets.append(newPlace()) }
        var block = newPlace(), blockResidents = 0, blockCapacity = 50 + index(151), nextFlat = 1
        var home = newPlace(), homeResidents = 0, homeCapacity = 50 + index(71), homePhone = "020 8" + String(100_000 + index(899_999))
        let today = settings.today.daysSinceEpoch
        for key in order {
            let members = households[key]!
            let roll = unit()
            if roll < figures.inCareHome, members.count == 1 {
                let resident = members[0]
                if homeResidents >= homeCapacity {
                    home = newPlace(); homeResidents = 0; homeCapacity = 50 + index(71)
                    homePhone = "020 8" + String(100_000 + index(899_999))
                }
                homeResidents += 1
                // Care-home residents are old: 75 to 100.
                persons[resident].birth = CalendarDate(daysSinceEpoch: today - Int((75 + unit() * 25) * 365.25))
                place(&persons[resident], home, house: 1, phone: homePhone)
            } else if roll < figures.inCareHome + figures.inBlockOfFlats {
                if blockResidents >= blockCapacity {
                    block = newPlace(); blockResidents = 0; blockCapacity = 50 + index(151); nextFlat = 1
                }
                blockResidents += members.count
                for member in members { place(&persons[member], block, house: nextFlat, phone: nil) }
                nextFlat += 1
            } else {
                let street = streets[index(streets.count)]
                let house = 1 + index(180)
                for member in members { place(&persons[member], street, house: house, phone: nil) }
            }
        }

        func place(_ person: inout Person, _ where: Place, house: Int, phone: String?) {
            person.outward = `where`.outward; person.inward = `where`.inward; person.street = `where`.street
            person.house = house; person.homeTrust = `where`.trust
            if let phone { person.phone = phone }
        }
    }

    /// The registration made at birth at the home trust, for a share of children under ten. A quarter
    /// were never renamed: "BABY OF <mother's forename>", "BABY", "BABY BOY", written as the trust
    /// writes names, some under the mother's NHS number.
    mutating func makeBirthRegistration(_ person: Person, mother: Person?) -> Record? {
        guard let mother, unit() < figures.birthRegistration else { return nil }
        var record = makeRecord(person, trust: person.homeTrust)
        record.birth = person.birth
        guard unit() < figures.neverRenamed else { return record }
        switch index(4) {
        case 0: record.placeholderGiven = "BABY OF " + mother.given
        case 1: record.placeholderGiven = "BABY"
        case 2: record.placeholderGiven = person.male ? "BABY BOY" : "BABY GIRL"
        default: record.placeholderGiven = "Baby of " + mother.given.capitalisedFirst
        }
        if record.nhs != nil, unit() < figures.mothersNumber { record.nhs = mother.nhs }
        return record
    }

    /// An emergency registration before the patient could be identified: "UNKNOWN" and an estimated
    /// date of birth on 1 January, no NHS number, no address.
    mutating func makeUnidentifiedRecord(_ person: Person) -> Record {
        var record = makeRecord(person, trust: 0)
        record.placeholderGiven = "UNKNOWN"
        record.placeholderFamily = person.male ? "UNKNOWN MALE" : "UNKNOWN FEMALE"
        let estimatedYear = person.birth.year + index(11) - 5
        record.birth = CalendarDate(year: min(estimatedYear, settings.today.year - 1), month: 1, day: 1) ?? person.birth
        record.nhs = nil
        record.postcode = nil
        record.phone = nil
        record.secondPhone = nil
        return record
    }

    /// Hillingdon's emergency department feed: HL7 v2 A04 registrations in the RAS hospital-number
    /// domain. A patient the ED system finds keeps the PAS number and demographics; one it does not
    /// find, or who has never been to Hillingdon, gets a new number from the same range, continuing
    /// the PAS extract's numbering.
    /// - Returns: the feed's text and the new registrations (id and person), for the truth file.
    mutating func makeEmergencyDepartmentFeed(pas: [Record], pasIds: [String], persons: [Person]) -> (text: String, new: [(String, Int)]) {
        var attendances: [(record: Record, id: String)] = []
        var new: [(String, Int)] = []
        func issue(_ record: Record) {
            let id = "RAS-" + String(pasIds.count + new.count + 1).leftPadded(to: 6)
            new.append((id, record.person.id))
            attendances.append((record, id))
        }
        for (record, id) in zip(pas, pasIds) where unit() < figures.emergencyAttendance {
            if unit() < figures.emergencyNewNumber { issue(makeRecord(record.person, trust: 1)) } else { attendances.append((record, id)) }
        }
        let atHillingdon = Set(pas.map(\.person.id))
        for person in persons where !atHillingdon.contains(person.id) && unit() < figures.emergencyVisitor {
            issue(makeRecord(person, trust: 1))
        }
        for i in stride(from: attendances.count - 1, to: 0, by: -1) { attendances.swapAt(i, index(i + 1)) }
        return (attendances.enumerated().map { a04($1.record, id: $1.id, sequence: $0) }.joined(separator: "\n") + "\n", new)
    }

    /// One A04 (register a patient) as an ED system sends it: the RAS number and the NHS number in PID-3.
    private func a04(_ record: Record, id: String, sequence: Int) -> String {
        let day = settings.today
        let time = "\(day.year)\(String(day.month).leftPadded(to: 2))\(String(day.day).leftPadded(to: 2))"
            + String(sequence % 24).leftPadded(to: 2) + String(sequence % 60).leftPadded(to: 2)
        let birth = record.birth
        let identifiers = [id.hl7Escaped + "^^^RAS^MR"] + (record.nhs.map { [$0 + "^^^NHS^NH"] } ?? [])
        let name = [record.placeholderFamily ?? record.family, record.placeholderGiven ?? record.given,
                    record.placeholderGiven == nil ? record.middle : ""].map(\.hl7Escaped).joined(separator: "^")
        let address = "\(record.house) \(record.street)".hl7Escaped + "^^London^^" + (record.postcode ?? "").hl7Escaped
        return [
            "MSH|^~\\&|EDIS|RAS|MPI|NWL|\(time)||ADT^A04^ADT_A01|ED\(String(sequence + 1).leftPadded(to: 7))|P|2.5.1",
            "EVN|A04|\(time)",
            "PID|1||\(identifiers.joined(separator: "~"))||\(name)||\(birth.year)\(String(birth.month).leftPadded(to: 2))"
                + "\(String(birth.day).leftPadded(to: 2))|\(record.person.male ? "M" : "F")|||\(address)||\((record.phone ?? "").hl7Escaped)",
            "PV1|1|E",
        ].joined(separator: "\r") + "\r"
    }

    /// A landline for the second number in a phone field.
    func landline(of person: Person) -> String {
        "020 8" + String(100_000 + (person.id * 7919) % 899_999)
    }
}

extension String {
    var capitalisedFirst: String { prefix(1).uppercased() + dropFirst().lowercased() }

    func leftPadded(to width: Int) -> String { String(repeating: "0", count: max(0, width - count)) + self }

    /// The text with HL7 v2's delimiters escaped (the default encoding characters).
    var hl7Escaped: String {
        var result = ""
        for character in self {
            switch character {
            case "\\": result += "\\E\\"
            case "|": result += "\\F\\"
            case "^": result += "\\S\\"
            case "&": result += "\\T\\"
            case "~": result += "\\R\\"
            default: result.append(character)
            }
        }
        return result
    }
}
