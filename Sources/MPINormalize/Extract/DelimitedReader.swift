/// One row of a delimited extract: its fields as raw bytes and the 1-based line it starts on.
public struct DelimitedRow: Sendable {
    public let line: Int
    public let fields: [ArraySlice<UInt8>]
}

/// A problem with the shape of a row (not of a field's value).
public struct RowProblem: Error, Sendable, Hashable {
    public let line: Int
    public let code: String
    public let message: String

    public init(line: Int, code: String, message: String) {
        self.line = line
        self.code = code
        self.message = message
    }
}

/// A run of whole rows of a delimited file: its bytes and the line its first row starts on, so that
/// the rows can be read on their own (`DelimitedReader(chunk:of:delimiter:)`) with exact line numbers.
public struct DelimitedChunk: Sendable {
    public let bytes: Range<Int>
    public let firstLine: Int
}

/// Reads CSV or TSV as RFC 4180 describes it: fields separated by the delimiter, rows by LF or CRLF,
/// double quotes around fields that hold the delimiter, quotes or line breaks ("" inside quotes is one
/// quote). Works on the file's bytes so that decoding happens per field, in the source's encoding.
public struct DelimitedReader: Sequence, IteratorProtocol {
    private let bytes: [UInt8]
    private let delimiter: UInt8
    private var position = 0
    private var line = 1

    public init(bytes: [UInt8], delimiter: UInt8 = UInt8(ascii: ",")) {
        self.bytes = bytes
        self.delimiter = delimiter
        // A UTF-8 byte-order mark is not part of the first column's name.
        if bytes.starts(with: [0xEF, 0xBB, 0xBF]) { position = 3 }
    }

    /// Reads the rows of `chunk`, a part of `file` that `nextChunk(rows:)` found, from a copy of its
    /// bytes: tasks reading chunks of one file side by side then never share a buffer's reference count.
    public init(chunk: DelimitedChunk, of file: [UInt8], delimiter: UInt8 = UInt8(ascii: ",")) {
        bytes = Array(file[chunk.bytes])
        self.delimiter = delimiter
        line = chunk.firstLine
    }

    /// The next `rows` rows (blank lines count), or fewer at the end of the file, as a chunk to read
    /// elsewhere; the reader moves past them. Only where rows end is worked out (quotes followed,
    /// line breaks counted, no field kept), exactly as `next()` reads them, so a file read chunk by
    /// chunk gives the rows, problems and line numbers that reading it whole gives. A quote left open
    /// runs the chunk to the end of the file, where its reader reports it.
    public mutating func nextChunk(rows: Int) -> DelimitedChunk? {
        guard position < bytes.count else { return nil }
        let start = position, firstLine = line
        let quote = UInt8(ascii: "\""), count = bytes.count
        var rowsPassed = 0
        bytes.withUnsafeBufferPointer { bytes in
            var index = position
            while index < count, rowsPassed < rows {
                var fieldStart = index, quoted = false, rowEnded = false
                while index < count, !rowEnded {
                    let byte = bytes[index]
                    if quoted {
                        if byte == quote {
                            if index + 1 < count, bytes[index + 1] == quote { index += 2; continue }
                            quoted = false
                            index += 1
                            while index < count, bytes[index] != delimiter, bytes[index] != 0x0A, bytes[index] != 0x0D { index += 1 }
                            if index < count, bytes[index] == delimiter { index += 1; fieldStart = index }
                            continue
                        }
                        if byte == 0x0A { line += 1 }
                        index += 1
                        continue
                    }
                    switch byte {
                    case quote where index == fieldStart:
                        quoted = true
                        index += 1
                    case delimiter:
                        index += 1
                        fieldStart = index
                    case 0x0A, 0x0D:
                        if byte == 0x0D, index + 1 < count, bytes[index + 1] == 0x0A { index += 1 }
                        index += 1
                        line += 1
                        rowEnded = true
                    default:
                        index += 1
                    }
                }
                if quoted { index = count }
                rowsPassed += 1
            }
            position = index
        }
        return DelimitedChunk(bytes: start..<position, firstLine: firstLine)
    }

    /// The next row, or a problem with it (an unterminated quote). Blank lines are skipped.
    public mutating func next() -> Result<DelimitedRow, RowProblem>? {
        while position < bytes.count {
            let startLine = line
            var fields: [ArraySlice<UInt8>] = []
            var fieldStart = position
            var quoted: [UInt8]? = nil   // set while a quoted field's text is collected
            var index = position
            var rowEnded = false
            while index < bytes.count, !rowEnded {
                let byte = bytes[index]
                if quoted != nil {
                    if byte == UInt8(ascii: "\"") {
                        if index + 1 < bytes.count, bytes[index + 1] == UInt8(ascii: "\"") {
                            quoted!.append(byte)
                            index += 2
                            continue
                        }
                        // Closing quote: the field ends at the next delimiter or line end.
                        fields.append(ArraySlice(quoted!))
                        quoted = nil
                        index += 1
                        while index < bytes.count, bytes[index] != delimiter, bytes[index] != 0x0A, bytes[index] != 0x0D {
                            index += 1   // text after a closing quote is ignored, as spreadsheets do
                        }
                        if index < bytes.count, bytes[index] == delimiter {
                            index += 1
                            fieldStart = index
                            if index == bytes.count { fields.append([]) }
                        } else {
                            fieldStart = -1   // the row ends here; the line-end branch below handles it
                        }
                        continue
                    }
                    if byte == 0x0A { line += 1 }
                    quoted!.append(byte)
                    index += 1
                    continue
                }
                switch byte {
                case UInt8(ascii: "\"") where index == fieldStart:
                    quoted = []
                    index += 1
                case delimiter:
                    fields.append(bytes[fieldStart..<index])
                    index += 1
                    fieldStart = index
                    if index == bytes.count { fields.append([]) }
                case 0x0A, 0x0D:
                    if fieldStart >= 0 { fields.append(bytes[fieldStart..<index]) }
                    if byte == 0x0D, index + 1 < bytes.count, bytes[index + 1] == 0x0A { index += 1 }
                    index += 1
                    line += 1
                    rowEnded = true
                default:
                    index += 1
                }
            }
            if quoted != nil {
                position = bytes.count
                return .failure(RowProblem(line: startLine, code: "unterminated_quote",
                                           message: "a quoted field is not closed before the end of the file"))
            }
            if !rowEnded, fieldStart >= 0, fieldStart < index { fields.append(bytes[fieldStart..<index]) }
            position = index
            if fields.isEmpty || (fields.count == 1 && fields[0].isEmpty) { continue }
            return .success(DelimitedRow(line: startLine, fields: fields))
        }
        return nil
    }
}
