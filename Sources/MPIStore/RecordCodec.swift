public import MPICore

/// Appends LEB128 lengths and length-prefixed UTF-8 to a byte array.
struct ByteWriter {
    var bytes: [UInt8] = []

    mutating func byte(_ value: UInt8) { bytes.append(value) }

    mutating func uint(_ value: Int) {
        var value = UInt64(value)
        repeat {
            var byte = UInt8(value & 0x7F)
            value >>= 7
            if value != 0 { byte |= 0x80 }
            bytes.append(byte)
        } while value != 0
    }

    mutating func text(_ value: String) { uint(value.utf8.count); bytes.append(contentsOf: value.utf8) }
    mutating func texts(_ values: [String]) { uint(values.count); for value in values { text(value) } }
}

/// Reads what `ByteWriter` wrote; every read checks its bounds and throws rather than trapping.
struct ByteReader {
    private let bytes: [UInt8]
    private var index = 0

    init(_ bytes: [UInt8]) { self.bytes = bytes }

    var isAtEnd: Bool { index == bytes.count }

    mutating func byte() throws(RecordCodec.DecodeError) -> UInt8 {
        guard index < bytes.count else { throw .malformed }
        defer { index += 1 }
        return bytes[index]
    }

    mutating func uint() throws(RecordCodec.DecodeError) -> Int {
        var value: UInt64 = 0, shift: UInt64 = 0
        while true {
            let next = try byte()
            value |= UInt64(next & 0x7F) << shift
            if next & 0x80 == 0 { return Int(truncatingIfNeeded: value) }
            shift += 7
            guard shift < 64 else { throw .malformed }
        }
    }

    /// A length-prefixed text.
    mutating func text() throws(RecordCodec.DecodeError) -> String { try text(byteCount: try uint()) }

    mutating func text(byteCount count: Int) throws(RecordCodec.DecodeError) -> String {
        String(decoding: try slice(count: count), as: UTF8.self)
    }

    mutating func slice(count: Int) throws(RecordCodec.DecodeError) -> ArraySlice<UInt8> {
        guard count >= 0, count <= bytes.count - index else { throw .malformed }
        defer { index += count }
        return bytes[index..<(index + count)]
    }

    mutating func texts() throws(RecordCodec.DecodeError) -> [String] {
        let count = try uint()
        guard count >= 0, count <= bytes.count - index else { throw .malformed }   // each text takes a byte at least
        var values: [String] = []
        for _ in 0..<count { values.append(try text()) }
        return values
    }

    mutating func optional() throws(RecordCodec.DecodeError) -> String? { try byte() == 1 ? try text() : nil }
}

/// A compact binary form of `NormalizedRecord` for the store: a version byte, then each field as
/// length-prefixed UTF-8 (LEB128 lengths) or small integers. Much smaller than JSON and much faster to
/// write and read; the postcode's sector, district and area are derived again from the unit.
public enum RecordCodec {
    /// Version 2 (this one) leaves the record key out (the row's key holds it), packs the optional
    /// fields' presence into one set of flags and writes NHS numbers, dates of birth and sex as numbers:
    /// about 60 bytes a record where version 1 took 106. Version 1 is still read.
    static let version: UInt8 = 2

    /// Which optional parts a version 2 record has.
    private struct Present: OptionSet {
        let rawValue: Int
        static let placeholder = Present(rawValue: 1 << 0)
        static let preferredGiven = Present(rawValue: 1 << 1)
        static let previousFamilyNames = Present(rawValue: 1 << 2)
        static let nhsNumber = Present(rawValue: 1 << 3)
        static let nhsStatus = Present(rawValue: 1 << 4)
        static let dateOfBirth = Present(rawValue: 1 << 5)
        static let sex = Present(rawValue: 1 << 6)
        static let postcode = Present(rawValue: 1 << 7)
        static let pseudoPostcode = Present(rawValue: 1 << 8)
        static let address = Present(rawValue: 1 << 9)
        static let houseNumber = Present(rawValue: 1 << 10)
        static let flat = Present(rawValue: 1 << 11)
        static let street = Present(rawValue: 1 << 12)
        static let phone = Present(rawValue: 1 << 13)
        static let phonePlaceholder = Present(rawValue: 1 << 14)
        static let otherFields = Present(rawValue: 1 << 15)
        static let middleNames = Present(rawValue: 1 << 16)
        static let familyParts = Present(rawValue: 1 << 17)
    }

