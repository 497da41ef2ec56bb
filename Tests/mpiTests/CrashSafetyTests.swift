import Foundation
import MPICore
import MPIStore
import MPISynthetic
import MPITestSupport
import Testing
@testable import mpi

/// The built `mpi` executable next to the test bundle's build products.
private func mpiExecutable() -> URL? {
    let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
    let candidates = [".build/debug/mpi", ".build/x86_64-unknown-linux-gnu/debug/mpi", ".build/aarch64-unknown-linux-gnu/debug/mpi"]
    return candidates.map { root.appendingPathComponent($0) }.first { FileManager.default.isExecutableFile(atPath: $0.path) }
}

/// Runs the `mpi` executable with output discarded, killing it with SIGKILL after `delay` seconds when given.
private func runMPI(_ executable: URL, _ arguments: [String], killAfter delay: Double? = nil) throws {
    let process = Process()
    process.executableURL = executable
    process.arguments = arguments
    process.standardOutput = FileHandle.nullDevice
    process.standardError = FileHandle.nullDevice
    try process.run()
    if let delay {
        Thread.sleep(forTimeInterval: delay)
        kill(process.processIdentifier, SIGKILL)
    }
    process.waitUntilExit()
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
            try runMPI(executable, ["import", job, "--db", db, "--actor", "crash-test"], killAfter: delay)
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

    /// The persons of a store as a partition of its records (enterprise ids themselves are random).
    private static func partition(_ store: IdentityStore) throws -> Set<Set<RecordKey>> {
        var groups: [EnterpriseID: Set<RecordKey>] = [:]
        for (key, id) in try store.memberships() { groups[id, default: []].insert(key) }
        return Set(groups.values)
    }

    /// Kills `mpi link --db` with SIGKILL at several moments: the store stays sound, the persons are
    /// either all applied or not at all (one transaction), and re-running the link gives the same
    /// persons as an uninterrupted run. Meanwhile a second process reads the store throughout and
    /// never waits long nor sees a half-applied link.
    @Test func killedLinksLeaveASoundStoreAndReadersNeverSeeHalfALink() async throws {
        let executable = try #require(mpiExecutable(), "swift test builds the mpi executable under .build")
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("crash-link-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: directory) }
        _ = try MPI.Generate.write(persons: 2_500, seed: 5, to: directory.path)
        let job = directory.appendingPathComponent("job.json").path

        func run(_ arguments: [String], killAfter delay: Double? = nil) throws {
            try runMPI(executable, arguments, killAfter: delay)
        }
        func importAndLink(_ db: String, killLinkAfter delay: Double?) throws {
            try run(["import", job, "--db", db, "--actor", "crash-test"])
            try run(["link", job, "--db", db, "--out", directory.appendingPathComponent("out-\(UUID().uuidString)").path, "--quiet"],
                    killAfter: delay)
        }

        let reference = directory.appendingPathComponent("reference.sqlite").path
        try importAndLink(reference, killLinkAfter: nil)
        let expected = try Self.partition(IdentityStore(path: reference))
        let recordCount = expected.reduce(0) { $0 + $1.count }
        #expect(recordCount > 4_000)

        var interrupted = 0
        for delay in [0.3, 1.2] {
            let db = directory.appendingPathComponent("killed-\(delay).sqlite").path
            try run(["import", job, "--db", db, "--actor", "crash-test"])
            // A reader beside the link: every read is quick and sees no persons or all of them.
            let reading = Task.detached { () -> (longest: Double, halfSeen: Bool) in
                let store = try IdentityStore(path: db)
                var longest = 0.0, halfSeen = false
                let until = Date().addingTimeInterval(delay + 0.5)
                while Date() < until {
                    let started = Date()
                    let count = try store.memberships().count
                    longest = max(longest, Date().timeIntervalSince(started))
                    if count != 0 && count != recordCount { halfSeen = true }
                    try await Task.sleep(for: .milliseconds(20))
                }
                return (longest, halfSeen)
            }
            try run(["link", job, "--db", db, "--out", directory.appendingPathComponent("out-\(delay)").path, "--quiet"], killAfter: delay)
            let reader = try await reading.value
            #expect(!reader.halfSeen, "a reader saw a half-applied link")
            #expect(reader.longest < 2.0, "a read waited \(reader.longest) s")
            let store = try IdentityStore(path: db)
            #expect(try store.integrityCheck() == "ok")
            let count = try store.memberships().count
            #expect(count == 0 || count == recordCount, "half a link after a kill at \(delay) s")
            if count == 0 { interrupted += 1 }
            try run(["link", job, "--db", db, "--out", directory.appendingPathComponent("again-\(delay)").path, "--quiet"])
            #expect(try Self.partition(IdentityStore(path: db)) == expected)
        }
        #expect(interrupted >= 2)   // the kills must really have landed mid-link
    }

    /// Kills an incremental `mpi link --db` (a second delivery linked into a linked store) at several
    /// moments: the store stays sound; the run's persons, cleared flags and review items are all there or
    /// none (one transaction); and re-running it gives the persons and review queue of an uninterrupted run.
    @Test func killedIncrementalLinksApplyAllOrNothing() async throws {
        let executable = try #require(mpiExecutable(), "swift test builds the mpi executable under .build")
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("crash-incremental-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: directory) }
        let deliveries = try TwoDeliveries(persons: 2_500, seed: 6, in: directory)
        let full = deliveries.full, first = deliveries.first
        func run(_ arguments: [String], killAfter delay: Double? = nil) throws {
            try runMPI(executable, arguments, killAfter: delay)
        }
        func link(_ db: String, killAfter delay: Double? = nil) throws {
            try run(["link", full.appendingPathComponent("job.json").path, "--db", db,
                     "--out", directory.appendingPathComponent("out-\(UUID().uuidString)").path, "--quiet"], killAfter: delay)
        }
        func reviewPairs(_ store: IdentityStore) throws -> Set<String> {
            Set(try store.reviewQueue(limit: 1_000_000).map { "\($0.left) ~ \($0.right)" })
        }

        // A store linked once, with the second delivery imported and waiting.
        let base = directory.appendingPathComponent("base.sqlite").path
        try run(["import", first.appendingPathComponent("job.json").path, "--db", base])
        try run(["link", first.appendingPathComponent("job.json").path, "--db", base, "--out", directory.appendingPathComponent("a").path, "--quiet"])
        try run(["import", full.appendingPathComponent("job.json").path, "--db", base])
        let waiting = try IdentityStore(path: base).recordsWaitingToBeLinked()
        #expect(waiting.count > 300)
        let before = try Self.partition(IdentityStore(path: base))
        let queueBefore = try reviewPairs(IdentityStore(path: base))

        let reference = directory.appendingPathComponent("reference.sqlite").path
        try IdentityStore(path: base).copy(to: reference)
        try link(reference)
        let expected = try Self.partition(IdentityStore(path: reference))
        let expectedQueue = try reviewPairs(IdentityStore(path: reference))
        #expect(expected != before && expectedQueue != queueBefore)

        var interrupted = 0
        for delay in [0.1, 0.2, 0.3, 0.45] {   // the run takes about 0.3 s in a debug build
            let db = directory.appendingPathComponent("killed-\(delay).sqlite").path
            try IdentityStore(path: base).copy(to: db)
            try link(db, killAfter: delay)
            let store = try IdentityStore(path: db)
            #expect(try store.integrityCheck() == "ok")
            let applied = try Self.partition(store), queue = try reviewPairs(store), stillWaiting = try store.recordsWaitingToBeLinked()
            if applied == before {
                #expect(queue == queueBefore && stillWaiting == waiting, "a kill at \(delay) s left part of the run")
                interrupted += 1
            } else {
                #expect(applied == expected && queue == expectedQueue && stillWaiting.isEmpty, "a kill at \(delay) s left part of the run")
            }
            try link(db)
            #expect(try Self.partition(IdentityStore(path: db)) == expected)
            #expect(try reviewPairs(IdentityStore(path: db)) == expectedQueue)
        }
        #expect(interrupted >= 1)   // at least one kill must have landed mid-run
    }
}
