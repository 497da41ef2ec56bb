import ArgumentParser
import Foundation
import MPICore
import MPILinkage
import MPINormalize
import MPISynthetic
import Testing
@testable import mpi

private var samples: URL {
    URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        .appendingPathComponent("Data/samples")
}

@Suite struct CommandTests {
    /// A read-only command on a mistyped store path says so, and leaves no empty store behind.
    @Test(arguments: [["resolve", "--source", "R1K", "--id", "X"], ["status"], ["audit"], ["review", "list"]])
    func readingCommandsRefuseAStoreThatDoesNotExist(_ arguments: [String]) async throws {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("typo-\(UUID().uuidString).sqlite").path
        var command = try MPI.parseAsRoot(arguments + ["--db", path])
        do {
            if var asyncCommand = command as? any AsyncParsableCommand { try await asyncCommand.run() } else { try command.run() }
            Issue.record("\(arguments) ran on a store that does not exist")
        } catch {
            #expect("\(error)".contains("no identity store at"), "\(error)")
        }
        #expect(!FileManager.default.fileExists(atPath: path))
    }

    @Test func parsesNormalise() throws {
        let command = try MPI.parseAsRoot(["normalise", "job.json", "--input", "x.csv", "-o", "out.jsonl"])
        let normalise = try #require(command as? MPI.Normalise)
        #expect(normalise.mapping == "job.json")
        #expect(normalise.input == "x.csv")
        #expect(normalise.output == "out.jsonl")
        #expect(try MPI.parseAsRoot(["normalize", "job.json"]) is MPI.Normalise)
    }

