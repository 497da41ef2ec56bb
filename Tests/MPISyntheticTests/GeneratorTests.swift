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
