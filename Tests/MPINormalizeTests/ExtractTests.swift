@testable import MPICore
@testable import MPINormalize
import Testing

@Suite struct DelimitedReaderTests {
    private func rows(_ text: String, delimiter: Character = ",") -> [Result<[String], RowProblem>] {
        var reader = DelimitedReader(bytes: Array(text.utf8), delimiter: UInt8(ascii: delimiter.unicodeScalars.first!))
        var rows: [Result<[String], RowProblem>] = []
        while let row = reader.next() {
            rows.append(row.map { $0.fields.map { String(decoding: $0, as: UTF8.self) } })
        }
        return rows
    }

    private func values(_ text: String, delimiter: Character = ",") -> [[String]] {
        rows(text, delimiter: delimiter).compactMap { try? $0.get() }
    }

    @Test func plainRowsWithLFAndCRLF() {
        #expect(values("a,b,c\n1,2,3\n") == [["a", "b", "c"], ["1", "2", "3"]])
        #expect(values("a,b\r\n1,2\r\n") == [["a", "b"], ["1", "2"]])
        #expect(values("a,b\n1,2") == [["a", "b"], ["1", "2"]])   // no final line break
    }

    @Test func emptyFields() {
        #expect(values("a,,c\n,,\n") == [["a", "", "c"], ["", "", ""]])
        #expect(values("a,b,\n") == [["a", "b", ""]])
        #expect(values("a,b,") == [["a", "b", ""]])
    }

    @Test func quotedFields() {
        #expect(values("\"SMITH, John\",1\n") == [["SMITH, John", "1"]])
        #expect(values("\"say \"\"hi\"\"\",2\n") == [["say \"hi\"", "2"]])
        #expect(values("\"line\nbreak\",3\n4,5\n") == [["line\nbreak", "3"], ["4", "5"]])
        #expect(values("\"a\",\"\"\n") == [["a", ""]])
        #expect(values("x,\"a\"") == [["x", "a"]])
        #expect(values("O\"Brien,1\n") == [["O\"Brien", "1"]])   // a quote inside a field is text
    }

    @Test func lineNumbersCountBreaksInsideQuotes() {
        var reader = DelimitedReader(bytes: Array("h\n\"a\nb\"\nc\n".utf8))
        var lines: [Int] = []
        while let row = reader.next() { lines.append(try! row.get().line) }
        #expect(lines == [1, 2, 4])
    }

    @Test func blankLinesSkippedAndBOMDropped() {
        #expect(values("\u{FEFF}id,name\n\n1,A\n\n") == [["id", "name"], ["1", "A"]])
    }

    @Test func tabSeparated() {
        #expect(values("a\tb\n1\t2, with comma\n", delimiter: "\t") == [["a", "b"], ["1", "2, with comma"]])
    }

    @Test func unterminatedQuoteIsAProblemNotACrash() {
        let all = rows("a,b\n1,\"never closed\n2,3\n")
        #expect(all.count == 2)
        guard case .failure(let problem) = all[1] else { Issue.record("expected a problem"); return }
        #expect(problem.code == "unterminated_quote")
        #expect(problem.line == 2)
    }

    /// A row as the tests compare it: line, fields, or the problem.
    private func described(_ row: Result<DelimitedRow, RowProblem>) -> String {
        switch row {
        case .success(let row): "\(row.line): " + row.fields.map { "[" + String(decoding: $0, as: UTF8.self) + "]" }.joined()
        case .failure(let problem): "\(problem.line): \(problem.code)"
        }
    }

    /// Reading a file chunk by chunk, as the linkage does on several tasks, must give exactly the rows,
    /// problems and line numbers that reading it whole gives: over random text made of the bytes that
    /// matter (quotes, delimiters, LF, CR, a doubled quote), with chunks of one, two and three rows.
    @Test func chunksReadAsTheWholeFileReads() {
        var generator = SplitMix64(seed: 16)
        let pieces = ["a", "b", ",", "\"", "\"\"", "\n", "\r", "\r\n", " ", "\t"]
        var files = ["h\n\"a\nb\"\nc\n", "x\r\ny\rz\n\n\nw", "a,\"b\"c,d\n1,\"open\n2,3\n", "\u{FEFF}id\n1\n"]
        for _ in 0..<2_000 {
            files.append((0..<Int.random(in: 0...40, using: &generator)).map { _ in pieces.randomElement(using: &generator)! }.joined())
        }
        for file in files {
            let bytes = Array(file.utf8)
            for delimiter in [UInt8(ascii: ","), UInt8(ascii: "\t")] {
                let whole = DelimitedReader(bytes: bytes, delimiter: delimiter)
                let expected = Array(whole.map(described))
                for rowsPerChunk in 1...3 {
                    var reader = DelimitedReader(bytes: bytes, delimiter: delimiter)
                    var read: [String] = []
                    if let header = reader.next() { read.append(described(header)) }
                    while let chunk = reader.nextChunk(rows: rowsPerChunk) {
                        read += DelimitedReader(chunk: chunk, of: bytes, delimiter: delimiter).map(described)
                    }
                    #expect(read == expected, "\(file.debugDescription), \(rowsPerChunk) rows a chunk")
                }
            }
        }
    }
}

