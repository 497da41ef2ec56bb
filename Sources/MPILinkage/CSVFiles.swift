import Foundation
import MPINormalize

/// Writes RFC 4180 CSV to a file, buffered.
public struct CSVWriter {
    private let handle: FileHandle
    private var buffer: [UInt8] = []

    public init(path: String, header: [String]) throws {
        guard FileManager.default.createFile(atPath: path, contents: nil), let handle = FileHandle(forWritingAtPath: path) else {
            throw LinkageError("cannot write \(path)")
        }
        self.handle = handle
        buffer.reserveCapacity(1 << 20 + 4096)
        write(header)
    }

    /// One row; a field holding a comma, quote or line break is quoted, its quotes doubled.
    public mutating func write(_ fields: [String]) {
        for (index, field) in fields.enumerated() {
            if index > 0 { buffer.append(UInt8(ascii: ",")) }
            let bytes = field.utf8
            if bytes.contains(where: { $0 == UInt8(ascii: ",") || $0 == UInt8(ascii: "\"") || $0 == 0x0A || $0 == 0x0D }) {
                buffer.append(UInt8(ascii: "\""))
                for byte in bytes {
                    if byte == UInt8(ascii: "\"") { buffer.append(byte) }
                    buffer.append(byte)
                }
                buffer.append(UInt8(ascii: "\""))
            } else {
                buffer.append(contentsOf: bytes)
            }
        }
        buffer.append(0x0A)
        if buffer.count >= 1 << 20 { flush() }
    }

    private mutating func flush() {
        handle.write(Data(buffer))
        buffer.removeAll(keepingCapacity: true)
    }

    public mutating func close() throws {
        flush()
        try handle.close()
    }
}

/// Reads a CSV file with a header into rows keyed by column name.
public enum CSVFile {
    public static func read(_ path: String) throws -> (header: [String], rows: [[String]]) {
        guard let data = FileManager.default.contents(atPath: path) else { throw LinkageError("cannot read \(path)") }
        var reader = DelimitedReader(bytes: [UInt8](data))
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
