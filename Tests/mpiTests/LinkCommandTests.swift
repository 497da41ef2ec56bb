import ArgumentParser
import Foundation
import MPICore
import MPILinkage
import MPINormalize
import MPIStore
import MPITestSupport
import Testing
@testable import mpi
@testable import mpi

private let samples = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
    .deletingLastPathComponent().appendingPathComponent("Data/samples")

private func temporaryDirectory() -> URL {
    FileManager.default.temporaryDirectory.appendingPathComponent("mpi-test-\(UUID().uuidString)")
}

@Suite struct LinkCommandTests {
    @Test func linkWritesEveryRecordOnceAndAModelThatCanBeReused() async throws {
        let out = temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: out) }
        let job = samples.appendingPathComponent("sample.job.json").path
        let link = try #require(try MPI.parseAsRoot(["link", job, "--out", out.path, "--quiet"]) as? MPI.Link)
        try await link.run()

        let clusters = try CSVFile.read(out.appendingPathComponent("clusters.csv").path)
        #expect(clusters.header == ["source", "record_id", "person_id"])
        let keys = clusters.rows.map { "\($0[0]):\($0[1])" }
        #expect(keys.count == 25)                 // 17 R1K records (one row rejected), 6 RAS, 2 RQM from HL7 messages
        #expect(Set(keys).count == keys.count)    // each record exactly once
        let personOf = Dictionary(uniqueKeysWithValues: clusters.rows.map { ("\($0[0]):\($0[1])", $0[2]) })
        #expect(personOf["R1K:R1K0000001"] == personOf["RAS:RAS-100001"])
        #expect(personOf["R1K:R1K0000002"] == personOf["RAS:RAS-100002"])
        #expect(personOf["R1K:R1K0000002"] == personOf["RQM:RQM7000001"])   // the same patient, fed as HL7 v2
        #expect(personOf["R1K:R1K0000006"] != personOf["R1K:R1K0000014"])   // two placeholder newborns: never auto-linked

        let pairs = try CSVFile.read(out.appendingPathComponent("pairs.csv").path)
        #expect(Array(pairs.header.prefix(6)) == ["source_l", "record_id_l", "source_r", "record_id_r", "match_weight", "match_probability"])
        #expect(pairs.header.contains("level_nhs_number"))
        let rejects = try CSVFile.read(out.appendingPathComponent("rejects.csv").path)
        #expect(rejects.rows.contains { $0[4] == "missing_record_id" })
        let summary = try JSONSerialization.jsonObject(with: Data(contentsOf: out.appendingPathComponent("summary.json"))) as! [String: Any]
        #expect(summary["records"] as? Int == 25)
        #expect(rejects.rows.contains { $0[0] == "RQM" && $0[4] == "hl7_no_pid" })

        // The written model links the same way when given back.
        let again = temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: again) }
        let reuse = try #require(try MPI.parseAsRoot(["link", job, "--out", again.path, "--quiet",
                                                      "--model", out.appendingPathComponent("model.json").path]) as? MPI.Link)
        try await reuse.run()
        let reclustered = try CSVFile.read(again.appendingPathComponent("clusters.csv").path)
        #expect(reclustered.rows == clusters.rows)
    }

    /// With "compressPairs", the pairs are pairs.csv.gz (a gzip member per chunk written in parallel):
    /// the system's gzip reads it, its text is the pairs.csv an uncompressed run writes, and the
    /// commands that read pairs read it.
    @Test func compressedPairsAreTheSamePairsInGzip() async throws {
        let out = temporaryDirectory(), plain = temporaryDirectory()
        try FileManager.default.createDirectory(at: out, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: out); try? FileManager.default.removeItem(at: plain) }
        var job = try JSONSerialization.jsonObject(with: Data(contentsOf: samples.appendingPathComponent("sample.job.json"))) as! [String: Any]
        job["sources"] = (job["sources"] as! [[String: Any]]).map { source in
            var source = source
            source["path"] = samples.appendingPathComponent(source["path"] as! String).path
            return source
        }
        job["output"] = ["pairsFloor": 0, "compressPairs": true]
        let compressedJob = out.appendingPathComponent("compressed.job.json")
        try JSONSerialization.data(withJSONObject: job).write(to: compressedJob)
        job["output"] = ["pairsFloor": 0]
        let plainJob = out.appendingPathComponent("plain.job.json")
        try JSONSerialization.data(withJSONObject: job).write(to: plainJob)

        for (jobFile, folder) in [(compressedJob, out.appendingPathComponent("link")), (plainJob, plain)] {
            let link = try #require(try MPI.parseAsRoot(["link", jobFile.path, "--out", folder.path, "--quiet"]) as? MPI.Link)
            try await link.run()
        }
        let gz = out.appendingPathComponent("link/pairs.csv.gz")
        #expect(!FileManager.default.fileExists(atPath: out.appendingPathComponent("link/pairs.csv").path))
        let expected = try Data(contentsOf: plain.appendingPathComponent("pairs.csv"))
        #expect(expected.count > 300)
        let compressed = [UInt8](try Data(contentsOf: gz))
        let members = (0..<(compressed.count - 2)).filter { compressed[$0] == 0x1F && compressed[$0 + 1] == 0x8B && compressed[$0 + 2] == 8 }
        #expect(members.count >= 2)   // the header and each chunk of rows: members one after another

        let gzip = Process()
        gzip.executableURL = URL(fileURLWithPath: "/bin/gzip")
        gzip.arguments = ["-dc", gz.path]
        let output = Pipe()
        gzip.standardOutput = output
        try gzip.run()
        let unzipped = output.fileHandleForReading.readDataToEndOfFile()
        gzip.waitUntilExit()
        #expect(gzip.terminationStatus == 0)
        #expect(unzipped == expected)
        #expect(try CSVFile.read(gz.path).rows == CSVFile.read(plain.appendingPathComponent("pairs.csv").path).rows)
    }

    @Test func evaluateAgainstATruthFile() async throws {
        let out = temporaryDirectory()
        try FileManager.default.createDirectory(at: out, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: out) }
        try "source,record_id,person_id\nA,1,P1\nA,2,P1\nA,3,P2\n".write(to: out.appendingPathComponent("clusters.csv"), atomically: true, encoding: .utf8)
        try "source,record_id,true_id\nA,1,x\nA,2,y\nA,3,y\n".write(to: out.appendingPathComponent("truth.csv"), atomically: true, encoding: .utf8)
        // Records 1 and 2 linked, but two people; 2 and 3 one person, left apart. One review item asks
        // about 2 and 3 (a true match); a pairs file holds that pair and 1-3.
        try "source_l,record_id_l,source_r,record_id_r,match_weight,match_probability,reason,conflict_with\nA,2,A,3,3.0,0.9,review_band,\n"
            .write(to: out.appendingPathComponent("review.csv"), atomically: true, encoding: .utf8)
        try "source_l,record_id_l,source_r,record_id_r,match_weight,match_probability\nA,2,A,3,3.0,0.9\nA,1,A,3,-5.0,0.01\n"
            .write(to: out.appendingPathComponent("pairs.csv"), atomically: true, encoding: .utf8)
        try #"{"candidatePairs": 2}"#.write(to: out.appendingPathComponent("summary.json"), atomically: true, encoding: .utf8)
        let command = try #require(try MPI.parseAsRoot(["evaluate", "--truth", out.appendingPathComponent("truth.csv").path,
                                                        "--clusters", out.appendingPathComponent("clusters.csv").path,
                                                        "--pairs", out.appendingPathComponent("pairs.csv").path, "--json"]) as? MPI.Evaluate)
        let report = try command.measure()
        #expect(report.metrics.records == 3 && report.metrics.truePairs == 1)
        #expect(report.metrics.falseMergePairs == 1 && report.metrics.missedPairs == 1)
        #expect(report.metrics.precision == 0 && report.metrics.recall == 0)
        #expect(report.burden?.items == 1 && report.burden?.trueMatches == 1)
        #expect(report.pairsRecall?.isBlockingRecall == true && report.pairsRecall?.recall == 1)
        #expect(report.best?.f1 == 1)   // a threshold between the two scored pairs separates them
        try await command.run()
    }

    /// pairs.csv holding every candidate pair (pairsFloor 0) measures blocking; holding fewer, it says so.
    @Test func blockingRecallOnlyWhenPairsHoldsEveryCandidate() {
        let every = PairsFileRecall(truePairsHeld: 99, truePairs: 100, rows: 500, candidatePairs: 500)
        #expect(every.isBlockingRecall && abs(every.recall - 0.99) < 1e-9)
        #expect(every.line.hasPrefix("blocking recall       0.9900"))
        let floored = PairsFileRecall(truePairsHeld: 99, truePairs: 100, rows: 200, candidatePairs: 500)
        #expect(!floored.isBlockingRecall && floored.line.contains("pairsFloor 0"))
        #expect(!PairsFileRecall(truePairsHeld: 1, truePairs: 1, rows: 1, candidatePairs: nil).isBlockingRecall)
    }

    @Test(arguments: [
        (#"{"sources": [], "thresold": {}}"#, "unknown key \"thresold\""),
        (#"{"sources": []}"#, "sources: a job needs at least one source"),
        (#"{"sources": [{"code": "A", "recordId": "ID", "columns": {"fullName": "N"}}], "blocking": {"rules": ["surname & shoe_size"]}}"#,
         "unknown blocking key \"shoe_size\""),
        (#"{"sources": [{"code": "A", "recordId": "ID", "columns": {"fullName": "N"}}], "thresholds": {"autoLink": 0.5, "review": 0.9}}"#,
         "thresholds: need 0 < review <= autoLink < 1"),
        (#"{"sources": [{"code": "A", "recordId": "ID", "columns": {"fullName": "N"}}], "comparisons": ["surname", "star_sign"]}"#,
         "unknown comparison \"star_sign\""),
        (#"{"sources": [{"code": "A", "recordId": "ID", "columns": {"fulName": "N"}}]}"#, "unknown key \"sources[0].columns.fulName\""),
        (#"{"sources": [{"code": "A", "recordId": "ID", "columns": {"fullName": "N"}}], "training": {"rules": ["surname"]}, "comparisons": ["surname"]}"#,
         "every rule blocks on surname"),
        (#"{"sources": [{"code": "A", "recordId": "ID", "columns": {"fullName": "N"}}, {"code": "A", "recordId": "ID", "columns": {"fullName": "N"}}]}"#,
         "a second feed in one identifier domain needs a \"feed\" name"),
        (#"{"sources": [{"code": "A", "feed": "A-PAS", "recordId": "ID", "columns": {"fullName": "N"}}, {"code": "B", "feed": "A", "recordId": "ID", "columns": {"fullName": "N"}}]}"#,
         "\"A\" is another source's code"),
    ])
    func badJobFilesSayWhatIsWrong(json: String, expected: String) throws {
        let file = FileManager.default.temporaryDirectory.appendingPathComponent("job-\(UUID().uuidString).json")
        defer { try? FileManager.default.removeItem(at: file) }
        try json.write(to: file, atomically: true, encoding: .utf8)
        do {
            _ = try JobFile.load(file.path)
            Issue.record("accepted a bad job")
        } catch {
            #expect("\(error)".contains(expected), "\(error)")
        }
    }
}

@Suite struct StoreCommandTests {
    @Test func importLinkRelinkResolve() async throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("store-cmd-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        let db = directory.appendingPathComponent("mpi.sqlite").path
        let job = samples.appendingPathComponent("sample.job.json").path
        for _ in 0..<2 {   // the second import changes nothing
            let command = try #require(try MPI.parseAsRoot(["import", job, "--db", db, "--full", "--actor", "test"]) as? MPI.Import)
            try await command.run()
        }
        let first = try #require(try MPI.parseAsRoot(["link", job, "--db", db, "--out", directory.appendingPathComponent("a").path,
                                                      "--quiet"]) as? MPI.Link)
        try await first.run()
        let second = try #require(try MPI.parseAsRoot(["link", job, "--db", db, "--out", directory.appendingPathComponent("b").path,
                                                       "--quiet"]) as? MPI.Link)
        try await second.run()
        let a = try CSVFile.read(directory.appendingPathComponent("a/clusters.csv").path)
        let b = try CSVFile.read(directory.appendingPathComponent("b/clusters.csv").path)
        #expect(a.rows == b.rows)                                         // re-linking unchanged data changes no id
        #expect(a.rows.count == 25)
        #expect(a.rows.allSatisfy { EnterpriseID($0[2]) != nil })         // enterprise ids with valid check symbols
        let byKey = Dictionary(uniqueKeysWithValues: a.rows.map { ("\($0[0]):\($0[1])", $0[2]) })
        #expect(byKey["R1K:R1K0000002"] == byKey["RQM:RQM7000001"])

        let store = try IdentityStore(path: db)
        let resolution = try #require(try store.resolve(source: "RQM", recordId: "RQM7000001", actor: "test"))
        #expect(resolution.enterpriseId == byKey["RQM:RQM7000001"])
        #expect(resolution.nhsNumbers == ["9990000018"])
        #expect(try store.integrityCheck() == "ok")
        #expect(try store.auditTrail().filter { $0.action == "import" }.count == 6)   // three sources, twice

        // `mpi relink --db` re-trains and re-links every record with the store's last settings: no job needed.
        func relink(_ arguments: [String]) async throws {
            let command = try #require(try MPI.parseAsRoot(["relink"] + arguments) as? MPI.Relink)
            try await command.run()
        }
        try await relink(["--db", db, "--out", directory.appendingPathComponent("c").path, "--quiet", "--actor", "steward"])
        try await relink([job, "--db", db, "--out", directory.appendingPathComponent("d").path, "--quiet"])
        for folder in ["c", "d"] {
            #expect(try CSVFile.read(directory.appendingPathComponent("\(folder)/clusters.csv").path).rows == a.rows, "\(folder)")
        }
        let relinks = try store.auditTrail().filter { $0.action == "link" && $0.actor == "steward" }
        #expect(relinks.count == 1)
        let id = try #require(EnterpriseID(byKey["R1K:R1K0000002"] ?? ""))
        #expect(try store.history(id).map(\.reason) == ["mpi link \(job)"])   // minted by the first run, kept since

        let unlinked = directory.appendingPathComponent("unlinked.sqlite").path
        _ = try IdentityStore(path: unlinked)
        await #expect(throws: (any Error).self) { try await relink(["--db", unlinked, "--out", directory.appendingPathComponent("e").path]) }
    }
}