@Suite struct RecordNormalizerTests {
    let today = CalendarDate(year: 2026, month: 11, day: 28)!
    let mapping = SourceMapping(
        code: "R1K", recordId: "MRN",
        columns: .init(fullName: "NAME", nameLayout: .familyFirst, nhsNumber: "NHS", dateOfBirth: "DOB", sex: "SEX",
                       postcode: "PC", other: ["nationalId": "NID"]),
        dateFormat: .dayMonthYearSlash)
    let header = ["MRN", "NAME", "NHS", "DOB", "SEX", "PC", "NID"]

    private func normalizer() throws -> RecordNormalizer {
        try RecordNormalizer(mapping: mapping, header: header, today: today, transliterator: Transliterator())
    }

    /// "BABY OF AISHA" KHAN and the child's later record meet in a date-of-birth-and-surname block: the
    /// newborn's surname is real. An unidentified patient's "UNKNOWN MALE" is no surname, and the name
    /// comparisons of both placeholders stay null.
    @Test func anUnnamedNewbornsSurnameIsABlockingKey() throws {
        let builder = MatchRecordBuilder(variants: ForenameVariants(groups: [:]))
        func record(_ name: String, _ dob: String) throws -> MatchRecord {
            builder.build(try normalizer().normalize(fields: ["X", name, "", dob, "2", "", ""], line: 2).get().record)
        }
        let baby = try record("KHAN, Baby of Aisha", "02/11/2026"), child = try record("KHAN, Zara", "02/11/2026")
        let unknown = try record("UNKNOWN MALE, Unknown", "01/01/1980")
        let surname = BlockingKey.surnameMetaphone
        #expect(baby.isPlaceholder && unknown.isPlaceholder)
        #expect(!surname.values(baby).isEmpty && surname.values(baby) == surname.values(child))
        #expect(BlockingKey.dateOfBirth.values(baby) == BlockingKey.dateOfBirth.values(child))
        #expect(surname.values(unknown).isEmpty)
        #expect(ComparisonKind.surname.level(baby, child) == 0)
    }

    /// A CSV row's values in plain ASCII are checked as bytes, others as decoded text: both must make the
    /// same record and rejections as checking every value as text, in each encoding, for values built
    /// from spaces, tabs, no-break spaces, null literals in any case, NUL bytes, letters outside ASCII
    /// and values too long to keep.
    @Test func valuesCheckedAsBytesReadAsValuesCheckedAsText() throws {
        var generator = SplitMix64(seed: 17)
        let pieces = ["SMITH", "john", " ", "\t", "\u{A0}", "null", "NULL", "n/a", "N/A", "-", "\0", "Zoë", "Ø", "ß",
                      "21/03/1970", "943 476 5919", "1", "F", "ha1 3uj", "O'BRIEN", ",", String(repeating: "X", count: 600)]
        for encoding in [TextEncoding.utf8, .windows1252, .latin1] {
            var mapping = self.mapping
            mapping.encoding = encoding
            let normalizer = try RecordNormalizer(mapping: mapping, header: header, today: today, transliterator: Transliterator())
            for _ in 0..<3_000 {
                let values = (0..<header.count).map { _ in
                    (0..<Int.random(in: 0...3, using: &generator)).map { _ in pieces.randomElement(using: &generator)! }.joined()
                }
                let line = values.map { "\"" + $0 + "\"" }.joined(separator: ",")
                let bytes: [UInt8] = encoding == .utf8 ? Array(line.utf8)
                    : line.unicodeScalars.map { TextDecoding.windows1252Byte($0) ?? UInt8(ascii: "?") }
                var reader = DelimitedReader(bytes: bytes)
                guard case .success(let row) = reader.next() else { Issue.record("unreadable: \(line.debugDescription)"); continue }
                let asText = normalizer.normalize(fields: row.fields.map(normalizer.decode), line: row.line)
                let asBytes = normalizer.normalize(row)
                switch (asText, asBytes) {
                case (.success(let text), .success(let bytes)):
                    #expect(bytes.record == text.record, "\(encoding): \(line.debugDescription)")
                    #expect(bytes.rejections == text.rejections, "\(encoding): \(line.debugDescription)")
                case (.failure(let text), .failure(let bytes)):
                    #expect(bytes == text)
                default:
                    Issue.record("\(encoding): one path read \(line.debugDescription), the other did not")
                }
            }
        }
    }

