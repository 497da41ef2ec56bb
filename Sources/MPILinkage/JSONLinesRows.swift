import Foundation
import MPICore
import MPINormalize

/// Rows of a JSON-lines extract: each line one object whose keys are the mapping's column names.
/// A line that is not a JSON object is a row problem with its line number; the rest go on.
struct JSONLinesRows: IteratorProtocol {
    private let lines: [ArraySlice<UInt8>]
    private let columns: [String]
    private let normalizer: RecordNormalizer
    private var index = 0

    init(bytes: [UInt8], mapping: SourceMapping, today: CalendarDate, transliterator: Transliterator, keepsRawValues: Bool = false) throws {
        lines = bytes.split(separator: 0x0A, omittingEmptySubsequences: false)
        columns = [mapping.recordId] + mapping.columns.allColumns
        normalizer = try RecordNormalizer(mapping: mapping, header: columns, today: today, transliterator: transliterator)
        normalizer.keepsRawValues = keepsRawValues
    }

    mutating func next() -> Result<NormalizedRow, RowProblem>? {
        while index < lines.count {
            let line = lines[index]
            index += 1
            guard line.contains(where: { $0 > 0x20 }) else { continue }
            guard let object = try? JSONSerialization.jsonObject(with: Data(line)) as? [String: Any] else {
                return .failure(RowProblem(line: index, code: "invalid_json", message: "the line is not a JSON object"))
            }
            let fields = columns.map { column -> String in
                switch object[column] {
                case let text as String: text
                case let number as NSNumber: number.stringValue
                default: ""
                }
            }
            return normalizer.normalize(fields: fields, line: index)
        }
        return nil
    }
}