/// Hillingdon's PAS extract and its emergency department's HL7 feed both carry RAS hospital numbers:
/// one identifier domain, two feeds.
@Suite struct TwoFeedsInOneDomainTests {
    /// The sample RAS extract beside an ED feed of two A04s: the first reuses a PAS hospital number
    /// (the same registration), the second is a new ED registration of a patient the PAS already holds.
    private func writeJob(in directory: URL) throws -> String {
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        try FileManager.default.copyItem(at: samples.appendingPathComponent("ras-patients.tsv"),
                                         to: directory.appendingPathComponent("ras-patients.tsv"))
        let messages = [
            ["MSH|^~\\&|SYMPHONY|RAS|MPI|NWL|20261207031500||ADT^A04^ADT_A01|ED0001|P|2.5.1", "EVN|A04|20261207031500",
             "PID|1||RAS-100001^^^RAS^MR||SMITH^JOHN||19700321|M|||^^^^HA1 3UJ"],
            ["MSH|^~\\&|SYMPHONY|RAS|MPI|NWL|20261207031700||ADT^A04^ADT_A01|ED0002|P|2.5.1", "EVN|A04|20261207031700",
             "PID|1||RAS-900001^^^RAS^MR~9434765919^^^NHS^NH||SMITH^JOHN||19700321|M|||^^^^HA1 3UJ"],
        ]
        try messages.map { $0.joined(separator: "\r") + "\r" }.joined(separator: "\n")
            .write(to: directory.appendingPathComponent("ras-ed.hl7"), atomically: true, encoding: .utf8)
        let job = """
        {"sources": [
          {"code": "RAS", "path": "ras-patients.tsv", "format": "tsv", "encoding": "windows-1252", "recordId": "HOSP_NO",
           "columns": {"givenName": "FORENAMES", "familyName": "SURNAME", "dateOfBirth": "BIRTH_DATE", "sex": "GENDER",
                       "nhsNumber": "NHS_NUMBER", "postcode": "POST_CODE", "phone": "PHONE"},
           "dateFormat": "dd-MMM-yyyy"},
          {"code": "RAS", "feed": "RAS-ED", "path": "ras-ed.hl7", "format": "hl7"}
        ]}
        """
        let path = directory.appendingPathComponent("job.json").path
        try job.write(toFile: path, atomically: true, encoding: .utf8)
        return path
    }

