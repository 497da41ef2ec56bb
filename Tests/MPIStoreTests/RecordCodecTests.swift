import Foundation
import MPICore
import MPIStore
import Testing

@Suite struct RecordCodecTests {
    @Test func roundTripsEveryField() throws {
        var record = NormalizedRecord(key: RecordKey(source: "R1K", recordId: "R1K0000001"))
        record.name = PersonName(given: "MARYJANE", middle: ["ANN", "ZOE"], family: "SMITHJONES", familyParts: ["SMITH", "JONES"],
                                 placeholder: .unnamedNewborn)
        record.preferredGiven = "LIZ"
        record.previousFamilyNames = ["OBRIEN"]
        record.nhsNumber = NHSNumber(validatedDigits: "9434765919", status: .verified)
        record.dateOfBirth = DateOfBirth(date: CalendarDate(year: 1970, month: 3, precision: .month)!, isDefault: false)
        record.sex = .female
        record.postcode = Postcode(outward: "ZZ99", inward: "3VZ", pseudo: .noFixedAbode)
        record.address = Address(lines: ["FLAT 3 14 PIELD HEATH AVENUE", "UXBRIDGE"], houseNumber: "14", flat: "3", street: "PIELD HEATH AVENUE")
        record.phone = PhoneNumber(number: "07700900123", isPlaceholder: true)
        record.otherFields = ["nationalId": "AB12", "suburb": "HAYES"]
        #expect(try RecordCodec.decode(RecordCodec.encode(record)) == record)

        let empty = NormalizedRecord(key: RecordKey(source: "A", recordId: "é€"))
        #expect(try RecordCodec.decode(RecordCodec.encode(empty)) == empty)
    }

    @Test func isMuchSmallerThanJSON() throws {
        var record = NormalizedRecord(key: RecordKey(source: "R1K", recordId: "R1K0000001"), name: PersonName(given: "AISHA", family: "SINGH"))
        record.dateOfBirth = DateOfBirth(date: CalendarDate(year: 2000, month: 5, day: 16)!)
        record.postcode = Postcode(outward: "NW10", inward: "6GX")
        record.address = Address(lines: ["43 UXBRIDGE ROAD", "LONDON"], houseNumber: "43", street: "UXBRIDGE ROAD")
        let binary = RecordCodec.encode(record).count, json = try JSONEncoder().encode(record).count
        #expect(binary * 3 < json)
    }

    @Test func malformedBytesThrowInsteadOfCrashing() {
        let good = RecordCodec.encode(NormalizedRecord(key: RecordKey(source: "A", recordId: "1")))
        #expect(throws: RecordCodec.DecodeError.self) { try RecordCodec.decode([]) }
        #expect(throws: RecordCodec.DecodeError.self) { try RecordCodec.decode(Array(good.dropLast())) }
        #expect(throws: RecordCodec.DecodeError.self) { try RecordCodec.decode(good + [0]) }
        #expect(throws: RecordCodec.DecodeError.self) { try RecordCodec.decode([9] + good.dropFirst()) }
        for cut in 0..<good.count { _ = try? RecordCodec.decode(Array(good.prefix(cut))) }   // never traps
    }
}
