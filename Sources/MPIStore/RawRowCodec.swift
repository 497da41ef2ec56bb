package import MPICore

/// A raw row as received, stored as what it adds to the record's normalised form.
///
/// Most of a raw value is already in the normalised record, in another case or order: "HARRIS,
/// Despina" is the family name, a comma and the given name in title case; "999 520 8563" is the NHS
/// number in three pieces; the record id is the row's key. So each value is stored either as its text
/// or, when shorter, as a sequence of items, each a reference to a word of the record's vocabulary
/// (in upper, lower or title case, optionally followed by a space) or a literal piece. The row comes
/// back byte for byte: an encoding is kept only after decoding it gives the value again.
///
/// The vocabulary is derived from the key and the normalised record (`Vocabulary`); a stored row
/// depends on it, so changing it needs a new version byte. For the same reason a record's raw row and
/// normalised form are always written together: a normalised record rewritten alone would leave its
/// raw row unreadable.
package enum RawRowCodec {
    /// Version 1 was the values as plain length-prefixed text.
    static let version: UInt8 = 2

    package static func encode(columnSet: Int64, values: [String], record: NormalizedRecord) -> [UInt8] {
        encode(columnSet: columnSet, body: encodeBody(values: values, record: record))
    }

    /// A row from its column set and its encoded values (`encodeBody`), which can be made first, apart.
    package static func encode(columnSet: Int64, body: [UInt8]) -> [UInt8] {
        var out = ByteWriter()
        out.bytes.reserveCapacity(body.count + 4)
        out.byte(version)
        out.uint(Int(columnSet))
        out.bytes.append(contentsOf: body)
        return out.bytes
    }

    /// The values, without the version and column set.
    package static func encodeBody(values: [String], record: NormalizedRecord) -> [UInt8] {
        var out = ByteWriter()
        out.bytes.reserveCapacity(48)
        out.uint(values.count)
        var vocabulary: Vocabulary? = nil
        for value in values {
            let bytes = Array(value.utf8)
            if bytes.isEmpty { out.uint(0); continue }
            if vocabulary == nil { vocabulary = Vocabulary(of: record) }
            if let items = encodeItems(bytes, vocabulary!), items.count < bytes.count + 1,
               (try? decodeItems(items, vocabulary!)) == bytes {
                out.bytes.append(contentsOf: items)
            } else {
                out.uint(bytes.count * 2)
                out.bytes.append(contentsOf: bytes)
            }
        }
        return out.bytes
    }

    package static func decode(_ bytes: [UInt8], record: NormalizedRecord) throws(RecordCodec.DecodeError) -> (columnSet: Int64, values: [String]) {
        guard let first = bytes.first else { throw .malformed }
        if first == 1 { return try decodeVersion1(bytes) }
        guard first == version else { throw .malformed }
        var input = ByteReader(bytes)
        _ = try input.byte()
        let columnSet = Int64(try input.uint())
        let count = try input.uint()
        guard count <= bytes.count else { throw .malformed }
        var vocabulary: Vocabulary? = nil
        var values: [String] = []
        values.reserveCapacity(count)
        for _ in 0..<count {
            let header = try input.uint()
            if header % 2 == 0 {
                values.append(try input.text(byteCount: header / 2))
                continue
            }
            if vocabulary == nil { vocabulary = Vocabulary(of: record) }
            var value: [UInt8] = []
            for _ in 0..<(header / 2) { try readItem(from: &input, vocabulary!, into: &value) }
            values.append(String(decoding: value, as: UTF8.self))
        }
        guard input.isAtEnd else { throw .malformed }
        return (columnSet, values)
    }

    /// The first raw form: the column set's id and the values as text.
    private static func decodeVersion1(_ bytes: [UInt8]) throws(RecordCodec.DecodeError) -> (columnSet: Int64, values: [String]) {
        var input = ByteReader(bytes)
        guard try input.byte() == 1 else { throw .malformed }
        let set = Int64(try input.uint())
        let values = try input.texts()
        guard input.isAtEnd else { throw .malformed }
        return (set, values)
    }

    // MARK: items

    /// An item starts with a tag byte: its top two bits say what it is (a word as it is, in lower case,
    /// in title case, or a literal), the next bit that a space follows it, and the low five bits its
    /// argument (the word's index, or the literal's length, its bytes following). An argument of 31 or
    /// more is written as 31 and the rest as LEB128, so the first 31 words cost one byte.
    enum Kind: UInt8 {
        case word = 0, lowerWord, titleWord, literal
    }

    private static func writeTag(_ kind: Kind, spaced: Bool, argument: Int, to out: inout ByteWriter) {
        let small = min(argument, 31)
        out.byte(kind.rawValue << 6 | (spaced ? 0x20 : 0) | UInt8(small))
        if small == 31 { out.uint(argument - 31) }
    }

    /// The value as a header (odd: the item count) and items, or nil when no word of the vocabulary occurs.
    private static func encodeItems(_ value: [UInt8], _ vocabulary: Vocabulary) -> [UInt8]? {
        var items = ByteWriter()
        var itemCount = 0, matched = false
        var literalStart: Int? = nil
        func flushLiteral(upTo end: Int) {
            guard let start = literalStart else { return }
            writeTag(.literal, spaced: false, argument: end - start, to: &items)
            items.bytes.append(contentsOf: value[start..<end])
            itemCount += 1
            literalStart = nil
        }
        var index = 0
        while index < value.count {
            var end = index
            while end < value.count, isWordByte(value[end]) { end += 1 }
            if end > index, let (word, caseKind) = vocabulary.find(value[index..<end]) {
                flushLiteral(upTo: index)
                let spaced = end < value.count && value[end] == 0x20
                writeTag(caseKind, spaced: spaced, argument: word, to: &items)
                itemCount += 1
                matched = true
                index = spaced ? end + 1 : end
                continue
            }
            if literalStart == nil { literalStart = index }
            // A word not in the vocabulary, or a run of other bytes, stays literal.
            if end > index { index = end } else { while index < value.count, !isWordByte(value[index]) { index += 1 } }
        }
        flushLiteral(upTo: value.count)
        guard matched else { return nil }
        var out = ByteWriter()
        out.uint(itemCount * 2 + 1)
        out.bytes.append(contentsOf: items.bytes)
        return out.bytes
    }

    private static func decodeItems(_ encoded: [UInt8], _ vocabulary: Vocabulary) throws(RecordCodec.DecodeError) -> [UInt8] {
        var input = ByteReader(encoded)
        let header = try input.uint()
        guard header % 2 == 1 else { throw .malformed }
        var value: [UInt8] = []
        for _ in 0..<(header / 2) { try readItem(from: &input, vocabulary, into: &value) }
        guard input.isAtEnd else { throw .malformed }
        return value
    }

    private static func readItem(from input: inout ByteReader, _ vocabulary: Vocabulary, into value: inout [UInt8]) throws(RecordCodec.DecodeError) {
        let tag = try input.byte()
        let kind = Kind(rawValue: tag >> 6)!
        var argument = Int(tag & 0x1F)
        if argument == 31 {
            let rest = try input.uint()
            guard rest >= 0, rest < Int.max - 31 else { throw .malformed }
            argument += rest
        }
        if kind == .literal {
            value.append(contentsOf: try input.slice(count: argument))
        } else {
            guard argument < vocabulary.count else { throw .malformed }
            for (offset, byte) in vocabulary[argument].enumerated() {
                let lower = kind == .lowerWord || (kind == .titleWord && offset > 0)
                value.append(lower ? lowercased(byte) : byte)
            }
        }
        if tag & 0x20 != 0 { value.append(0x20) }
    }

    static func isWordByte(_ byte: UInt8) -> Bool {
        (byte >= 0x30 && byte <= 0x39) || (byte >= 0x41 && byte <= 0x5A) || (byte >= 0x61 && byte <= 0x7A)
    }

    private static func lowercased(_ byte: UInt8) -> UInt8 { byte >= 0x41 && byte <= 0x5A ? byte + 32 : byte }

    // MARK: vocabulary

    /// The words a raw row is likely to repeat, from the record's key and normalised fields: upper-case
    /// ASCII letters and digits (normalised text is upper-case ASCII), in a fixed order, each once.
    struct Vocabulary {
        private var storage: [UInt8] = []
        private var ranges: [Range<Int>] = []

        var count: Int { ranges.count }
        subscript(index: Int) -> ArraySlice<UInt8> { storage[ranges[index]] }

        init(of record: NormalizedRecord) {
            storage.reserveCapacity(160)
            ranges.reserveCapacity(40)
            add(record.key.recordId)
            let name = record.name
            add(name.family); add(name.given)
            for part in name.middle { add(part) }
            for part in name.familyParts { add(part) }
            if let preferred = record.preferredGiven { add(preferred) }
            for previous in record.previousFamilyNames { add(previous) }
            if let dob = record.dateOfBirth?.date {
                add(Self.padded(dob.day)); add(Self.padded(dob.month)); add(String(dob.year))
                if (1...12).contains(dob.month) { add(Self.monthAbbreviations[dob.month - 1]) }
                add(String(dob.year) + Self.padded(dob.month) + Self.padded(dob.day))
                add(String(dob.day)); add(String(dob.month))
            }
            switch record.sex {
            case .male?: add("M"); add("MALE"); add("1")
            case .female?: add("F"); add("FEMALE"); add("2")
            default: break
            }
            if let nhs = record.nhsNumber {
                add(nhs.digits)
                let digits = Array(nhs.digits.utf8)
                if digits.count == 10 { add(digits[0..<3]); add(digits[3..<6]); add(digits[6..<10]) }
                if let status = nhs.status { add(status.rawValue) }
            }
            if let postcode = record.postcode {
                add(postcode.district)
                let inward = String(postcode.unit.dropFirst(postcode.district.count + 1))
                add(inward); add(postcode.district + inward)
            }
            if let address = record.address {
                for line in address.lines { add(line) }
                if let house = address.houseNumber { add(house) }
                if let flat = address.flat { add(flat) }
            }
            if let phone = record.phone {
                add(phone.number)
                let digits = Array(phone.number.utf8)
                if digits.count == 11 { add(digits[0..<5]); add(digits[5..<11]) }
            }
        }

        private static let monthAbbreviations = ["JAN", "FEB", "MAR", "APR", "MAY", "JUN", "JUL", "AUG", "SEP", "OCT", "NOV", "DEC"]
        private static func padded(_ value: Int) -> String { value < 10 ? "0\(value)" : String(value) }

        /// Adds each word (run of ASCII letters and digits) of `text` not already present.
        private mutating func add(_ text: String) { add(Array(text.utf8)[...]) }

        private mutating func add(_ text: ArraySlice<UInt8>) {
            var index = text.startIndex
            while index < text.endIndex {
                while index < text.endIndex, !RawRowCodec.isWordByte(text[index]) { index += 1 }
                let start = index
                while index < text.endIndex, RawRowCodec.isWordByte(text[index]) { index += 1 }
                guard index > start else { continue }
                let word = text[start..<index]
                if ranges.contains(where: { $0.count == word.count && storage[$0].elementsEqual(word) }) { continue }
                let begin = storage.count
                storage.append(contentsOf: word)
                ranges.append(begin..<storage.count)
            }
        }

        /// The first word that `token` spells, and how: as it is, in lower case or in title case.
        func find(_ token: ArraySlice<UInt8>) -> (Int, Kind)? {
            for (index, range) in ranges.enumerated() where range.count == token.count {
                let word = storage[range]
                if word.elementsEqual(token) { return (index, .word) }
                var lower = true, title = true
                for (offset, (w, t)) in zip(word, token).enumerated() {
                    let lowered = RawRowCodec.lowercased(w)
                    if t != lowered { lower = false }
                    if offset == 0 ? t != w : t != lowered { title = false }
                    if !lower && !title { break }
                }
                if lower { return (index, .lowerWord) }
                if title { return (index, .titleWord) }
            }
            return nil
        }
    }
}
