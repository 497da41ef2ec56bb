import Foundation
import MPICore
@testable import MPIStore
import Testing

private func bytes(hex: String) -> [UInt8] {
    var result: [UInt8] = []
    var index = hex.startIndex
    while index < hex.endIndex {
        let next = hex.index(index, offsetBy: 2)
        result.append(UInt8(hex[index..<next], radix: 16)!)
        index = next
    }
    return result
}

private func everyField() -> NormalizedRecord {
    var record = NormalizedRecord(key: RecordKey(source: "R1K", recordId: "R1K0000001"))
    record.name = PersonName(given: "MARYJANE", middle: ["ANN", "ZOE"], family: "SMITHJONES", familyParts: ["SMITH", "JONES"],
                             placeholder: .unnamedNewborn)
    record.preferredGiven = "LIZ"
    record.previousFamilyNames = ["OBRIEN"]
    record.nhsNumber = NHSNumber(validatedDigits: "0434765919", status: .verified)
    record.dateOfBirth = DateOfBirth(date: CalendarDate(year: 1970, month: 3, precision: .month)!, isDefault: false)
    record.sex = .female
    record.postcode = Postcode(outward: "ZZ99", inward: "3VZ", pseudo: .noFixedAbode)
    record.address = Address(lines: ["FLAT 3 14 PIELD HEATH AVENUE", "UXBRIDGE"], houseNumber: "14", flat: "3", street: "PIELD HEATH AVENUE")
    record.phone = PhoneNumber(number: "07700900123", isPlaceholder: true)
    record.otherFields = ["nationalId": "AB12", "suburb": "HAYES"]
    return record
}

@Suite struct RecordCodecTests {
    @Test func roundTripsEveryField() throws {
        let record = everyField()
        #expect(try RecordCodec.decode(RecordCodec.encode(record), key: record.key) == record)

        let empty = NormalizedRecord(key: RecordKey(source: "A", recordId: "é€"))
        #expect(try RecordCodec.decode(RecordCodec.encode(empty), key: empty.key) == empty)

        var odd = NormalizedRecord(key: RecordKey(source: "A", recordId: "1"), name: PersonName(given: "", family: "X"))
        odd.nhsNumber = NHSNumber(validatedDigits: "12345")          // not ten digits: kept as text
        odd.dateOfBirth = DateOfBirth(date: CalendarDate(year: 1900, month: 1, day: 1)!, isDefault: true)
        odd.sex = .indeterminate
        odd.address = Address(lines: ["THE OLD MILL"], houseNumber: "7", street: "MILL LANE")   // parts not in a line
        odd.phone = PhoneNumber(number: "+33123456789", isPlaceholder: false)
        #expect(try RecordCodec.decode(RecordCodec.encode(odd), key: odd.key) == odd)
    }

    @Test func isMuchSmallerThanJSONAndLeavesTheKeyToTheRow() throws {
        var record = NormalizedRecord(key: RecordKey(source: "R1K", recordId: "R1K0000001"), name: PersonName(given: "AISHA", family: "SINGH"))
        record.dateOfBirth = DateOfBirth(date: CalendarDate(year: 2000, month: 5, day: 16)!)
        record.postcode = Postcode(outward: "NW10", inward: "6GX")
        record.address = Address(lines: ["43 UXBRIDGE ROAD", "LONDON"], houseNumber: "43", street: "UXBRIDGE ROAD")
        let binary = RecordCodec.encode(record)
        #expect(binary.count * 5 < (try JSONEncoder().encode(record).count))
        #expect(!String(decoding: binary, as: UTF8.self).contains("R1K0000001"))
        #expect(!String(decoding: binary, as: UTF8.self).contains("UXBRIDGE ROAD\u{03}"))   // the street is a reference into its line
    }