    @Test func theSecondFeedsRecordsAreTheDomainsRecords() async throws {
        let directory = temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let job = try writeJob(in: directory)
        let out = directory.appendingPathComponent("out")
        let link = try #require(try MPI.parseAsRoot(["link", job, "--out", out.path, "--quiet"]) as? MPI.Link)
        try await link.run()

        let clusters = try CSVFile.read(out.appendingPathComponent("clusters.csv").path)
        let personOf = Dictionary(uniqueKeysWithValues: clusters.rows.map { ("\($0[0]):\($0[1])", $0[2]) })
        #expect(clusters.rows.count == 7)                                      // six PAS records and the new ED registration
        #expect(personOf["RAS:RAS-900001"] == personOf["RAS:RAS-100001"])      // the ED registration joins the PAS one
        let rejects = try CSVFile.read(out.appendingPathComponent("rejects.csv").path)
        let reused = rejects.rows.filter { $0[4] == "same_registration" }
        #expect(reused.count == 1)
        #expect(reused.first?[0] == "RAS-ED" && reused.first?[2] == "RAS-100001" && Int(reused.first?[1] ?? "") ?? 0 > 0)
        let summary = try JSONSerialization.jsonObject(with: Data(contentsOf: out.appendingPathComponent("summary.json"))) as! [String: Any]
        #expect((summary["rowsPerSource"] as? [String: Int])?["RAS-ED"] == 2)

        // In the store both feeds are the RAS domain: the ED registration resolves by its RAS hospital number,
        // and a full re-import of both feeds deactivates nothing.
        let db = directory.appendingPathComponent("mpi.sqlite").path
        for _ in 0..<2 {
            let command = try #require(try MPI.parseAsRoot(["import", job, "--db", db, "--full", "--actor", "test"]) as? MPI.Import)
            try await command.run()
        }
        let linkStore = try #require(try MPI.parseAsRoot(["link", job, "--db", db, "--out", directory.appendingPathComponent("db").path,
                                                          "--quiet"]) as? MPI.Link)
        try await linkStore.run()
        let store = try IdentityStore(path: db)
        let resolution = try #require(try store.resolve(source: "RAS", recordId: "RAS-900001", actor: "test"))
        #expect(resolution.records.contains(RecordKey(source: "RAS", recordId: "RAS-100001")))
        #expect(try store.auditTrail().filter { $0.action == "import" }.count == 2)   // one domain, one transaction per import
    }
}

