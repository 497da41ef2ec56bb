import Foundation
import MPICore
public import MPINormalize

/// Loads and checks a linkage job file: unknown keys, wrong types and inconsistent settings are
/// reported with the key's path before anything is read.
public enum JobFile {
    static let sourceKeys = SourceMapping.jsonKeys
    static let sectionKeys: [String: Set<String>] = [
        "blocking": ["rules", "maximumBlockSize"],
        "thresholds": ["autoLink", "review", "maximumClusterSize"],
        "training": ["uSampleSize", "seed", "rules", "maximumIterations", "maximumPairsPerPass"],
        "output": ["pairsFloor", "compressPairs"],
    ]

    public static func load(_ path: String) throws -> LinkageJob {
        guard let data = FileManager.default.contents(atPath: path) else { throw LinkageError("cannot read the job file \(path)") }
        let object: Any
        do {
            object = try JSONSerialization.jsonObject(with: data)
        } catch {
            throw LinkageError("\(path): not valid JSON")
        }
        guard let top = object as? [String: Any] else { throw LinkageError("\(path): the job must be a JSON object") }
        var problems = unknownKeys(top, allowed: Set(LinkageJob.topLevelKeys), at: "")
        for (section, allowed) in sectionKeys {
            if let value = top[section] as? [String: Any] { problems += unknownKeys(value, allowed: allowed, at: section + ".") }
        }
        if let sources = top["sources"] as? [[String: Any]] {
            for (index, source) in sources.enumerated() {
                problems += unknownKeys(source, allowed: sourceKeys, at: "sources[\(index)].")
                if let columns = source["columns"] as? [String: Any] {
                    let allowed: Set<String> = ["givenName", "middleNames", "familyName", "fullName", "nameLayout", "preferredName",
                                                "previousFamilyName", "nhsNumber", "nhsNumberStatus", "dateOfBirth", "sex",
                                                "postcode", "address", "phone", "other"]
                    problems += unknownKeys(columns, allowed: allowed, at: "sources[\(index)].columns.")
                }
            }
        }
        guard problems.isEmpty else { throw LinkageError("\(path):\n  " + problems.joined(separator: "\n  ")) }
        let job: LinkageJob
        do {
            job = try JSONDecoder().decode(LinkageJob.self, from: data)
        } catch let error as DecodingError {
            throw LinkageError("\(path): \(error.keyPathDescription)")
        }
        let invalid = job.validate()
        guard invalid.isEmpty else { throw LinkageError("\(path):\n  " + invalid.joined(separator: "\n  ")) }
        return job
    }

    private static func unknownKeys(_ object: [String: Any], allowed: Set<String>, at prefix: String) -> [String] {
        object.keys.sorted().filter { !allowed.contains($0) }.map {
            "unknown key \"\(prefix)\($0)\" (expected one of: \(allowed.sorted().joined(separator: ", ")))"
        }
    }
}

extension LinkRun {
    /// A source's extract: its path as the job gives it, relative to the job's folder (whether or not
    /// `jobDirectory` was written with a trailing slash; `URL(relativeTo:)` alone would resolve against
    /// the folder's parent without one).
    static func extract(_ path: String, in jobDirectory: URL) -> URL {
        URL(fileURLWithPath: path, relativeTo: URL(fileURLWithPath: jobDirectory.path, isDirectory: true))
    }
}
