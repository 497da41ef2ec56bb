import Foundation
import MPICore
import MPIStore
import MPISynthetic
import Testing
@testable import mpi

/// The built `mpi` executable next to the test bundle's build products.
private func mpiExecutable() -> URL? {
    let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
    let candidates = [".build/debug/mpi", ".build/x86_64-unknown-linux-gnu/debug/mpi", ".build/aarch64-unknown-linux-gnu/debug/mpi"]
    return candidates.map { root.appendingPathComponent($0) }.first { FileManager.default.isExecutableFile(atPath: $0.path) }
}

@Suite(.serialized) struct CrashSafetyTests {
    /// Kills `mpi import` with SIGKILL at several moments, then checks that the store is sound, that each
    /// source is either wholly in or wholly out (one transaction per source), and that re-running the
    /// import completes to the same records as an uninterrupted run.
    @Test func killedImportsLeaveASoundStoreAndResume() async throws {
        let executable = try #require(mpiExecutable(), "swift test builds the mpi executable under .build")
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("crash-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: directory) }
        let population = try MPI.Generate.write(persons: 6_000, seed: 4, to: directory.path)
        let job = directory.appendingPathComponent("job.json").path

        func importInto(_ db: String, killAfter delay: Double?) throws {
            let process = Process()
            process.executableURL = executable
            process.arguments = ["import", job, "--db", db, "--actor", "crash-test"]
            process.standardOutput = FileHandle.nullDevice
            process.standardError = FileHandle.nullDevice
            try process.run()
            if let delay {
                Thread.sleep(forTimeInterval: delay)
                kill(process.processIdentifier, SIGKILL)
            }
            process.waitUntilExit()
        }

        let reference = directory.appendingPathComponent("reference.sqlite").path
        try importInto(reference, killAfter: nil)
        let expected = try IdentityStore(path: reference).activeRecords()
        #expect(expected.count == population.recordsPerTrust.values.reduce(0, +))

        var interrupted = 0
        for delay in [0.05, 0.2, 0.4, 0.7, 1.0] {
            let db = directory.appendingPathComponent("killed-\(delay).sqlite").path
            try importInto(db, killAfter: delay)
            let store = try IdentityStore(path: db)
            #expect(try store.integrityCheck() == "ok")
            let partial = try store.activeRecords()
            if partial.count < expected.count { interrupted += 1 }
            let bySource = Dictionary(grouping: partial, by: \.key.source).mapValues(\.count)
            for (source, count) in bySource {
                #expect(count == population.recordsPerTrust[source], "source \(source) half-imported after a kill at \(delay) s")
            }
            try importInto(db, killAfter: nil)
            let resumed = try IdentityStore(path: db).activeRecords()
            #expect(resumed == expected)
        }
        // The kills must really have landed mid-import for the test to mean anything.
        #expect(interrupted >= 2)
    }
}