    public static func encode(_ record: NormalizedRecord) -> [UInt8] {
        var present: Present = []
        let name = record.name
        if name.placeholder != nil { present.insert(.placeholder) }
        if !name.middle.isEmpty { present.insert(.middleNames) }
        if !name.familyParts.isEmpty { present.insert(.familyParts) }
        if record.preferredGiven != nil { present.insert(.preferredGiven) }
        if !record.previousFamilyNames.isEmpty { present.insert(.previousFamilyNames) }
        if let nhs = record.nhsNumber {
            present.insert(.nhsNumber)
            if nhs.status != nil { present.insert(.nhsStatus) }
        }
        if record.dateOfBirth != nil { present.insert(.dateOfBirth) }
        if record.sex != nil { present.insert(.sex) }
        if let postcode = record.postcode {
            present.insert(.postcode)
            if postcode.pseudo != nil { present.insert(.pseudoPostcode) }
        }
        if let address = record.address {
            present.insert(.address)
            if address.houseNumber != nil { present.insert(.houseNumber) }
            if address.flat != nil { present.insert(.flat) }
            if address.street != nil { present.insert(.street) }
        }
        if let phone = record.phone {
            present.insert(.phone)
            if phone.isPlaceholder { present.insert(.phonePlaceholder) }
        }
        if !record.otherFields.isEmpty { present.insert(.otherFields) }

        var out = ByteWriter()
        out.bytes.reserveCapacity(64)
        out.byte(version)
        out.uint(present.rawValue)
        out.text(name.given)
        if present.contains(.middleNames) { out.texts(name.middle) }
        out.text(name.family)
        if present.contains(.familyParts) { out.texts(name.familyParts) }
        if let placeholder = name.placeholder { out.text(placeholder.rawValue) }
        if let preferred = record.preferredGiven { out.text(preferred) }
        if present.contains(.previousFamilyNames) { out.texts(record.previousFamilyNames) }
        if let nhs = record.nhsNumber {
            // Ten digits as a number (leading zeros come back from the fixed width); anything else as text.
            if nhs.digits.utf8.count == 10, nhs.digits.utf8.allSatisfy({ $0 >= 0x30 && $0 <= 0x39 }), let value = Int(nhs.digits) {
                out.uint(value * 2)
            } else {
                out.uint(1)
                out.text(nhs.digits)
            }
            if let status = nhs.status { out.text(status.rawValue) }
        }
        if let dob = record.dateOfBirth {
            let precision = dob.date.precision == .day ? 2 : dob.date.precision == .month ? 1 : 0
            out.uint((((dob.date.year * 13 + dob.date.month) * 32 + dob.date.day) * 3 + precision) * 2 + (dob.isDefault ? 1 : 0))
        }
        if let sex = record.sex { out.byte(sexCode(sex)) }
        if let postcode = record.postcode {
            out.text(postcode.district)
            out.text(String(postcode.unit.dropFirst(postcode.district.count + 1)))
            if let pseudo = postcode.pseudo { out.text(pseudo.rawValue) }
        }
        if let address = record.address {
            out.texts(address.lines)
            for part in [address.houseNumber, address.flat, address.street] {
                if let part { writePart(part, of: address.lines, to: &out) }
            }
        }
        if let phone = record.phone { out.text(phone.number) }
        if present.contains(.otherFields) {
            let other = record.otherFields.sorted { $0.key < $1.key }
            out.uint(other.count)
            for (key, value) in other { out.text(key); out.text(value) }
        }
        return out.bytes
    }

