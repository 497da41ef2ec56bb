public import MPICore

/// A compact binary form of `NormalizedRecord` for the store: a version byte, then each field as
/// length-prefixed UTF-8 (LEB128 lengths) or small integers, in a fixed order. About a fifth of the
/// JSON's size and much faster to write and read; the postcode's sector, district and area are
/// derived again from the unit rather than stored.
public enum RecordCodec {
    static let version: UInt8 = 1

    public static func encode(_ record: NormalizedRecord) -> [UInt8] {
        var out: [UInt8] = [version]
        out.reserveCapacity(128)
        func uint(_ value: Int) {
            var value = UInt64(value)
            repeat {
                var byte = UInt8(value & 0x7F)
                value >>= 7
                if value != 0 { byte |= 0x80 }
                out.append(byte)
            } while value != 0
        }
        func text(_ value: String) { uint(value.utf8.count); out.append(contentsOf: value.utf8) }
        func texts(_ values: [String]) { uint(values.count); values.forEach(text) }
        func optional(_ value: String?) { if let value { out.append(1); text(value) } else { out.append(0) } }

        text(record.key.source)
        text(record.key.recordId)
        let name = record.name
        text(name.given); texts(name.middle); text(name.family); texts(name.familyParts)
        optional(name.placeholder?.rawValue)
        optional(record.preferredGiven)
        texts(record.previousFamilyNames)
        if let nhs = record.nhsNumber { out.append(1); text(nhs.digits); optional(nhs.status?.rawValue) } else { out.append(0) }
        if let dob = record.dateOfBirth {
            out.append(1)
            uint(dob.date.year); out.append(UInt8(dob.date.month)); out.append(UInt8(dob.date.day))
            out.append(dob.date.precision == .day ? 2 : dob.date.precision == .month ? 1 : 0)
            out.append(dob.isDefault ? 1 : 0)
        } else {
            out.append(0)
        }
        optional(record.sex?.rawValue)
        if let postcode = record.postcode {
            out.append(1); text(postcode.district); text(String(postcode.unit.dropFirst(postcode.district.count + 1)))
            optional(postcode.pseudo?.rawValue)
        } else {
            out.append(0)
        }
        if let address = record.address {
            out.append(1); texts(address.lines); optional(address.houseNumber); optional(address.flat); optional(address.street)
        } else {
            out.append(0)
        }
        if let phone = record.phone { out.append(1); text(phone.number); out.append(phone.isPlaceholder ? 1 : 0) } else { out.append(0) }
        let other = record.otherFields.sorted { $0.key < $1.key }
        uint(other.count)
        for (key, value) in other { text(key); text(value) }
        return out
    }

    public enum DecodeError: Error { case malformed }

    public static func decode(_ bytes: [UInt8]) throws(DecodeError) -> NormalizedRecord {
        var index = 0
        func byte() throws(DecodeError) -> UInt8 {
            guard index < bytes.count else { throw .malformed }
            defer { index += 1 }
            return bytes[index]
        }
        func uint() throws(DecodeError) -> Int {
            var value: UInt64 = 0, shift: UInt64 = 0
            while true {
                let next = try byte()
                value |= UInt64(next & 0x7F) << shift
                if next & 0x80 == 0 { return Int(value) }
                shift += 7
                guard shift < 64 else { throw .malformed }
            }
        }
        func text() throws(DecodeError) -> String {
            let count = try uint()
            guard count >= 0, index + count <= bytes.count else { throw .malformed }
            defer { index += count }
            return String(decoding: bytes[index..<(index + count)], as: UTF8.self)
        }
        func texts() throws(DecodeError) -> [String] {
            let count = try uint()
            var values: [String] = []
            for _ in 0..<count { values.append(try text()) }
            return values
        }
        func optional() throws(DecodeError) -> String? { try byte() == 1 ? try text() : nil }

        guard try byte() == version else { throw .malformed }
        var record = NormalizedRecord(key: RecordKey(source: try text(), recordId: try text()))
        record.name = PersonName(given: try text(), middle: try texts(), family: try text(), familyParts: try texts())
        record.name.placeholder = try optional().flatMap(PlaceholderName.init(rawValue:))
        record.preferredGiven = try optional()
        record.previousFamilyNames = try texts()
        if try byte() == 1 {
            let digits = try text()
            record.nhsNumber = NHSNumber(validatedDigits: digits, status: try optional().flatMap(NHSNumberStatus.init(rawValue:)))
        }
        if try byte() == 1 {
            let year = try uint(), month = Int(try byte()), day = Int(try byte())
            let precision: CalendarDate.Precision = switch try byte() { case 2: .day; case 1: .month; default: .year }
            let isDefault = try byte() == 1
            guard let date = CalendarDate(year: year, month: month, day: day, precision: precision) else { throw .malformed }
            record.dateOfBirth = DateOfBirth(date: date, isDefault: isDefault)
        }
        record.sex = try optional().flatMap(Sex.init(rawValue:))
        if try byte() == 1 {
            let outward = try text(), inward = try text()
            record.postcode = Postcode(outward: outward, inward: inward, pseudo: try optional().flatMap(PseudoPostcode.init(rawValue:)))
        }
        if try byte() == 1 {
            record.address = Address(lines: try texts(), houseNumber: try optional(), flat: try optional(), street: try optional())
        }
        if try byte() == 1 { record.phone = PhoneNumber(number: try text(), isPlaceholder: try byte() == 1) }
        let otherCount = try uint()
        for _ in 0..<otherCount { record.otherFields[try text()] = try text() }
        guard index == bytes.count else { throw .malformed }
        return record
    }

    /// A raw row's values, in the order of a column set stored once (`column_set`), as the set's id and
    /// the length-prefixed values: the column names are not repeated on every row.
    public static func encodeRawValues(columnSet: Int64, _ values: [String]) -> [UInt8] {
        var out: [UInt8] = [version]
        func uint(_ value: Int) {
            var value = UInt64(value)
            repeat {
                var byte = UInt8(value & 0x7F)
                value >>= 7
                if value != 0 { byte |= 0x80 }
                out.append(byte)
            } while value != 0
        }
        uint(Int(columnSet))
        uint(values.count)
        for value in values { uint(value.utf8.count); out.append(contentsOf: value.utf8) }
        return out
    }

    /// The inverse of `encodeRawValues`: the column set's id and the values.
    public static func decodeRawValues(_ bytes: [UInt8]) throws(DecodeError) -> (columnSet: Int64, values: [String]) {
        var index = 0
        func byte() throws(DecodeError) -> UInt8 {
            guard index < bytes.count else { throw .malformed }
            defer { index += 1 }
            return bytes[index]
        }
        func uint() throws(DecodeError) -> Int {
            var value: UInt64 = 0, shift: UInt64 = 0
            while true {
                let next = try byte()
                value |= UInt64(next & 0x7F) << shift
                if next & 0x80 == 0 { return Int(value) }
                shift += 7
                guard shift < 64 else { throw .malformed }
            }
        }
        guard try byte() == version else { throw .malformed }
        let set = Int64(try uint())
        let count = try uint()
        var values: [String] = []
        for _ in 0..<count {
            let length = try uint()
            guard index + length <= bytes.count else { throw .malformed }
            values.append(String(decoding: bytes[index..<(index + length)], as: UTF8.self))
            index += length
        }
        guard index == bytes.count else { throw .malformed }
        return (set, values)
    }
}
