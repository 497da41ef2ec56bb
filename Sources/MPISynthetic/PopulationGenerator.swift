public import MPICore

/// Error rates of the synthetic population, each the chance that one record shows the error.
/// docs/synthetic-data.md describes the model; every rate is a parameter.
public struct ErrorRates: Sendable, Hashable, Codable {
    public var nameTypo = 0.04
    public var nickname = 0.06
    public var dayMonthSwap = 0.015
    public var dateDigitTypo = 0.015
    public var nhsNumberMissing = 0.30
    public var nhsNumberTypo = 0.01
    public var moved = 0.10
    public var postcodeMissing = 0.04
    public var phoneMissing = 0.5
    public var duplicateInTrust = 0.03
    public var visitsOtherTrust = 0.25

    public init() {}
}

public struct PopulationSettings: Sendable, Hashable {
    public var persons: Int
    public var seed: UInt64
    public var rates: ErrorRates
    /// "Today" for ages and the future-date rule.
    public var today: CalendarDate
    public var profile: PopulationProfile

    public init(persons: Int, seed: UInt64, rates: ErrorRates = ErrorRates(), today: CalendarDate,
                profile: PopulationProfile = .standard) {
        self.persons = persons
        self.seed = seed
        self.rates = rates
        self.today = today
        self.profile = profile
    }

    /// The date `mpi generate` writes populations as of, unless told otherwise: fixed, so that a seed
    /// gives the same population on any day.
    public static let defaultAsOf = CalendarDate(year: 2026, month: 11, day: 28)!
}

/// What the generator writes: one extract per trust, the truth, and a ready job file.
public struct GeneratedPopulation: Sendable {
    public struct File: Sendable {
        public let name: String
        public let bytes: [UInt8]
    }

    public let files: [File]
    /// Records per trust code.
    public let recordsPerTrust: [String: Int]
    public let persons: Int
}

/// A synthetic population of North West London patients across the four trusts, each trust in its own
/// export format, with realistic errors and the hard cases: twins, families at one address, common
/// names sharing a date of birth, unnamed newborns. Deterministic for a seed.
public struct PopulationGenerator {
    let settings: PopulationSettings
    let figures = RealisticFigures()
    var random: SplitMix64

    public init(settings: PopulationSettings) {
        self.settings = settings
        random = SplitMix64(seed: settings.seed)
    }

    struct Person {
        let id: Int
        var given: String
        var middle: String
        var family: String
        var previousFamily: String?
        var male: Bool
        var birth: CalendarDate
        var nhs: String
        var outward: String
        var inward: String
        var house: Int
        var street: String
        var phone: String
        var homeTrust: Int
        var newborn: Bool
        /// The mother's index among the persons (realistic profile, children only).
        var mother: Int? = nil
    }

    struct Record {
        let person: Person
        var given: String
        var middle: String
        var family: String
        var birth: CalendarDate
        var nhs: String?
        var postcode: String?
        var house: Int
        var street: String
        var phone: String?
        /// A second number written in the same phone field (RAS in the realistic profile).
        var secondPhone: String? = nil
        /// The placeholder written instead of the forename ("BABY", "BABY OF AISHA") and, when set,
        /// instead of the surname too ("UNKNOWN").
        var placeholderGiven: String? = nil
        var placeholderFamily: String? = nil
    }

    static let trustCodes = ["R1K", "RAS", "RYJ", "RQM"]