@Suite struct ReviewCommandTests {
    @Test func decisionsAreHonouredByLaterRuns() async throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("review-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        let db = directory.appendingPathComponent("mpi.sqlite").path
        let job = samples.appendingPathComponent("sample.job.json").path
        func link(_ name: String) async throws -> [String: String] {
            let command = try #require(try MPI.parseAsRoot(["link", job, "--db", db, "--out", directory.appendingPathComponent(name).path,
                                                            "--quiet"]) as? MPI.Link)
            try await command.run()
            let clusters = try CSVFile.read(directory.appendingPathComponent("\(name)/clusters.csv").path)
            return Dictionary(uniqueKeysWithValues: clusters.rows.map { ("\($0[0]):\($0[1])", $0[2]) })
        }
        try await (try #require(try MPI.parseAsRoot(["import", job, "--db", db]) as? MPI.Import)).run()
        let before = try await link("a")
        #expect(before["R1K:R1K0000003"] != before["RAS:RAS-100004"])       // held for review: conflicting forenames

        let store = try IdentityStore(path: db)
        let queue = try store.reviewQueue()
        let item = try #require(queue.first { $0.left.recordId == "R1K0000003" || $0.right.recordId == "R1K0000003" })
        try await (try #require(try MPI.parseAsRoot(["review", "decide", String(item.id), "link", "--reason", "same person; Liz is her known-as name",
                                                     "--steward", "a.steward", "--db", db]) as? MPI.Review.Decide)).run()
        // A steward also separates two records the model links.
        try store.decide(RecordKey(source: "R1K", recordId: "R1K0000001"), RecordKey(source: "RAS", recordId: "RAS-100001"), .unlink,
                         reason: "test of an unlink", steward: "a.steward")

        let after = try await link("b")
        #expect(after["R1K:R1K0000003"] == after["RAS:RAS-100004"])         // linked by the steward: kept together
        #expect(after["R1K:R1K0000001"] != after["RAS:RAS-100001"])         // unlinked: never re-merged
        #expect(after["R1K:R1K0000002"] == before["R1K:R1K0000002"])        // others keep their ids
        #expect(try store.reviewQueue().allSatisfy { $0.id != item.id })     // decided items leave the queue
        #expect(try store.auditTrail().contains { $0.action == "decide" && $0.actor == "a.steward" })
    }
}

