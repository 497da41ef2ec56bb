public import Foundation

/// Reads the reference fixtures in Tests/Fixtures (written by Scripts/generate-reference-fixtures.py)
/// and the shipped data in Data/.
public enum Fixtures {
    public static var directory: URL {
        URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().appendingPathComponent("Fixtures")
    }

    public static var dataDirectory: URL {
        directory.deletingLastPathComponent().deletingLastPathComponent().appendingPathComponent("Data")
    }

    /// Rows of a tab-separated fixture as dictionaries keyed by the header's column names.
    public static func rows(_ name: String) throws -> [[String: String]] {
        let text = try String(contentsOf: directory.appendingPathComponent(name), encoding: .utf8)
        var lines = text.split(separator: "\n", omittingEmptySubsequences: true).map(String.init)
        let header = lines.removeFirst().split(separator: "\t", omittingEmptySubsequences: false).map(String.init)
        return lines.map { line in
            let fields = line.split(separator: "\t", omittingEmptySubsequences: false).map(String.init)
            return Dictionary(uniqueKeysWithValues: zip(header, fields))
        }
    }

    /// Text of a file in Data/.
    public static func dataFile(_ name: String) throws -> String {
        try String(contentsOf: dataDirectory.appendingPathComponent(name), encoding: .utf8)
    }
}