    public mutating func generate() -> GeneratedPopulation {
        var persons: [Person] = []
        persons.reserveCapacity(settings.persons)
        var nextNHS = Set<String>()
        while persons.count < settings.persons {
            let person = makePerson(id: persons.count, usedNHS: &nextNHS)
            persons.append(person)
            // Hard cases, each drawn alongside an ordinary person.
            let roll = unit()
            if roll < 0.012, persons.count < settings.persons {          // a twin: same birth, surname and home
                var twin = makePerson(id: persons.count, usedNHS: &nextNHS)
                twin.family = person.family; twin.birth = person.birth; twin.outward = person.outward
                twin.inward = person.inward; twin.house = person.house; twin.street = person.street; twin.phone = person.phone
                twin.homeTrust = person.homeTrust
                persons.append(twin)
            } else if roll < 0.04, persons.count < settings.persons {    // a relative at the same address
                var relative = makePerson(id: persons.count, usedNHS: &nextNHS)
                relative.family = person.family; relative.outward = person.outward; relative.inward = person.inward
                relative.house = person.house; relative.street = person.street; relative.phone = person.phone
                relative.homeTrust = person.homeTrust
                persons.append(relative)
            } else if roll < 0.05, persons.count < settings.persons {    // a namesake born the same day elsewhere
                var namesake = makePerson(id: persons.count, usedNHS: &nextNHS)
                namesake.given = person.given; namesake.family = person.family; namesake.birth = person.birth
                namesake.male = person.male
                persons.append(namesake)
            }
        }

        if settings.profile == .realistic {
            assignMothers(&persons)
            assignRealisticAddresses(&persons)
        }

        var records: [[Record]] = Array(repeating: [], count: 4)
        for person in persons {
            for trust in 0..<4 {
                let visits = trust == person.homeTrust ? unit() < 0.9 : unit() < settings.rates.visitsOtherTrust
                guard visits || (trust == person.homeTrust && records.allSatisfy({ $0.last?.person.id != person.id })) else { continue }
                records[trust].append(makeRecord(person, trust: trust))
                if unit() < settings.rates.duplicateInTrust { records[trust].append(makeRecord(person, trust: trust)) }
            }
            if settings.profile == .realistic {
                if let birth = makeBirthRegistration(person, mother: person.mother.map { persons[$0] }) {
                    records[person.homeTrust].append(birth)
                }
                if unit() < figures.unidentified { records[index(4)].append(makeUnidentifiedRecord(person)) }
            }
        }
        // Every person appears at least once.
        let seen = Set(records.flatMap { $0.map(\.person.id) })
        for person in persons where !seen.contains(person.id) { records[person.homeTrust].append(makeRecord(person, trust: person.homeTrust)) }

        var files: [GeneratedPopulation.File] = []
        var truth = "source,record_id,true_id\n"
        var counts: [String: Int] = [:]
        var hillingdonIds: [String] = []
        for trust in 0..<4 {
            shuffle(&records[trust])
            let code = Self.trustCodes[trust]
            let (name, bytes, ids) = ExtractFormats.write(trust: trust, records: records[trust], today: settings.today,
                                                          profile: settings.profile)
            files.append(.init(name: name, bytes: bytes))
            for (record, id) in zip(records[trust], ids) { truth += "\(code),\(id),T\(record.person.id + 1)\n" }
            counts[code] = records[trust].count
            if trust == 1 { hillingdonIds = ids }
        }
        // Drawn after the four extracts, so they are the same files with or without this feed.
        if settings.profile == .realistic {
            let feed = makeEmergencyDepartmentFeed(pas: records[1], pasIds: hillingdonIds, persons: persons)
            files.append(.init(name: ExtractFormats.emergencyFeedName, bytes: Array(feed.text.utf8)))
            for (id, person) in feed.new { truth += "RAS,\(id),T\(person + 1)\n" }
            counts["RAS", default: 0] += feed.new.count
        }
        files.append(.init(name: "truth.csv", bytes: Array(truth.utf8)))
        files.append(.init(name: "job.json", bytes: Array(ExtractFormats.jobFile(profile: settings.profile).utf8)))
        return GeneratedPopulation(files: files, recordsPerTrust: counts, persons: persons.count)
    }

    // MARK: people

    private mutating func makePerson(id: Int, usedNHS: inout Set<String>) -> Person {
        let male = unit() < 0.49
        let forenames = male ? NameLists.maleForenames : NameLists.femaleForenames
        let district = NameLists.districts[index(NameLists.districts.count)]
        let ageDays = Int(unit() * 95 * 365.25)
        let newborn = unit() < 0.01
        let birth = CalendarDate(daysSinceEpoch: settings.today.daysSinceEpoch - (newborn ? index(25) + 1 : ageDays + 30))
        var nhs = ""
        let prefix = 999 - usedNHS.count / Self.numbersPerPrefix
        repeat { nhs = makeNHSNumber(prefix: prefix) } while usedNHS.contains(nhs)
        usedNHS.insert(nhs)
        return Person(id: id, given: zipf(forenames), middle: unit() < 0.4 ? zipf(forenames) : "", family: zipf(NameLists.surnames),
                      previousFamily: nil, male: male, birth: birth, nhs: nhs, outward: district.outward, inward: makeInward(),
                      house: 1 + index(180), street: NameLists.streets[index(NameLists.streets.count)],
                      phone: "07700 9" + String(100_00 + index(89_999)), homeTrust: district.trust, newborn: newborn)
    }

    /// How many persons draw their NHS numbers under one three-digit prefix: 999, the range reserved for
    /// test data, holds about 909,000 valid numbers, and drawing a new one by trial slows as the range
    /// fills (past it, forever). So a population's first 800,000 persons get 999 numbers, exactly as
    /// before there was a limit (every population up to that size is unchanged), the next 800,000 998
    /// numbers, then 997, and so on: numbers starting 9 are in no range England, Wales, the Isle of Man,
    /// Scotland or Northern Ireland issues, though only 999 is promised never to be.
    static let numbersPerPrefix = 800_000

