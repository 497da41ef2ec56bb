import ArgumentParser
import Foundation
import MPICore
import MPINormalize

extension MPI {
    struct Demo: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Run the index on the sample extracts shipped in Data/samples.",
            discussion: """
            Normalises the synthetic R1K (CSV, UTF-8) and RAS (TSV, Windows-1252) sample extracts and \
            prints what was made of each record and what was rejected. Batch linkage joins the demo when \
            the matching core lands.
            """
        )

        func run() async throws {
            let samples = try DataDirectory.locate().appendingPathComponent("samples")
            let variants = try ForenameVariantsFile.load()
            let started = ContinuousClock.now
            var records = 0
            for mappingFile in ["r1k.mapping.json", "ras.mapping.json"] {
                let job = try ExtractNormalization.load(mappingFile: samples.appendingPathComponent(mappingFile).path, input: nil)
                print("\n== \(job.mapping.code): \(job.extract.lastPathComponent) (\(job.mapping.encoding.rawValue), dates \(job.mapping.dateFormat.rawValue))")
                var table = TextTable(columns: ["record", "given", "family", "born", "sex", "NHS number", "postcode", "notes"])
                let summary = try job.run(today: .today) { result in
                    guard case .success(let row) = result else { return }
                    table.add(DemoRow(row, variants: variants).cells)
                }
                records += summary.records
                print(table.render())
                print(summary.text(source: job.mapping.code), terminator: "")
            }
            let elapsed = ContinuousClock.now - started
            print("\n\(records) records normalised in \(elapsed.formatted(.units(allowed: [.milliseconds])))."
                + " Forename groups loaded: \(variants.groupNames.count).")
        }
    }
}

/// One record as the demo shows it.
private struct DemoRow {
    let cells: [String]

    init(_ row: NormalizedRow, variants: ForenameVariants) {
        let record = row.record
        var notes: [String] = []
        if let placeholder = record.name.placeholder { notes.append("placeholder name (\(placeholder.rawValue))") }
        let groups = variants.groups(of: record.name.given).filter { $0 != record.name.given }
        if !groups.isEmpty { notes.append("forename group \(groups.prefix(2).joined(separator: "/"))") }
        if !record.name.familyParts.isEmpty { notes.append("surname parts \(record.name.familyParts.joined(separator: "+"))") }
        if record.dateOfBirth?.isDefault == true { notes.append("default date") }
        if record.nhsNumber?.isTestNumber == true { notes.append("test NHS no.") }
        if record.nhsNumber?.status?.isVerified == true { notes.append("verified") }
        if let pseudo = record.postcode?.pseudo { notes.append("pseudo-postcode (\(pseudo.rawValue))") }
        if record.phone?.isPlaceholder == true { notes.append("placeholder phone") }
        for rejection in row.rejections { notes.append("\(rejection.field) rejected: \(rejection.code)") }
        let born = record.dateOfBirth.map { $0.date.description } ?? ""
        cells = [record.key.recordId, record.name.given, record.name.family, born, record.sex?.rawValue ?? "",
                 record.nhsNumber?.description ?? "", record.postcode?.unit ?? "", notes.joined(separator: "; ")]
    }
}

/// A plain aligned text table.
struct TextTable {
    let columns: [String]
    private var rows: [[String]] = []

    init(columns: [String]) { self.columns = columns }

    mutating func add(_ row: [String]) { rows.append(row) }

    func render() -> String {
        let all = [columns] + rows
        let widths = columns.indices.map { column in all.map { $0[column].count }.max() ?? 0 }
        func line(_ cells: [String]) -> String {
            zip(cells, widths).map { $0 + String(repeating: " ", count: $1 - $0.count) }.joined(separator: "  ")
                .trimmingCharacters(in: .whitespaces)
        }
        let rule = widths.map { String(repeating: "-", count: $0) }.joined(separator: "  ")
        return ([line(columns), rule] + rows.map(line)).joined(separator: "\n")
    }
}
