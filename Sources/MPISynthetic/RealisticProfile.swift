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
    /// - forename and surname swapped in a share of registrations.
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

    /// A landline for the second number in a phone field.
    func landline(of person: Person) -> String {
        "020 8" + String(100_000 + (person.id * 7919) % 899_999)
    }
}

extension String {
    var capitalisedFirst: String { prefix(1).uppercased() + dropFirst().lowercased() }
}
