import Benchmark
import MPICore
import MPINormalize

/// A realistic mix of 10,000 raw rows in the R1K sample layout: mostly ASCII, about one in twenty
/// names with diacritics or another script, some bad values. Deterministic.
private let header = ["MRN", "PATIENT_NAME", "DOB", "SEX", "NHS_NO", "NHS_STATUS", "POSTCODE", "ADDRESS_1", "ADDRESS_2", "TELEPHONE"]

private func syntheticRows(count: Int) -> [[String]] {
    let surnames = ["SMITH", "PATEL", "O'BRIEN", "SMITH-JONES", "KHAN", "NGUYEN", "KOWALSKI", "VAN DER BERG", "WILLIAMS",
                    "AHMED", "OKAFOR", "BEGUM", "TAYLOR", "DA SILVA", "HUSSAIN", "JONES", "BROWN", "MURPHY"]
    let forenames = ["John Paul", "Mary", "Mohammed", "Siobhan", "Ravi", "Olusegun", "Aisha", "Robert", "Li",
                     "Fatima", "Wojciech", "Emma", "James", "Amelia", "Hassan", "Dmitri", "Olivia", "Mr Harry"]
    // About one name in thirty carries letters outside ASCII and takes the ICU path.
    let accented = ["MÜLLER, Zoë", "GARCÍA, José", "ŁUKASIEWICZ, Paweł", "O’NEILL, Chloé", "BJØRK, Åsa"]
    let streets = ["12 Northwick Park Rd", "Flat 3, 14 Pield Heath Ave", "221B Baker St", "45 Acton Ln", "3/12 Praed St"]
    let postcodes = ["HA1 3UJ", "ub8 3nn", "W2 1NY", "SW10 9NH", "NW10 7NS", "W6 8RF", "ZZ99 3VZ", "EC1A1BB"]
    let nhsNumbers = ["943 476 5919", "9990000018", "999 000 0026", "", "9434765918", "9990000034"]
    let phones = ["020 8864 3232", "07700 900123", "+44 (0)20 3312 6666", "", "01895 238282"]
    var generator = SplitMix64(seed: 20261128)
    func pick<T>(_ values: [T]) -> T { values[Int(generator.next() % UInt64(values.count))] }
    return (0..<count).map { index in
        let day = 1 + Int(generator.next() % 28), month = 1 + Int(generator.next() % 12), year = 1930 + Int(generator.next() % 90)
        let dob = "\(day < 10 ? "0" : "")\(day)/\(month < 10 ? "0" : "")\(month)/\(year)"
        let name = generator.next() % 30 == 0 ? pick(accented) : "\(pick(surnames)), \(pick(forenames))"
        return ["R1K\(index)", name, dob, pick(["1", "2", "F", "M", "9"]),
                pick(nhsNumbers), pick(["01", "02", ""]), pick(postcodes), pick(streets), "Harrow", pick(phones)]
    }
}

private let mapping = SourceMapping(
    code: "R1K", recordId: "MRN",
    columns: .init(fullName: "PATIENT_NAME", nameLayout: .familyFirst, nhsNumber: "NHS_NO", nhsNumberStatus: "NHS_STATUS",
                   dateOfBirth: "DOB", sex: "SEX", postcode: "POSTCODE", address: ["ADDRESS_1", "ADDRESS_2"], phone: "TELEPHONE"),
    dateFormat: .dayMonthYearSlash)

let benchmarks: @Sendable () -> Void = {
    Benchmark.defaultConfiguration = .init(
        metrics: [.wallClock, .throughput, .mallocCountTotal, .peakMemoryResident],
        timeUnits: .milliseconds,
        maxDuration: .seconds(5)
    )
    let rows = syntheticRows(count: 10_000)
    Benchmark("Normalise record x10000") { benchmark in
        let normalizer = try RecordNormalizer(mapping: mapping, header: header, today: CalendarDate(year: 2026, month: 11, day: 28)!,
                                              transliterator: Transliterator())
        benchmark.startMeasurement()
        for _ in benchmark.scaledIterations {
            for (line, row) in rows.enumerated() { blackHole(normalizer.normalize(fields: row, line: line)) }
        }
    }
}
