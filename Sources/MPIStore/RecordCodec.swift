public import MPICore

/// A compact binary form of `NormalizedRecord` for the store: a version byte, then each field as
/// length-prefixed UTF-8 (LEB128 lengths) or small integers, in a fixed order. About a fifth of the
/// JSON's size and much faster to write and read; the postcode's sector, district and area are
/// derived again from the unit rather than stored.
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
    mutating func optional(_ value: String?) { if let value { byte(1); text(value) } else { byte(0) } }
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

    mutating func text() throws(RecordCodec.DecodeError) -> String {
        let count = try uint()
        guard count >= 0, count <= bytes.count - index else { throw .malformed }
        defer { index += count }
        return String(decoding: bytes[index..<(index + count)], as: UTF8.self)
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

public enum RecordCodec {
    static let version: UInt8 = 1

    public static func encode(_ record: NormalizedRecord) -> [UInt8] {
        var out = ByteWriter()
        out.bytes.reserveCapacity(128)
        out.byte(version)
        out.text(record.key.source)
        out.text(record.key.recordId)
        let name = record.name
        out.text(name.given); out.texts(name.middle); out.text(name.family); out.texts(name.familyParts)
        out.optional(name.placeholder?.rawValue)
        out.optional(record.preferredGiven)
        out.texts(record.previousFamilyNames)
        if let nhs = record.nhsNumber { out.byte(1); out.text(nhs.digits); out.optional(nhs.status?.rawValue) } else { out.byte(0) }
        if let dob = record.dateOfBirth {
            out.byte(1)
            out.uint(dob.date.year); out.byte(UInt8(dob.date.month)); out.byte(UInt8(dob.date.day))
            out.byte(dob.date.precision == .day ? 2 : dob.date.precision == .month ? 1 : 0)
            out.byte(dob.isDefault ? 1 : 0)
        } else {
            out.byte(0)
        }
        out.optional(record.sex?.rawValue)
        if let postcode = record.postcode {
            out.byte(1); out.text(postcode.district); out.text(String(postcode.unit.dropFirst(postcode.district.count + 1)))
            out.optional(postcode.pseudo?.rawValue)
        } else {
            out.byte(0)
        }
        if let address = record.address {
            out.byte(1); out.texts(address.lines); out.optional(address.houseNumber); out.optional(address.flat); out.optional(address.street)
        } else {
            out.byte(0)
        }
        if let phone = record.phone { out.byte(1); out.text(phone.number); out.byte(phone.isPlaceholder ? 1 : 0) } else { out.byte(0) }
        let other = record.otherFields.sorted { $0.key < $1.key }
        out.uint(other.count)
        for (key, value) in other { out.text(key); out.text(value) }
        return out.bytes
    }

    public enum DecodeError: Error { case malformed }

    public static func decode(_ bytes: [UInt8]) throws(DecodeError) -> NormalizedRecord {
        var input = ByteReader(bytes)
        guard try input.byte() == version else { throw .malformed }
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

    /// A raw row's values, in the order of a column set stored once (`column_set`), as the set's id and
    /// the length-prefixed values: the column names are not repeated on every row.
    public static func encodeRawValues(columnSet: Int64, _ values: [String]) -> [UInt8] {
        var out = ByteWriter()
        out.byte(version)
        out.uint(Int(columnSet))
        out.texts(values)
        return out.bytes
    }

    /// The inverse of `encodeRawValues`: the column set's id and the values.
    public static func decodeRawValues(_ bytes: [UInt8]) throws(DecodeError) -> (columnSet: Int64, values: [String]) {
        var input = ByteReader(bytes)
        guard try input.byte() == version else { throw .malformed }
        let set = Int64(try input.uint())
        let values = try input.texts()
        guard input.isAtEnd else { throw .malformed }
        return (set, values)
    }
}
