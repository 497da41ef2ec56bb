public import MPICore

/// A normalised row: the record and what was rejected from it (the row itself was kept).
public struct NormalizedRow: Sendable {
    public let line: Int
    public let record: NormalizedRecord
    public let rejections: [FieldRejection]
    /// The row as received (mapped columns only), when the normaliser keeps raw values.
    public var raw: [String: String] = [:]
}

/// Normalises the rows of one source's extract. Not Sendable: it owns an ICU transliterator, so
/// each worker makes its own (pass `transliterator.copy()`).
public final class RecordNormalizer {
    public let mapping: SourceMapping
    /// Keep each row's raw mapped values in `NormalizedRow.raw` (the identity store stores them).
    public var keepsRawValues = false
    private let header: [String]
    private let mappedPositions: [Int]
    private let folding: LatinFolding
    private let names: NameNormalizer
    private let addresses: AddressNormalizer
    private let dates: DateNormalizer
    private let sexes: SexNormalizer
    private let columnCount: Int
    private let recordIdIndex: Int
    /// The mapping's columns resolved to positions once, so rows are read without name lookups.
    private let at: ColumnPositions
    /// The source's null literals, upper-cased.
    private let nullValues: Set<String>
    /// The same, as UTF-8, for values checked as bytes.
    private let nullValueBytes: [[UInt8]]
    /// The longest null literal's UTF-8 length: a longer value in ASCII is not one, and is not
    /// upper-cased to find out (most values are longer than "NULL"). Upper-casing never makes a
    /// character shorter than one byte, so other text is looked up up to four times that length.
    private let longestNullValue: Int
    /// A value longer than this is damage (a runaway quote, a pasted document), not a demographic.
    public static let maximumValueLength = 1_000

    private struct ColumnPositions {
        var givenName, middleNames, familyName, fullName, preferredName, previousFamilyName: Int?
        var nhsNumber, nhsNumberStatus, dateOfBirth, sex, postcode, phone: Int?
        var address: [Int]
        var other: [(name: String, position: Int)]

        init(_ columns: SourceMapping.Columns, _ indexes: [String: Int]) {
            func position(_ name: String?) -> Int? { name.flatMap { indexes[$0] } }
            givenName = position(columns.givenName)
            middleNames = position(columns.middleNames)
            familyName = position(columns.familyName)
            fullName = position(columns.fullName)
            preferredName = position(columns.preferredName)
            previousFamilyName = position(columns.previousFamilyName)
            nhsNumber = position(columns.nhsNumber)
            nhsNumberStatus = position(columns.nhsNumberStatus)
            dateOfBirth = position(columns.dateOfBirth)
            sex = position(columns.sex)
            postcode = position(columns.postcode)
            phone = position(columns.phone)
            address = (columns.address ?? []).compactMap { indexes[$0] }
            other = (columns.other ?? [:]).sorted { $0.key < $1.key }.compactMap { name, column in
                indexes[column].map { (name, $0) }
            }
        }
    }

    /// - Throws: a rejection naming every mapped column the header lacks, or the mapping's own problems.
    public init(mapping: SourceMapping, header: [String], today: CalendarDate, transliterator: Transliterator) throws(Rejection) {
        let problems = mapping.validate()
        guard problems.isEmpty else {
            throw Rejection(.mapping, "source \(mapping.code): " + problems.joined(separator: "; "))
        }
        var indexes: [String: Int] = [:]
        for (index, name) in header.enumerated() where indexes[name] == nil {
            indexes[name.trimmingSpaces()] = index
        }
        let missing = ([mapping.recordId] + mapping.columns.allColumns).filter { indexes[$0] == nil }
        guard missing.isEmpty else {
            throw Rejection(.missingColumns, "source \(mapping.code): the header has no column named "
                + missing.map { "\"\($0)\"" }.joined(separator: ", "))
        }
        self.mapping = mapping
        self.header = header
        mappedPositions = ([mapping.recordId] + mapping.columns.allColumns).compactMap { indexes[$0] }
        at = ColumnPositions(mapping.columns, indexes)
        columnCount = header.count
        recordIdIndex = indexes[mapping.recordId]!
        folding = LatinFolding(transliterator: transliterator)
        names = NameNormalizer(folding: folding)
        addresses = AddressNormalizer(folding: folding)
        dates = DateNormalizer(format: mapping.dateFormat, today: today,
                               unknownDayDefaultsToFirstJanuary: mapping.unknownDayDefaultsToFirstJanuary)
        sexes = SexNormalizer(sourceCodes: mapping.sexCodes)
        nullValues = Set(mapping.nullValues.map { $0.uppercased() })
        nullValueBytes = nullValues.map { Array($0.utf8) }
        longestNullValue = nullValues.map(\.utf8.count).max() ?? 0
    }

