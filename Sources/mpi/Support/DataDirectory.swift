import Foundation

/// Finds the reference data the program ships with (the repository's Data/ folder).
enum DataDirectory {
    /// `MPI_DATA_DIR` if set; else Data/ in the source tree this binary was built from (what
    /// `swift run` needs); else ./Data.
    static func locate() throws -> URL {
        let environment = ProcessInfo.processInfo.environment
        var candidates: [URL] = []
        if let configured = environment["MPI_DATA_DIR"] { candidates.append(URL(fileURLWithPath: configured)) }
        let sourceTree = URL(fileURLWithPath: #filePath)
            .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        candidates.append(sourceTree.appendingPathComponent("Data"))
        candidates.append(URL(fileURLWithPath: FileManager.default.currentDirectoryPath).appendingPathComponent("Data"))
        for candidate in candidates where FileManager.default.fileExists(atPath: candidate.appendingPathComponent("README.md").path) {
            return candidate
        }
        throw CLIError("cannot find the Data folder; set MPI_DATA_DIR to the folder holding forename-variants.csv")
    }
}
