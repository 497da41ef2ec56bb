import Foundation
import MPICore
import MPISynthetic
import Testing

private func generate(persons: Int, seed: UInt64) -> GeneratedPopulation {
    var generator = PopulationGenerator(settings: PopulationSettings(persons: persons, seed: seed,
                                                                     today: CalendarDate(year: 2026, month: 11, day: 28)!))
    return generator.generate()
}

private func text(_ population: GeneratedPopulation, _ name: String) -> String {
    String(decoding: population.files.first { $0.name == name }!.bytes, as: UTF8.self)
}

@Suite struct GeneratorTests {
    @Test func truthHasEveryRecordOnceWithUniqueIdsPerTrust() {
        let population = generate(persons: 2_000, seed: 3)
        let truthRows = text(population, "truth.csv").split(separator: "\n").dropFirst().map { $0.split(separator: ",").map(String.init) }
        let keys = truthRows.map { $0[0] + ":" + $0[1] }
        #expect(Set(keys).count == keys.count)
        #expect(keys.count == population.recordsPerTrust.values.reduce(0, +))
        // Every extract row is in the truth, under its trust.
        for (code, file, separator) in [("R1K", "r1k.csv", ","), ("RAS", "ras.tsv", "\t"), ("RYJ", "ryj.csv", ","), ("RQM", "rqm.csv", ",")] {
            let ids = text(population, file).split(whereSeparator: \.isNewline).dropFirst()
                .map { String($0.split(separator: Character(separator), omittingEmptySubsequences: false)[0]) }
            #expect(ids.count == population.recordsPerTrust[code])
            #expect(Set(ids).count == ids.count)
            #expect(Set(ids.map { code + ":" + $0 }).isSubset(of: Set(keys)))
        }
        // Every person appears at least once.
        #expect(Set(truthRows.map { $0[2] }).count == population.persons)
    }

    /// Hillingdon's ED feed is a second feed of the RAS domain: most attendances under the PAS number,
    /// some under a new number from the same range, which only the truth ties to its person.
    @Test func theRealisticProfileHasAnEmergencyFeedInHillingdonsDomain() throws {
        var generator = PopulationGenerator(settings: PopulationSettings(persons: 3_000, seed: 5, today: CalendarDate(year: 2026, month: 11, day: 28)!,
                                                                         profile: .realistic))
        let population = generator.generate()
        let pas = Set(text(population, "ras.tsv").split(whereSeparator: \.isNewline).dropFirst().map { String($0.split(separator: "\t")[0]) })
        let feedIds = text(population, "ras-ed.hl7").split(separator: "\r").filter { $0.hasPrefix("PID|") }.map { segment in
            String(segment.split(separator: "|", omittingEmptySubsequences: false)[3].split(separator: "~")[0].split(separator: "^")[0])
        }
        let issued = feedIds.filter { !pas.contains($0) }
        #expect(feedIds.count > 50)
        #expect(issued.count > 0 && issued.count < feedIds.count / 2)
        #expect(Set(issued).count == issued.count)
        #expect(pas.count + issued.count == population.recordsPerTrust["RAS"])
        let truth = Set(text(population, "truth.csv").split(separator: "\n").map { $0.split(separator: ",").prefix(2).joined(separator: ":") })
        #expect(issued.allSatisfy { truth.contains("RAS:" + $0) })
        let job = try #require(try JSONSerialization.jsonObject(with: Data(text(population, "job.json").utf8)) as? [String: Any])
        let feeds = (job["sources"] as? [[String: Any]] ?? []).filter { $0["code"] as? String == "RAS" }
        #expect(feeds.map { $0["feed"] as? String } == [nil, "RAS-ED"])
    }

    @Test func deterministicForASeed() {
        let first = generate(persons: 500, seed: 11), second = generate(persons: 500, seed: 11), other = generate(persons: 500, seed: 12)
        #expect(first.files.map(\.bytes) == second.files.map(\.bytes))
        #expect(first.files.map(\.bytes) != other.files.map(\.bytes))
    }

    @Test func nhsNumbersAreInTheTestRange() {
        let population = generate(persons: 300, seed: 5)
        let numbers = text(population, "rqm.csv").split(separator: "\n").dropFirst()
            .map { $0.split(separator: ",", omittingEmptySubsequences: false)[5] }.filter { !$0.isEmpty }
        #expect(!numbers.isEmpty)
        #expect(numbers.allSatisfy { $0.hasPrefix("999") && $0.count == 10 })
    }
}