@Suite struct SearchCommandTests {
    @Test func searchRanksThePersonAndAuditsWithoutDemographics() async throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("search-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        let db = directory.appendingPathComponent("mpi.sqlite").path
        let job = samples.appendingPathComponent("sample.job.json").path
        try await (try #require(try MPI.parseAsRoot(["import", job, "--db", db]) as? MPI.Import)).run()
        let link = try #require(try MPI.parseAsRoot(["link", job, "--db", db, "--out", directory.appendingPathComponent("out").path, "--quiet"]) as? MPI.Link)
        try await link.run()
        let search = try #require(try MPI.parseAsRoot(["search", "--job", job, "--db", db, "--given", "Siobhán", "--family", "O'Brien",
                                                      "--dob", "1985-11-02", "--json"]) as? MPI.Search)
        try await search.run()
        let store = try IdentityStore(path: db)
        let audit = try #require(try store.auditTrail().last)
        #expect(audit.action == "search")
        let expected = try #require(try store.resolve(source: "R1K", recordId: "R1K0000002", actor: "test"))
        #expect(audit.detail.contains(expected.enterpriseId))
        #expect(!audit.detail.uppercased().contains("BRIEN"))
        #expect(!audit.detail.contains("1985"))
        #expect(throws: (any Error).self) { try MPI.parseAsRoot(["search", "--job", job]) }   // no demographics given
    }
}