    @Test func goodRow() throws {
        let row = try normalizer().normalize(fields: ["X1", "SMITH, John", "943 476 5919", "21/03/1970", "1", "ha1 3uj", "ab-12"], line: 2).get()
        #expect(row.rejections.isEmpty)
        #expect(row.record.key == RecordKey(source: "R1K", recordId: "X1"))
        #expect(row.record.name == PersonName(given: "JOHN", family: "SMITH"))
        #expect(row.record.nhsNumber?.digits == "9434765919")
        #expect(row.record.dateOfBirth?.date == CalendarDate(year: 1970, month: 3, day: 21))
        #expect(row.record.sex == .male)
        #expect(row.record.postcode?.unit == "HA1 3UJ")
        #expect(row.record.otherFields == ["nationalId": "AB-12"])
    }

    @Test func badFieldsAreRejectedOneByOneAndTheRowIsKept() throws {
        let row = try normalizer().normalize(fields: ["X2", "SMITH, John", "9434765918", "31/04/1975", "7", "Q1 1AA", ""], line: 3).get()
        #expect(row.record.name.family == "SMITH")
        #expect(row.record.nhsNumber == nil && row.record.dateOfBirth == nil && row.record.sex == nil && row.record.postcode == nil)
        #expect(row.rejections.map(\.field) == ["nhsNumber", "dateOfBirth", "sex", "postcode"])
        #expect(row.rejections.map(\.code) == ["check_digit", "impossible_date", "unmapped_code", "format"])
        #expect(row.rejections[0].raw == "9434765918")
    }

    /// Hillingdon-style extracts write NULL (or null, N/A, -) for a missing value: missing, not rejected.
    @Test func nullLiteralsAreMissingValues() throws {
        let row = try normalizer().normalize(fields: ["X5", "SMITH, John", "NULL", "21/03/1970", "null", "N/A", "-"], line: 6).get()
        #expect(row.rejections.isEmpty)
        #expect(row.record.nhsNumber == nil && row.record.sex == nil && row.record.postcode == nil && row.record.otherFields.isEmpty)
        var strict = mapping
        strict.nullValues = []
        let rejected = try RecordNormalizer(mapping: strict, header: header, today: today, transliterator: Transliterator())
            .normalize(fields: ["X5", "SMITH, John", "NULL", "21/03/1970", "1", "", ""], line: 6).get()
        #expect(rejected.rejections.map(\.field) == ["nhsNumber"])
    }

    /// A NUL byte or a value of megabytes is damage: the value is rejected with its column and line,
    /// the rest of the row is kept.
    @Test func nulBytesAndHugeValuesAreRejected() throws {
        let huge = String(repeating: "A", count: 2_000_000)
        let row = try normalizer().normalize(fields: ["X6", "SMITH, Jo\u{0}hn", "943 476 5919", "21/03/1970", "1", "HA1 3UJ", huge],
                                             line: 7).get()
        #expect(row.line == 7)
        #expect(row.rejections.map(\.code) == ["nul_byte", "too_long"])
        #expect(row.rejections.map(\.field) == ["NAME", "NID"])
        #expect(row.record.nhsNumber?.digits == "9434765919")
        #expect(row.record.otherFields.isEmpty)
    }

    @Test func bothNumbersOfAPhoneFieldAreKept() throws {
        let withPhone = SourceMapping(code: "RAS", recordId: "ID", columns: .init(givenName: "G", familyName: "F", phone: "TEL"))
        let normalizer = try RecordNormalizer(mapping: withPhone, header: ["ID", "G", "F", "TEL"], today: today,
                                              transliterator: Transliterator())
        let row = try normalizer.normalize(fields: ["1", "Ann", "Lee", "020 8123 4567 / 07700 900123"], line: 2).get()
        #expect(row.rejections.isEmpty)
        #expect(row.record.phone?.number == "02081234567")
        #expect(row.record.otherFields["phone_2"] == "07700900123")
    }

    @Test func rowProblems() throws {
        let normalizer = try normalizer()
        guard case .failure(let short) = normalizer.normalize(fields: ["X3", "SMITH, John"], line: 4) else {
            Issue.record("a short row was accepted"); return
        }
        #expect(short.code == "column_count")
        #expect(short.line == 4)
        guard case .failure(let noId) = normalizer.normalize(fields: [" ", "A, B", "", "", "", "", ""], line: 5) else {
            Issue.record("a row without id was accepted"); return
        }
        #expect(noId.code == "missing_record_id")
    }

    @Test func missingColumnsAreNamed() {
        do {
            _ = try RecordNormalizer(mapping: mapping, header: ["MRN", "NAME"], today: today, transliterator: Transliterator())
            Issue.record("accepted a header without mapped columns")
        } catch {
            #expect(error.code == .missingColumns)
            #expect(error.message.contains("\"NHS\""))
            #expect(error.message.contains("\"DOB\""))
        }
    }

    @Test func inconsistentMappingIsRejected() {
        var both = mapping
        both.columns.givenName = "GIVEN"
        #expect(both.validate().contains { $0.hasPrefix("columns.fullName") })
        var none = mapping
        none.columns.fullName = nil
        #expect(none.validate().contains { $0.hasPrefix("columns:") })
    }
}
