import Foundation
import MPICore
import MPINormalize

/// Rows of a JSON-lines extract: each line one object whose keys are the mapping's column names.
/// A line that is not a JSON object is a row problem with its line number; the rest go on.
enum JSONLinesRows {
    /// The columns a line's values are laid out in for the normaliser.
    static func header(_ mapping: SourceMapping) -> [String] { [mapping.recordId] + mapping.columns.allColumns }

    /// The file's lines with their 1-based numbers; blank lines are left out.
    static func lines(of bytes: [UInt8]) -> [(number: Int, text: ArraySlice<UInt8>)] {
        bytes.split(separator: 0x0A, omittingEmptySubsequences: false).enumerated().compactMap { index, line in
            line.contains(where: { $0 > 0x20 }) ? (index + 1, line) : nil
        }
    }

    /// One line, normalised by `normalizer`, which was made with `header(mapping)`.
    static func normalize(_ line: (number: Int, text: ArraySlice<UInt8>), with normalizer: RecordNormalizer) -> Result<NormalizedRow, RowProblem> {
        guard let object = try? JSONSerialization.jsonObject(with: Data(line.text)) as? [String: Any] else {
            return .failure(RowProblem(line: line.number, code: "invalid_json", message: "the line is not a JSON object"))
        }
        let fields = header(normalizer.mapping).map { column -> String in
            switch object[column] {
            case let text as String: text
            case let number as NSNumber: number.stringValue
            default: ""
            }
        }
        return normalizer.normalize(fields: fields, line: line.number)
    }
}
