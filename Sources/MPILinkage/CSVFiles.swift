import Foundation
import MPINormalize

/// CSV text (RFC 4180) built in memory a field at a time, with no `String` per row or per number:
/// a field holding a comma, quote or line break is quoted, its quotes doubled. Rows can be built in
/// parallel, one `CSVText` per task, and written in order by one `CSVWriter`.
public struct CSVText: Sendable {
    public private(set) var bytes: [UInt8] = []
    private var atRowStart = true

    public init(reservingCapacity capacity: Int = 0) {
        bytes.reserveCapacity(capacity)
    }

    public mutating func field(_ text: String) {
        var text = text
        text.withUTF8 { field(bytes: $0) }
    }

    public mutating func field(bytes value: some Collection<UInt8>) {
        separate()
        guard value.contains(where: { $0 == UInt8(ascii: ",") || $0 == UInt8(ascii: "\"") || $0 == 0x0A || $0 == 0x0D }) else {
            bytes.append(contentsOf: value)
            return
        }
        bytes.append(UInt8(ascii: "\""))
        for byte in value {
            if byte == UInt8(ascii: "\"") { bytes.append(byte) }
            bytes.append(byte)
        }
        bytes.append(UInt8(ascii: "\""))
    }

    /// A whole number in decimal, left-padded with zeros to `width` digits, after `prefix` ("P0000042").
    public mutating func field(_ number: Int, width: Int = 1, prefix: StaticString = "") {
        separate()
        prefix.withUTF8Buffer { bytes.append(contentsOf: $0) }
        NumberText.appendDecimal(number, width: width, to: &bytes)
    }

    /// A number as C's `%.6g` prints it.
    public mutating func field(sixSignificant value: Double) {
        separate()
        NumberText.appendSixSignificant(value, to: &bytes)
    }

    public mutating func endRow() {
        bytes.append(0x0A)
        atRowStart = true
    }

    /// One row of text fields.
    public mutating func row(_ fields: [String]) {
        for field in fields { self.field(field) }
        endRow()
    }

    mutating func removeAll() {
        bytes.removeAll(keepingCapacity: true)
        atRowStart = true
    }

    private mutating func separate() {
        if !atRowStart { bytes.append(UInt8(ascii: ",")) }
        atRowStart = false
    }
}

/// Writes CSV to a file through a buffer of about a megabyte.
public struct CSVWriter {
    private let handle: FileHandle
    private var buffer = CSVText(reservingCapacity: 1 << 20 + 4096)

    public init(path: String, header: [String]) throws {
        guard FileManager.default.createFile(atPath: path, contents: nil), let handle = FileHandle(forWritingAtPath: path) else {
            throw LinkageError("cannot write \(path)")
        }
        self.handle = handle
        write(header)
    }

    /// One row of text fields.
    public mutating func write(_ fields: [String]) {
        buffer.row(fields)
        flushIfFull()
    }

    /// Builds one row in the writer's own buffer: `fill` adds the fields, the writer ends the row.
    public mutating func writeRow(_ fill: (inout CSVText) -> Void) {
        fill(&buffer)
        buffer.endRow()
        flushIfFull()
    }

    /// Rows built elsewhere (by a task formatting part of a file), written as they are.
    public mutating func write(_ text: CSVText) {
        flush()
        handle.write(Data(text.bytes))
    }

    private mutating func flushIfFull() {
        if buffer.bytes.count >= 1 << 20 { flush() }
    }

    private mutating func flush() {
        guard !buffer.bytes.isEmpty else { return }
        handle.write(Data(buffer.bytes))
        buffer.removeAll()
    }

    public mutating func close() throws {
        flush()
        try handle.close()
    }
}

/// Reads a CSV file with a header into rows keyed by column name.
public enum CSVFile {
    /// A path ending in ".gz" is read through gzip (pairs.csv.gz).
    public static func read(_ path: String) throws -> (header: [String], rows: [[String]]) {
        guard let data = FileManager.default.contents(atPath: path) else { throw LinkageError("cannot read \(path)") }
        let bytes: [UInt8]
        do {
            bytes = path.hasSuffix(".gz") ? try Gzip.decompress([UInt8](data)) : [UInt8](data)
        } catch {
            throw LinkageError("\(path) is not a gzip file that can be read")
        }
        var reader = DelimitedReader(bytes: bytes)
        guard let first = reader.next(), case .success(let headerRow) = first else { throw LinkageError("\(path) has no header row") }
        let header = headerRow.fields.map { String(decoding: $0, as: UTF8.self) }
        var rows: [[String]] = []
        while let next = reader.next() {
            switch next {
            case .success(let row): rows.append(row.fields.map { String(decoding: $0, as: UTF8.self) })
            case .failure(let problem): throw LinkageError("\(path) line \(problem.line): \(problem.message)")
            }
        }
        return (header, rows)
    }

    public static func column(_ name: String, in header: [String], file: String) throws -> Int {
        guard let index = header.firstIndex(of: name) else { throw LinkageError("\(file) has no column \"\(name)\"") }
        return index
    }
}