    /// Rows written by the first stores (version 1, key inside) still read, and must belong to their row.
    @Test func readsTheFirstStoresRecords() throws {
        let normalized = bytes(hex: "010352314B0A52314B3030303030373905504554455200074A56484E534F4E00000000010A393939393334343836300102303101A60F010D020001046D616C65010348413603384E4500010214313333205049454C4420484541544820524F4144064C4F4E444F4E01033133330001105049454C4420484541544820524F4144010B30373730303932383230320000")
        let key = RecordKey(source: "R1K", recordId: "R1K0000079")
        let record = try RecordCodec.decode(normalized, key: key)
        #expect(record.name.family == "JVHNSON" && record.name.given == "PETER")
        #expect(record.nhsNumber?.digits == "9999344860" && record.nhsNumber?.status == .verified)
        #expect(record.dateOfBirth?.date == CalendarDate(year: 1958, month: 1, day: 13))
        #expect(record.address?.street == "PIELD HEATH ROAD" && record.phone?.number == "07700928202")
        #expect(throws: RecordCodec.DecodeError.self) { try RecordCodec.decode(normalized, key: RecordKey(source: "R1K", recordId: "OTHER")) }
        // Re-encoded in the current form, it reads back the same.
        #expect(try RecordCodec.decode(RecordCodec.encode(record), key: key) == record)

        let raw = bytes(hex: "01010A12313333205069656C64204865617468205264064C6F6E646F6E0A31332F30312F313935380A52314B303030303037390C3939392039333420343836300230310E4A56484E534F4E2C2050657465720748413620384E4501310C303737303020393238323032")
        let decoded = try RawRowCodec.decode(raw, record: record)
        #expect(decoded.columnSet == 1)
        #expect(decoded.values == ["133 Pield Heath Rd", "London", "13/01/1958", "R1K0000079", "999 934 4860", "01", "JVHNSON, Peter",
                                   "HA6 8NE", "1", "07700 928202"])
    }

    @Test func malformedBytesThrowInsteadOfCrashing() {
        let key = RecordKey(source: "A", recordId: "1")
        for good in [RecordCodec.encode(NormalizedRecord(key: key)), RecordCodec.encode(everyField())] {
            #expect(throws: RecordCodec.DecodeError.self) { try RecordCodec.decode([], key: key) }
            #expect(throws: RecordCodec.DecodeError.self) { try RecordCodec.decode(Array(good.dropLast()), key: key) }
            #expect(throws: RecordCodec.DecodeError.self) { try RecordCodec.decode(good + [0], key: key) }
            #expect(throws: RecordCodec.DecodeError.self) { try RecordCodec.decode([9] + good.dropFirst(), key: key) }
            for cut in 0..<good.count { _ = try? RecordCodec.decode(Array(good.prefix(cut)), key: key) }   // never traps
            var generator = SplitMix64(seed: 7)
            for _ in 0..<2000 {   // flipped bytes: an error or some record, never a trap
                var damaged = good
                damaged[Int.random(in: 1..<damaged.count, using: &generator)] = UInt8.random(in: 0...255, using: &generator)
                _ = try? RecordCodec.decode(damaged, key: key)
            }
        }
    }
}