@Suite struct IncrementalLinkTests {
    /// New records arrive after a first link: the second `mpi link --db` links only them, against
    /// everything already there, with the stored model; no record already linked changes person, and a
    /// re-run with nothing new changes nothing.
    @Test func newRecordsJoinWithoutMovingExistingOnes() async throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("incremental-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: directory) }
        let deliveries = try TwoDeliveries(persons: 1_500, seed: 8, in: directory)
        let full = deliveries.full, first = deliveries.first

        let db = directory.appendingPathComponent("mpi.sqlite").path
        func importAndLink(_ folder: URL, _ out: String) async throws -> [String: String] {
            try await (try #require(try MPI.parseAsRoot(["import", folder.appendingPathComponent("job.json").path, "--db", db]) as? MPI.Import)).run()
            let link = try #require(try MPI.parseAsRoot(["link", folder.appendingPathComponent("job.json").path, "--db", db,
                                                         "--out", directory.appendingPathComponent(out).path, "--quiet"]) as? MPI.Link)
            try await link.run()
            let clusters = try CSVFile.read(directory.appendingPathComponent("\(out)/clusters.csv").path)
            return Dictionary(uniqueKeysWithValues: clusters.rows.map { ("\($0[0]):\($0[1])", $0[2]) })
        }
        let before = try await importAndLink(first, "a")
        let after = try await importAndLink(full, "b")
        #expect(after.count > before.count)
        for (key, id) in before { #expect(after[key] == id, "\(key) moved from \(id) to \(after[key] ?? "nothing")") }

        // The new records were linked: most of them joined an existing person.
        let newKeys = Set(after.keys).subtracting(before.keys)
        let joined = newKeys.filter { key in Set(before.values).contains(after[key]!) }
        #expect(Double(joined.count) / Double(newKeys.count) > 0.3)

        let store = try IdentityStore(path: db)
        #expect(try store.recordsWaitingToBeLinked().isEmpty)
        // Both runs stored every record's link keys, so the next run scans instead of recomputing.
        var withoutKeys = 0, scanned = 0
        try store.scanLinkKeys { bytes, _ in
            scanned += 1
            if bytes == nil { withoutKeys += 1 }
        }
        #expect(scanned == after.count && withoutKeys == 0)
        let again = try await importAndLink(full, "c")
        #expect(again == after)
        #expect(try store.integrityCheck() == "ok")
    }
}