    /// The house number, flat and street are usually a piece of an address line: written as the line,
    /// offset and length (odd header) rather than again (even header: the text's length, then the text).
    private static func writePart(_ part: String, of lines: [String], to out: inout ByteWriter) {
        let partBytes = Array(part.utf8)
        for (index, line) in lines.enumerated() where !partBytes.isEmpty {
            let lineBytes = Array(line.utf8)
            guard lineBytes.count >= partBytes.count else { continue }
            for offset in 0...(lineBytes.count - partBytes.count) where lineBytes[offset..<(offset + partBytes.count)].elementsEqual(partBytes) {
                out.uint(index * 2 + 1)
                out.uint(offset)
                out.uint(partBytes.count)
                return
            }
        }
        out.uint(partBytes.count * 2)
        out.bytes.append(contentsOf: partBytes)
    }

    private static func readPart(of lines: [String], from input: inout ByteReader) throws(DecodeError) -> String {
        let header = try input.uint()
        guard header % 2 == 1 else { return try input.text(byteCount: header / 2) }
        let index = header / 2, offset = try input.uint(), count = try input.uint()
        guard index < lines.count else { throw .malformed }
        let line = Array(lines[index].utf8)
        guard offset <= line.count, count <= line.count - offset else { throw .malformed }
        return String(decoding: line[offset..<(offset + count)], as: UTF8.self)
    }

    /// Stable codes for sex: an exhaustive switch, so a new case cannot be added without a code.
    private static func sexCode(_ sex: Sex) -> UInt8 {
        switch sex {
        case .male: 0
        case .female: 1
        case .indeterminate: 2
        case .other: 3
        }
    }

    private static func sex(code: UInt8) throws(DecodeError) -> Sex {
        switch code {
        case 0: .male
        case 1: .female
        case 2: .indeterminate
        case 3: .other
        default: throw .malformed
        }
    }

    public enum DecodeError: Error { case malformed }

    /// Decodes a stored record. Version 2 does not hold its key: `key` is the row's. Version 1 holds
    /// it, and must agree.
    public static func decode(_ bytes: [UInt8], key: RecordKey) throws(DecodeError) -> NormalizedRecord {
        guard let first = bytes.first else { throw .malformed }
        if first == 1 {
            let record = try decodeVersion1(bytes)
            guard record.key == key else { throw .malformed }
            return record
        }
        guard first == version else { throw .malformed }
        var input = ByteReader(bytes)
        _ = try input.byte()
        let present = Present(rawValue: try input.uint())
        var record = NormalizedRecord(key: key)
        let given = try input.text()
        let middle = present.contains(.middleNames) ? try input.texts() : []
        let family = try input.text()
        let familyParts = present.contains(.familyParts) ? try input.texts() : []
        record.name = PersonName(given: given, middle: middle, family: family, familyParts: familyParts)
        if present.contains(.placeholder) {
            guard let placeholder = PlaceholderName(rawValue: try input.text()) else { throw .malformed }
            record.name.placeholder = placeholder
        }
        if present.contains(.preferredGiven) { record.preferredGiven = try input.text() }
        if present.contains(.previousFamilyNames) { record.previousFamilyNames = try input.texts() }
        if present.contains(.nhsNumber) {
            let header = try input.uint()
            let digits: String
            if header % 2 == 0 {
                let number = String(header / 2)
                guard number.utf8.count <= 10 else { throw .malformed }
                digits = String(repeating: "0", count: 10 - number.utf8.count) + number
            } else {
                digits = try input.text()
            }
            var status: NHSNumberStatus? = nil
            if present.contains(.nhsStatus) {
                guard let known = NHSNumberStatus(rawValue: try input.text()) else { throw .malformed }
                status = known
            }
            record.nhsNumber = NHSNumber(validatedDigits: digits, status: status)
        }
        if present.contains(.dateOfBirth) {
            var packed = try input.uint()
            let isDefault = packed % 2 == 1; packed /= 2
            let precision: CalendarDate.Precision = switch packed % 3 { case 2: .day; case 1: .month; default: .year }; packed /= 3
            let day = packed % 32; packed /= 32
            let month = packed % 13, year = packed / 13
            guard let date = CalendarDate(year: year, month: month, day: day, precision: precision) else { throw .malformed }
            record.dateOfBirth = DateOfBirth(date: date, isDefault: isDefault)
        }
        if present.contains(.sex) { record.sex = try sex(code: try input.byte()) }
        if present.contains(.postcode) {
            let outward = try input.text(), inward = try input.text()
            var pseudo: PseudoPostcode? = nil
            if present.contains(.pseudoPostcode) {
                guard let known = PseudoPostcode(rawValue: try input.text()) else { throw .malformed }
                pseudo = known
            }
            record.postcode = Postcode(outward: outward, inward: inward, pseudo: pseudo)
        }
        if present.contains(.address) {
            let lines = try input.texts()
            let house = present.contains(.houseNumber) ? try readPart(of: lines, from: &input) : nil
            let flat = present.contains(.flat) ? try readPart(of: lines, from: &input) : nil
            let street = present.contains(.street) ? try readPart(of: lines, from: &input) : nil
            record.address = Address(lines: lines, houseNumber: house, flat: flat, street: street)
        }
        if present.contains(.phone) { record.phone = PhoneNumber(number: try input.text(), isPlaceholder: present.contains(.phonePlaceholder)) }
        if present.contains(.otherFields) {
            let count = try input.uint()
            guard count > 0 else { throw .malformed }
            for _ in 0..<count { record.otherFields[try input.text()] = try input.text() }
        }
        guard input.isAtEnd else { throw .malformed }
        return record
    }

