import Foundation
import MPINormalize

/// Writes RFC 4180 CSV to a file, buffered.
struct CSVWriter {
    private let handle: FileHandle
    private var buffer = Data()

    init(path: String, header: [String]) throws {
        guard FileManager.default.createFile(atPath: path, contents: nil), let handle = FileHandle(forWritingAtPath: path) else {
            throw CLIError("cannot write \(path)")
        }
        self.handle = handle
        write(header)
    }

    mutating func write(_ fields: [String]) {
        var line = ""
        for (index, field) in fields.enumerated() {
            if index > 0 { line += "," }
            if field.contains(where: { $0 == "," || $0 == "\"" || $0 == "\n" || $0 == "\r" }) {
                line += "\"" + field.replacingOccurrences(of: "\"", with: "\"\"") + "\""
            } else {
                line += field
            }
        }
        line += "\n"
        buffer.append(contentsOf: line.utf8)
        if buffer.count >= 1 << 20 { flush() }
    }

    private mutating func flush() {
        handle.write(buffer)
        buffer.removeAll(keepingCapacity: true)
    }

    mutating func close() throws {
        flush()
        try handle.close()
    }
}

/// Reads a CSV file with a header into rows keyed by column name.
enum CSVFile {
    static func read(_ path: String) throws -> (header: [String], rows: [[String]]) {
        guard let data = FileManager.default.contents(atPath: path) else { throw CLIError("cannot read \(path)") }
        var reader = DelimitedReader(bytes: [UInt8](data))
        guard let first = reader.next(), case .success(let headerRow) = first else { throw CLIError("\(path) has no header row") }
        let header = headerRow.fields.map { String(decoding: $0, as: UTF8.self) }
        var rows: [[String]] = []
        while let next = reader.next() {
            switch next {
            case .success(let row): rows.append(row.fields.map { String(decoding: $0, as: UTF8.self) })
            case .failure(let problem): throw CLIError("\(path) line \(problem.line): \(problem.message)")
            }
        }
        return (header, rows)
    }

    static func column(_ name: String, in header: [String], file: String) throws -> Int {
        guard let index = header.firstIndex(of: name) else { throw CLIError("\(file) has no column \"\(name)\"") }
        return index
    }
}