    @Test func normaliseWritesOneLinePerRowAndKeepsGoing() async throws {
        let output = FileManager.default.temporaryDirectory.appendingPathComponent("normalise-\(UUID().uuidString).jsonl")
        defer { try? FileManager.default.removeItem(at: output) }
        let command = try #require(try MPI.parseAsRoot(["normalise", samples.appendingPathComponent("r1k.mapping.json").path,
                                                       "--output", output.path]) as? MPI.Normalise)
        try await command.run()
        let lines = try String(contentsOf: output, encoding: .utf8).split(separator: "\n")
        #expect(lines.count == 18)   // every data row: 17 records and one rejected row
        let objects = try lines.map { try JSONSerialization.jsonObject(with: Data($0.utf8)) as! [String: Any] }
        let first = objects[0]
        #expect(first["recordId"] as? String == "R1K0000001")
        #expect((first["name"] as? [String: Any])?["family"] as? String == "SMITH")
        #expect((first["nhsNumber"] as? [String: Any])?["verified"] as? Bool == true)
        #expect(objects.contains { $0["rowRejected"] as? String == "missing_record_id" })
        let rejected = objects.flatMap { ($0["rejections"] as? [[String: Any]]) ?? [] }
        #expect(rejected.contains { $0["field"] as? String == "nhsNumber" && $0["code"] as? String == "check_digit" })
    }

    /// Extracts are normalised in batches on several tasks while the next batches are read; with
    /// batches of one or two rows, the rows must come out as with one batch: in file order, with the
    /// same lines (a quoted line break inside a row, a blank line, a row with too few fields, an HL7
    /// message without PID) and the same counts.
    @Test func batchesGiveTheRowsOfOneBatch() async throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("batches-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        var csv = "MRN,PATIENT_NAME,DOB,SEX,NHS_NO,POSTCODE,ADDRESS_1\n"
        for row in 1...23 {
            csv += row == 7 ? "\n" : row == 11 ? "R\(row),SMITH\n" : "R\(row),\"KHAN, AISHA\",01/02/19\(50 + row),F,,HA1 3UJ,\"Flat \(row)\nHigh St\"\n"
        }
        try csv.write(to: directory.appendingPathComponent("r1k.csv"), atomically: true, encoding: .utf8)
        try #"{"code": "R1K", "path": "r1k.csv", "recordId": "MRN", "dateFormat": "dd/MM/yyyy", "columns": {"fullName": "PATIENT_NAME", "nameLayout": "familyFirst", "dateOfBirth": "DOB", "sex": "SEX", "nhsNumber": "NHS_NO", "postcode": "POSTCODE", "address": ["ADDRESS_1"]}}"#
            .write(to: directory.appendingPathComponent("r1k.mapping.json"), atomically: true, encoding: .utf8)

        try #"{"code": "RQM", "path": "\#(samples.appendingPathComponent("rqm-adt.hl7").path)", "format": "hl7"}"#
            .write(to: directory.appendingPathComponent("rqm.mapping.json"), atomically: true, encoding: .utf8)

        for mapping in [directory.appendingPathComponent("r1k.mapping.json"), directory.appendingPathComponent("rqm.mapping.json"),
                        samples.appendingPathComponent("ras.mapping.json")] {
            var outcomes: [[String]] = []
            var summaries: [ExtractNormalization.Summary] = []
            for rowsPerBatch in [1_000_000, 2, 1] {
                var job = try ExtractNormalization.load(mappingFile: mapping.path, input: nil)
                job.rowsPerBatch = rowsPerBatch
                var seen: [String] = []
                summaries.append(try await job.run(today: CalendarDate(year: 2026, month: 11, day: 28)!) { result in
                    switch result {
                    case .success(let row): seen.append("\(row.line) \(row.record.key.recordId) \(row.record.name.family)")
                    case .failure(let problem): seen.append("\(problem.line) \(problem.code)")
                    }
                })
                outcomes.append(seen)
            }
            #expect(outcomes[0].count >= 3)
            if mapping.lastPathComponent == "r1k.mapping.json" {
                // 23 rows of two lines each but for the blank line 14 and the short row on line 21.
                #expect(outcomes[0].count == 22)
                #expect(outcomes[0].contains("21 column_count"))
                #expect(outcomes[0].last == "44 R23 KHAN")
            }
            #expect(outcomes[1] == outcomes[0] && outcomes[2] == outcomes[0], "\(mapping.lastPathComponent)")
            #expect(summaries.map(\.rows) == Array(repeating: summaries[0].rows, count: 3))
            #expect(summaries.map(\.rowProblems) == Array(repeating: summaries[0].rowProblems, count: 3))
        }
    }

    @Test func windows1252SampleDecodes() async throws {
        let job = try ExtractNormalization.load(mappingFile: samples.appendingPathComponent("ras.mapping.json").path, input: nil)
        var families: [String] = []
        let summary = try await job.run(today: .today) { result in
            if case .success(let row) = result { families.append(row.record.name.family) }
        }
        #expect(summary.records == 6)
        #expect(families.contains("OBRIEN"))
        #expect(families.contains("GARCIA"))
    }

    @Test func badMappingNamesTheKey() {
        let file = FileManager.default.temporaryDirectory.appendingPathComponent("bad-\(UUID().uuidString).json")
        defer { try? FileManager.default.removeItem(at: file) }
        try? Data(#"{"code": "R1K", "columns": {"fullName": "N"}}"#.utf8).write(to: file)
        do {
            _ = try ExtractNormalization.load(mappingFile: file.path, input: "x.csv")
            Issue.record("a mapping without recordId was accepted")
        } catch {
            #expect("\(error)".contains("missing key \"recordId\""))
        }
        try? Data(#"{"code": "R1K", "recordId": "ID", "dateFormat": "dd/mm/yy", "columns": {"fullName": "N"}}"#.utf8).write(to: file)
        do {
            _ = try ExtractNormalization.load(mappingFile: file.path, input: "x.csv")
            Issue.record("an unknown date format was accepted")
        } catch {
            #expect("\(error)".contains("\"dateFormat\""))
        }
    }
}

@Suite struct JSONLinesSourceTests {
    @Test func jsonLinesExtractsNormaliseAndReportBadLines() async throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("jsonl-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        let lines = [
            #"{"id": "A1", "given": "Zoë", "family": "Müller", "dob": "1996-02-29", "nhs": 9990000026}"#,
            #"not json at all"#,
            "",
            #"{"id": "A2", "given": "John", "family": "Smith", "dob": "1970-13-01"}"#,
        ]
        try lines.joined(separator: "\n").write(to: directory.appendingPathComponent("extract.jsonl"), atomically: true, encoding: .utf8)
        try #"{"code": "JL", "path": "extract.jsonl", "format": "jsonl", "recordId": "id", "columns": {"givenName": "given", "familyName": "family", "dateOfBirth": "dob", "nhsNumber": "nhs"}}"#
            .write(to: directory.appendingPathComponent("mapping.json"), atomically: true, encoding: .utf8)
        let job = try ExtractNormalization.load(mappingFile: directory.appendingPathComponent("mapping.json").path, input: nil)
        var records: [NormalizedRecord] = []
        var problems: [RowProblem] = []
        let summary = try await job.run(today: CalendarDate(year: 2026, month: 11, day: 28)!) { result in
            switch result {
            case .success(let row): records.append(row.record)
            case .failure(let problem): problems.append(problem)
            }
        }
        #expect(summary.records == 2)
        #expect(records[0].name == PersonName(given: "ZOE", family: "MULLER"))
        #expect(records[0].nhsNumber?.digits == "9990000026")        // a JSON number is read as its digits
        #expect(records[1].dateOfBirth == nil)                         // month 13: rejected, the record kept
        #expect(problems.map(\.code) == ["invalid_json"])
        #expect(problems.map(\.line) == [2])
    }
}