    /// The first stores' form: every field in a fixed order, the key included.
    private static func decodeVersion1(_ bytes: [UInt8]) throws(DecodeError) -> NormalizedRecord {
        var input = ByteReader(bytes)
        guard try input.byte() == 1 else { throw .malformed }
        var record = NormalizedRecord(key: RecordKey(source: try input.text(), recordId: try input.text()))
        record.name = PersonName(given: try input.text(), middle: try input.texts(), family: try input.text(), familyParts: try input.texts())
        record.name.placeholder = try input.optional().flatMap(PlaceholderName.init(rawValue:))
        record.preferredGiven = try input.optional()
        record.previousFamilyNames = try input.texts()
        if try input.byte() == 1 {
            let digits = try input.text()
            record.nhsNumber = NHSNumber(validatedDigits: digits, status: try input.optional().flatMap(NHSNumberStatus.init(rawValue:)))
        }
        if try input.byte() == 1 {
            let year = try input.uint(), month = Int(try input.byte()), day = Int(try input.byte())
            let precision: CalendarDate.Precision = switch try input.byte() { case 2: .day; case 1: .month; default: .year }
            let isDefault = try input.byte() == 1
            guard let date = CalendarDate(year: year, month: month, day: day, precision: precision) else { throw .malformed }
            record.dateOfBirth = DateOfBirth(date: date, isDefault: isDefault)
        }
        record.sex = try input.optional().flatMap(Sex.init(rawValue:))
        if try input.byte() == 1 {
            let outward = try input.text(), inward = try input.text()
            record.postcode = Postcode(outward: outward, inward: inward, pseudo: try input.optional().flatMap(PseudoPostcode.init(rawValue:)))
        }
        if try input.byte() == 1 {
            record.address = Address(lines: try input.texts(), houseNumber: try input.optional(), flat: try input.optional(),
                                     street: try input.optional())
        }
        if try input.byte() == 1 { record.phone = PhoneNumber(number: try input.text(), isPlaceholder: try input.byte() == 1) }
        let otherCount = try input.uint()
        for _ in 0..<otherCount { record.otherFields[try input.text()] = try input.text() }
        guard input.isAtEnd else { throw .malformed }
        return record
    }
}