    /// Decodes a field's bytes in the source's encoding.
    public func decode(_ bytes: ArraySlice<UInt8>) -> String {
        if mapping.encoding == .utf8 || bytes.allSatisfy({ $0 < 0x80 }) {
            return String(decoding: bytes, as: UTF8.self)
        }
        return TextDecoding.decode(bytes, as: mapping.encoding)
    }

    /// Only the mapped columns are decoded: a hospital's extract often carries dozens of columns no
    /// mapping names (episode, ward, consultant ...), and they stay bytes. A mapped value in plain ASCII,
    /// as nearly every one is, is trimmed and checked against the null literals as bytes, and becomes a
    /// string once, as the value the field rules read; any other value is decoded and checked as text.
    public func normalize(_ row: DelimitedRow) -> Result<NormalizedRow, RowProblem> {
        guard row.fields.count == columnCount else { return normalize(fields: row.fields.map(decode), line: row.line) }
        guard !keepsRawValues else {
            // The store keeps each mapped value as received, so those are decoded whole and checked as text.
            var fields = [String](repeating: "", count: columnCount)
            for position in mappedPositions { fields[position] = decode(row.fields[position]) }
            return normalize(fields: fields, line: row.line)
        }
        var usable = [String](repeating: "", count: columnCount)
        var rejections: [FieldRejection] = []
        for position in mappedPositions where position != recordIdIndex {
            let bytes = row.fields[position]
            usable[position] = usableASCIIValue(bytes) ?? usableValue(decode(bytes), at: position, rejections: &rejections)
        }
        return normalized(recordId: decode(row.fields[recordIdIndex]), usable: usable, rejections: rejections, fields: nil, line: row.line)
    }

    public func normalize(fields: [String], line: Int) -> Result<NormalizedRow, RowProblem> {
        guard fields.count == columnCount else {
            return .failure(RowProblem(line: line, code: "column_count",
                                       message: "the row has \(fields.count) fields, the header \(columnCount)"))
        }
        var rejections: [FieldRejection] = []
        var usable = fields
        for position in mappedPositions where position != recordIdIndex {
            usable[position] = usableValue(fields[position], at: position, rejections: &rejections)
        }
        return normalized(recordId: fields[recordIdIndex], usable: usable, rejections: rejections,
                          fields: keepsRawValues ? fields : nil, line: line)
    }

    /// A mapped value as the field rules read it: trimmed, a null literal made missing, and a value no
    /// field can hold (a NUL byte, a megabyte) rejected with its column, so that it reaches neither the
    /// normalisers nor the store.
    private func usableValue(_ raw: String, at position: Int, rejections: inout [FieldRejection]) -> String {
        let text = raw.trimmingSpaces()
        if text.utf8.count > Self.maximumValueLength {
            rejections.append(FieldRejection(field: header[position], raw: String(text.prefix(40)), code: "too_long",
                                             reason: "a value of \(text.utf8.count) bytes; at most \(Self.maximumValueLength)"))
            return ""
        }
        if text.utf8.contains(0) {
            rejections.append(FieldRejection(field: header[position], raw: text.replacingNUL, code: "nul_byte",
                                             reason: "a NUL byte inside the value"))
            return ""
        }
        if !text.isEmpty, mayBeNullValue(text), nullValues.contains(text.uppercased()) { return "" }
        return text
    }

    /// `usableValue` for a value in ASCII, worked out on the bytes (every encoding reads ASCII alike);
    /// nil for any other value, which takes the decoded path: one with bytes outside ASCII (a no-break
    /// space to trim, a letter to upper-case by Unicode's rules), a NUL, or one too long, whose
    /// rejection quotes the text.
    private func usableASCIIValue(_ bytes: ArraySlice<UInt8>) -> String? {
        var start = bytes.startIndex, end = bytes.endIndex
        while start < end, bytes[start] <= 0x20 { start += 1 }   // as `trimmingSpaces` trims
        while end > start, bytes[end - 1] <= 0x20 { end -= 1 }
        let trimmed = bytes[start..<end]
        guard trimmed.count <= Self.maximumValueLength, !trimmed.contains(where: { $0 >= 0x80 || $0 == 0 }) else { return nil }
        if !trimmed.isEmpty, trimmed.count <= longestNullValue,
           nullValueBytes.contains(where: { $0.elementsEqual(trimmed.lazy.map(Self.asciiUppercased)) }) {
            return ""
        }
        return String(decoding: trimmed, as: UTF8.self)
    }