@Suite struct RawRowCodecTests {
    /// Rows in the four trusts' formats (as `mpi generate` writes them), with their normalised records.
    private func trustRows() -> [(values: [String], record: NormalizedRecord)] {
        var r1k = NormalizedRecord(key: RecordKey(source: "R1K", recordId: "R1K0000001"),
                                   name: PersonName(given: "DESPINA", middle: ["AMELIA"], family: "HARRIS"))
        r1k.dateOfBirth = DateOfBirth(date: CalendarDate(year: 1966, month: 3, day: 5)!)
        r1k.sex = .female
        r1k.nhsNumber = NHSNumber(validatedDigits: "9995208563", status: .verified)
        r1k.postcode = Postcode(outward: "HA2", inward: "2NX")
        r1k.address = Address(lines: ["83 CHURCH ROAD", "LONDON"], houseNumber: "83", street: "CHURCH ROAD")
        r1k.phone = PhoneNumber(number: "07700957725", isPlaceholder: false)
        var ras = NormalizedRecord(key: RecordKey(source: "RAS", recordId: "RAS-000001"), name: PersonName(given: "MIA", middle: ["ISLA"], family: "TAYLOR"))
        ras.dateOfBirth = DateOfBirth(date: CalendarDate(year: 1982, month: 6, day: 3)!)
        ras.sex = .female
        ras.postcode = Postcode(outward: "W2", inward: "6JT")
        var rqm = NormalizedRecord(key: RecordKey(source: "RQM", recordId: "RQM0000001"), name: PersonName(given: "ANDREI", family: "HARRISON"))
        rqm.dateOfBirth = DateOfBirth(date: CalendarDate(year: 1969, month: 3, day: 31)!)
        rqm.address = Address(lines: ["168 PARK ROAD"], houseNumber: "168", street: "PARK ROAD")
        var ryj = NormalizedRecord(key: RecordKey(source: "RYJ", recordId: "RYJ00000001"), name: PersonName(given: "JOSE", family: "O BRIEN"))
        ryj.postcode = Postcode(outward: "UB6", inward: "8ZY")
        return [
            (["83 Church Rd", "London", "05/03/1966", "R1K0000001", "999 520 8563", "01", "HARRIS, Despina Amelia", "HA2 2NX", "2", "07700 957725"], r1k),
            (["03-JUN-1982", "Mia Isla", "Female", "RAS-000001", "", "", "w26jt", "Taylor"], ras),
            (["19690331", "HARRISON", "M", "ANDREI", "168", "RQM0000001", "", "W6 9UG", "", "PARK ROAD"], rqm),
            (["", "José O'Brien  ", "", "RYJ00000001", "\tUB6 8ZY", "x\u{0}y", "🙂 Ω"], ryj),   // what normalising dropped must survive
        ]
    }

    @Test func rowsComeBackByteForByteAndSmaller() throws {
        for (values, record) in trustRows() {
            let encoded = RawRowCodec.encode(columnSet: 3, values: values, record: record)
            let decoded = try RawRowCodec.decode(encoded, record: record)
            #expect(decoded.columnSet == 3)
            #expect(decoded.values == values)
            let plain = values.reduce(2) { $0 + 1 + $1.utf8.count }
            #expect(encoded.count <= plain + 1, "\(record.key)")
        }
        let (r1kValues, r1k) = trustRows()[0]
        let plain = r1kValues.reduce(2) { $0 + 1 + $1.utf8.count }
        #expect(RawRowCodec.encode(columnSet: 1, values: r1kValues, record: r1k).count * 2 < plain)   // most of it is in the record
    }

    @Test func anyValuesRoundTripAgainstAnyRecord() throws {
        var generator = SplitMix64(seed: 11)
        let pieces = ["HARRIS", "harris", "Harris", "hArris", " ", ", ", "83", "Rd", "-", "é", "1966", "05", "03", "\u{0}", "999", "JUN", "Jun",
                      "LONDON", "London ", "R1K0000001", "  ", "2", "ß", "HA2", "2NX", "ha22nx"]
        for (_, record) in trustRows() {
            for _ in 0..<500 {
                let values = (0..<Int.random(in: 0...6, using: &generator)).map { _ in
                    (0..<Int.random(in: 0...5, using: &generator)).map { _ in pieces.randomElement(using: &generator)! }.joined()
                }
                let encoded = RawRowCodec.encode(columnSet: 1, values: values, record: record)
                #expect(try RawRowCodec.decode(encoded, record: record).values == values)
            }
        }
    }

    @Test func malformedRowsThrow() {
        let (values, record) = trustRows()[0]
        let good = RawRowCodec.encode(columnSet: 1, values: values, record: record)
        #expect(throws: RecordCodec.DecodeError.self) { try RawRowCodec.decode([], record: record) }
        #expect(throws: RecordCodec.DecodeError.self) { try RawRowCodec.decode(good + [0], record: record) }
        for cut in 0..<good.count { _ = try? RawRowCodec.decode(Array(good.prefix(cut)), record: record) }
        var generator = SplitMix64(seed: 5)
        for _ in 0..<2000 {
            var damaged = good
            damaged[Int.random(in: 1..<damaged.count, using: &generator)] = UInt8.random(in: 0...255, using: &generator)
            _ = try? RawRowCodec.decode(damaged, record: record)
        }
    }
}
