public import Foundation
public import MPINormalize

/// The reference data the program ships with: the repository's Data/ folder (Data/README.md says where
/// each file comes from).
public enum ReferenceData {
    /// `MPI_DATA_DIR` if set; else Data/ in the source tree this binary was built from (what
    /// `swift run` needs); else ./Data.
    public static func directory() throws -> URL {
        let environment = ProcessInfo.processInfo.environment
        var candidates: [URL] = []
        if let configured = environment["MPI_DATA_DIR"] { candidates.append(URL(fileURLWithPath: configured)) }
        // This file is Sources/MPILinkage/ReferenceData.swift: three folders up is the source tree.
        let sourceTree = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        candidates.append(sourceTree.appendingPathComponent("Data"))
        candidates.append(URL(fileURLWithPath: FileManager.default.currentDirectoryPath).appendingPathComponent("Data"))
        for candidate in candidates where FileManager.default.fileExists(atPath: candidate.appendingPathComponent("README.md").path) {
            return candidate
        }
        throw LinkageError("cannot find the Data folder; set MPI_DATA_DIR to the folder holding forename-variants.csv")
    }

    /// The forename nickname and variant groups (Data/forename-variants.csv).
    public static func forenameVariants() throws -> ForenameVariants {
        let url = try directory().appendingPathComponent("forename-variants.csv")
        guard let text = try? String(contentsOf: url, encoding: .utf8) else { throw LinkageError("cannot read \(url.path)") }
        return try ForenameVariants(csv: text)
    }

    /// A record builder with the shipped forename variants: what every run and the service build with.
    public static func matchRecordBuilder() throws -> MatchRecordBuilder {
        MatchRecordBuilder(variants: try forenameVariants())
    }
}