    /// `prefix` followed by six digits and a valid check digit.
    private mutating func makeNHSNumber(prefix: Int) -> String {
        while true {
            var digits = [prefix / 100, prefix / 10 % 10, prefix % 10] + (0..<6).map { _ in index(10) }
            var sum = 0
            for (position, digit) in digits.enumerated() { sum += digit * (10 - position) }
            let check = 11 - sum % 11
            if check == 10 { continue }
            digits.append(check == 11 ? 0 : check)
            return digits.map(String.init).joined()
        }
    }

    mutating func makeInward() -> String {
        String(index(10)) + String(NameLists.inwardLetters[index(NameLists.inwardLetters.count)])
            + String(NameLists.inwardLetters[index(NameLists.inwardLetters.count)])
    }

    // MARK: records

    mutating func makeRecord(_ person: Person, trust: Int) -> Record {
        let rates = settings.rates
        var record = Record(person: person, given: person.given, middle: person.middle, family: person.family, birth: person.birth,
                            nhs: person.nhs, postcode: person.outward + " " + person.inward, house: person.house, street: person.street,
                            phone: person.phone)
        if settings.profile == .standard, person.newborn, unit() < 0.5 { record.placeholderGiven = "BABY" }
        if unit() < rates.nickname, let nicknames = NameLists.nicknames[person.given] { record.given = nicknames[index(nicknames.count)] }
        if unit() < rates.nameTypo { record.given = typo(record.given) }
        if unit() < rates.nameTypo { record.family = typo(record.family) }
        if !person.male, unit() < 0.03, person.birth.year < settings.today.year - 20 {   // married: a new surname in this trust
            record.family = zipf(NameLists.surnames)
        }
        if unit() < rates.dayMonthSwap, person.birth.day <= 12, person.birth.day != person.birth.month,
           let swapped = CalendarDate(year: person.birth.year, month: person.birth.day, day: person.birth.month) {
            record.birth = swapped
        } else if unit() < rates.dateDigitTypo, let typed = CalendarDate(year: person.birth.year, month: person.birth.month,
                                                                          day: max(1, (person.birth.day + 1 + index(8)) % 29)) {
            record.birth = typed
        }
        let nhsMissing = settings.profile == .realistic ? figures.nhsMissing[trust] : rates.nhsNumberMissing
        if settings.profile == .realistic, unit() < figures.namesSwapped { swap(&record.given, &record.family) }
        if settings.profile == .realistic, trust == 1, unit() < figures.twoPhones {
            record.secondPhone = landline(of: person)
        }
        if unit() < nhsMissing {
            record.nhs = nil
        } else if unit() < rates.nhsNumberTypo {
            var digits = Array(person.nhs)
            let position = 3 + index(7)
            digits[position] = Character(String((Int(String(digits[position]))! + 1 + index(8)) % 10))
            record.nhs = String(digits)
        }
        if unit() < rates.moved {
            let district = NameLists.districts[index(NameLists.districts.count)]
            record.postcode = district.outward + " " + makeInward()
            record.house = 1 + index(180)
            record.street = NameLists.streets[index(NameLists.streets.count)]
        }
        if unit() < rates.postcodeMissing { record.postcode = nil }
        if unit() < rates.phoneMissing { record.phone = nil }
        return record
    }

    mutating func typo(_ name: String) -> String {
        var letters = Array(name)
        guard letters.count > 2 else { return name }
        let position = 1 + index(letters.count - 1)
        switch index(4) {
        case 0: letters[position] = Character(Unicode.Scalar(UInt8(65 + index(26))))
        case 1: letters.remove(at: position)
        case 2: letters.insert(letters[position], at: position)
        default: if position < letters.count - 1 { letters.swapAt(position, position + 1) }
        }
        return String(letters)
    }

    // MARK: randomness

    mutating func unit() -> Double { Double(random.next() >> 11) / Double(1 << 53) }
    mutating func index(_ count: Int) -> Int { Int(random.next() % UInt64(count)) }

    /// Zipf-like choice: the k-th name weighs 1 / (k + 3).
    private mutating func zipf(_ names: [String]) -> String {
        var total = 0.0
        for k in names.indices { total += 1 / Double(k + 3) }
        var target = unit() * total
        for (k, name) in names.enumerated() {
            target -= 1 / Double(k + 3)
            if target <= 0 { return name }
        }
        return names[names.count - 1]
    }

    private mutating func shuffle<T>(_ items: inout [T]) {
        guard items.count > 1 else { return }
        for i in stride(from: items.count - 1, to: 0, by: -1) { items.swapAt(i, index(i + 1)) }
    }
}