    private static func asciiUppercased(_ byte: UInt8) -> UInt8 {
        (UInt8(ascii: "a")...UInt8(ascii: "z")).contains(byte) ? byte - 0x20 : byte
    }

    private func mayBeNullValue(_ text: String) -> Bool {
        let length = text.utf8.count
        if length <= longestNullValue { return true }
        guard length <= 4 * longestNullValue else { return false }
        var text = text
        return text.withUTF8 { bytes in bytes.contains { $0 >= 0x80 } }
    }

    /// The record from its mapped values once checked (`usableValue`). `fields`, the row as received,
    /// is kept in the row's raw values when given.
    private func normalized(recordId rawRecordId: String, usable: [String], rejections: [FieldRejection], fields: [String]?,
                            line: Int) -> Result<NormalizedRow, RowProblem> {
        let recordId = rawRecordId.trimmingSpaces()
        guard !recordId.isEmpty else {
            return .failure(RowProblem(line: line, code: "missing_record_id", message: "the record id column is empty"))
        }
        var rejections = rejections
        func value(_ position: Int?) -> String? {
            guard let position else { return nil }
            let text = usable[position]
            return text.isEmpty ? nil : text
        }
        /// Runs a field's normaliser; a rejection is recorded and the field left empty.
        func field<T>(_ name: String, _ raw: String?, _ normalize: (String) throws(Rejection) -> T?) -> T? {
            guard let raw else { return nil }
            do {
                return try normalize(raw)
            } catch {
                rejections.append(FieldRejection(field: name, raw: raw, code: error.code.rawValue, reason: error.message))
                return nil
            }
        }

        let c = at
        var record = NormalizedRecord(key: RecordKey(source: mapping.code, recordId: recordId))
        if let full = value(c.fullName) {
            record.name = names.normalize(mapping.columns.nameLayout == .givenFirst ? .givenFirst(full) : .familyFirst(full))
        } else {
            let given = [value(c.givenName), value(c.middleNames)].compactMap { $0 }.joined(separator: " ")
            record.name = names.normalize(.separate(given: given, family: value(c.familyName) ?? ""))
        }
        if let preferred = value(c.preferredName) {
            record.preferredGiven = names.normalize(.separate(given: preferred, family: "")).given
        }
        if let previous = value(c.previousFamilyName) {
            let family = names.normalize(.separate(given: "", family: previous)).family
            if !family.isEmpty { record.previousFamilyNames = [family] }
        }
        record.nhsNumber = field("nhsNumber", value(c.nhsNumber)) { raw throws(Rejection) in
            try NHSNumberNormalizer.normalize(raw, status: value(c.nhsNumberStatus))
        }
        record.dateOfBirth = field("dateOfBirth", value(c.dateOfBirth)) { raw throws(Rejection) in try dates.normalize(raw) }
        record.sex = field("sex", value(c.sex)) { raw throws(Rejection) in try sexes.normalize(raw) }
        record.postcode = field("postcode", value(c.postcode)) { raw throws(Rejection) in try PostcodeNormalizer.normalize(raw) }
        // A field may hold two numbers: the first is the phone the comparisons read, the second is kept
        // beside it as phone_2.
        let phones = field("phone", value(c.phone)) { raw throws(Rejection) in try PhoneNormalizer.normalizeAll(raw) } ?? []
        record.phone = phones.first
        if phones.count > 1 { record.otherFields["phone_2"] = phones[1].number }
        if !c.address.isEmpty {
            let address = addresses.normalize(lines: c.address.lazy.map { usable[$0] })
            if !address.lines.isEmpty { record.address = address }
        }
        for (name, position) in c.other {
            if let raw = value(position) { record.otherFields[name] = folding.fold(raw) }
        }
        var row = NormalizedRow(line: line, record: record, rejections: rejections)
        if let fields {
            for position in mappedPositions {
                row.raw[header[position]] = fields[position].utf8.count > Self.maximumValueLength ? "" : fields[position]
            }
        }
        return .success(row)
    }
}

extension String {
    /// The text with NUL bytes shown as "\\0", for a rejection's raw value.
    var replacingNUL: String { String(decoding: utf8.flatMap { $0 == 0 ? Array("\\0".utf8) : [$0] }, as: UTF8.self) }
}