@Suite struct GenerateCommandTests {
    /// A seed gives the same population on any day (figures in the docs depend on it), and --as-of moves it.
    @Test func aSeedGivesOnePopulationWhateverTheDay() throws {
        let base = FileManager.default.temporaryDirectory.appendingPathComponent("generate-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: base) }
        func files(_ asOf: CalendarDate?) throws -> [String: Data] {
            let directory = base.appendingPathComponent(asOf?.description ?? "default").path
            let population = if let asOf {
                try MPI.Generate.write(persons: 300, seed: 3, asOf: asOf, to: directory)
            } else {
                try MPI.Generate.write(persons: 300, seed: 3, to: directory)
            }
            return Dictionary(uniqueKeysWithValues: population.files.map { ($0.name, Data($0.bytes)) })
        }
        let byDefault = try files(nil)
        #expect(try files(MPI.Generate.defaultAsOf) == byDefault)
        #expect(try files(CalendarDate(year: 2020, month: 6, day: 1)!) != byDefault)
        #expect(MPI.Generate.defaultAsOf <= CalendarDate.today)   // no date of birth in the future for the normaliser

        #expect(try MPI.Generate.parseAsOf("2024-02-29") == CalendarDate(year: 2024, month: 2, day: 29))
        for bad in ["2023-02-29", "28/11/2026", "2026-11", ""] {
            #expect(throws: (any Error).self, "\(bad)") { try MPI.Generate.parseAsOf(bad) }
        }
        #expect(throws: (any Error).self) { try MPI.parseAsRoot(["generate", "--out", "x", "--as-of", "tomorrow"]) }
    }
}

@Suite struct PersonCommandTests {
    /// The issue names `mpi person show ID`; `mpi person ID` has worked since the start and still does.
    @Test func personShowAndPersonAreOneCommand() throws {
        for arguments in [["person", "show", "XN6Y-9W9K-=", "--json"], ["person", "XN6Y-9W9K-=", "--json"]] {
            let command = try #require(try MPI.parseAsRoot(arguments) as? MPI.PersonShow, "\(arguments)")
            #expect(command.enterpriseId == "XN6Y-9W9K-=" && command.json)
        }
        #expect(throws: (any Error).self) { try MPI.parseAsRoot(["person", "show"]) }
    }
}
