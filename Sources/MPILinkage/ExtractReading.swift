public import Foundation
public import MPICore
public import MPINormalize
import MPIProtocol

/// Reads one source's extract and normalises every row, keeping count of what was rejected.
public struct ExtractNormalization: Sendable {
    public let mapping: SourceMapping
    public let extract: URL
    /// Keep each row's raw values (for the identity store).
    public var keepsRawValues = false

    public init(mapping: SourceMapping, extract: URL) {
        self.mapping = mapping
        self.extract = extract
    }

    public struct Summary: Sendable {
        public var rows = 0
        public var records = 0
        public var rowProblems: [RowProblem] = []
        /// Rejections by field, then by code.
        public var rejections: [String: [String: Int]] = [:]
        public var placeholders: [PlaceholderName: Int] = [:]
        public var defaultDates = 0
        public var testNHSNumbers = 0
        public var pseudoPostcodes = 0

        /// Counts one row's result.
        mutating func count(_ result: Result<NormalizedRow, RowProblem>) {
            rows += 1
            switch result {
            case .success(let row):
                records += 1
                for rejection in row.rejections { rejections[rejection.field, default: [:]][rejection.code, default: 0] += 1 }
                if let placeholder = row.record.name.placeholder { placeholders[placeholder, default: 0] += 1 }
                if row.record.dateOfBirth?.isDefault == true { defaultDates += 1 }
                if row.record.nhsNumber?.isTestNumber == true { testNHSNumbers += 1 }
                if row.record.postcode?.pseudo != nil { pseudoPostcodes += 1 }
            case .failure(let problem):
                rowProblems.append(problem)
            }
        }

        /// Adds the counts of a later part of the extract.
        mutating func add(_ later: Summary) {
            rows += later.rows
            records += later.records
            rowProblems += later.rowProblems
            rejections.merge(later.rejections) { $0.merging($1, uniquingKeysWith: +) }
            placeholders.merge(later.placeholders, uniquingKeysWith: +)
            defaultDates += later.defaultDates
            testNHSNumbers += later.testNHSNumbers
            pseudoPostcodes += later.pseudoPostcodes
        }
    }

    /// Loads a mapping file; the extract path in it is relative to the mapping file.
    public static func load(mappingFile: String, input: String?) throws -> ExtractNormalization {
        let mappingURL = URL(fileURLWithPath: mappingFile)
        let mapping: SourceMapping
        do {
            mapping = try JSONDecoder().decode(SourceMapping.self, from: Data(contentsOf: mappingURL))
        } catch let error as DecodingError {
            throw LinkageError("\(mappingFile): \(error.keyPathDescription)")
        }
        let extractPath = input ?? mapping.path
        guard let extractPath else { throw LinkageError("\(mappingFile): no extract given; set \"path\" or pass --input") }
        let extract = input != nil
            ? URL(fileURLWithPath: extractPath)
            : URL(fileURLWithPath: extractPath, relativeTo: mappingURL.deletingLastPathComponent())
        return ExtractNormalization(mapping: mapping, extract: extract)
    }

    /// About how many rows the extract holds (its line breaks), for progress reporting.
    public func estimatedRows() -> Int {
        guard let data = try? Data(contentsOf: extract, options: .mappedIfSafe) else { return 1 }
        let lineBreaks = data.withUnsafeBytes { bytes in bytes.reduce(into: 0) { count, byte in if byte == 0x0A { count += 1 } } }
        return max(lineBreaks - (mapping.format == .jsonl ? 0 : 1), 1)
    }

    /// Normalises every row, handing each result to `emit` in file order.
    public func run(today: CalendarDate, emit: (Result<NormalizedRow, RowProblem>) throws -> Void) async throws -> Summary {
        try await run(today: today, prepare: { $0 }, emit: emit)
    }

    /// Normalises every row on all cores and hands each result to `emit` in file order. The extract is
    /// cut into chunks of whole rows (a CSV row's quoted line breaks stay inside it; an HL7 file is cut
    /// between messages, a JSON-lines file between lines), each chunk normalised by a task with its own
    /// ICU transliterator. `prepare` runs on the same task for each row normalised and makes what the
    /// caller keeps of it (the linkage builds its match record there and lets the rest go), so that
    /// only the order-keeping hand-over is sequential.
    public func run<Prepared: Sendable>(today: CalendarDate, prepare: @escaping @Sendable (NormalizedRow) -> Prepared,
                                        emit: (Result<Prepared, RowProblem>) throws -> Void) async throws -> Summary {
        try await run(today: today, preparer: { prepare }, emit: emit)
    }

    /// As `run(today:prepare:emit:)`, with `preparer` called once by each task for the function it
    /// prepares that task's rows with, so that a task can keep state of its own across its rows (the
    /// linkage shares equal values between the records one task builds).
    public func run<Prepared: Sendable>(today: CalendarDate, preparer: @escaping @Sendable () -> (NormalizedRow) -> Prepared,
                                        emit: (Result<Prepared, RowProblem>) throws -> Void) async throws -> Summary {
        let bytes: [UInt8]
        do {
            bytes = try [UInt8](Data(contentsOf: extract))
        } catch {
            throw LinkageError("cannot read the extract \(extract.path)")
        }
        let mapping = mapping, keepsRawValues = keepsRawValues
        let parts: [(summary: Summary, results: [Result<Prepared, RowProblem>])]
        switch mapping.format {
        case .csv, .tsv:
            var reader = DelimitedReader(bytes: bytes, delimiter: mapping.format == .tsv ? UInt8(ascii: "\t") : UInt8(ascii: ","))
            guard let first = reader.next() else { throw LinkageError("\(extract.path) is empty: it needs a header row") }
            guard case .success(let headerRow) = first else { throw LinkageError("\(extract.path): the header row cannot be read") }
            let header = headerRow.fields.map { TextDecoding.decode($0, as: mapping.encoding) }
            // Checks the mapping against the header before any work is shared out.
            _ = try RecordNormalizer(mapping: mapping, header: header, today: today, transliterator: Transliterator())
            var parsed: [Result<DelimitedRow, RowProblem>] = []
            while let row = reader.next() { parsed.append(row) }
            parts = try await Self.normalizeInParallel(parsed, mapping: mapping, header: header, today: today,
                                                         keepsRawValues: keepsRawValues, preparer: preparer) { normalizer, row in
                row.flatMap { normalizer.normalize($0) }
            }
        case .jsonl:
            parts = try await Self.normalizeInParallel(JSONLinesRows.lines(of: bytes), mapping: mapping, header: JSONLinesRows.header(mapping),
                                                         today: today, keepsRawValues: keepsRawValues, preparer: preparer) { normalizer, line in
                JSONLinesRows.normalize(line, with: normalizer)
            }
        case .hl7:
            let messages = HL7Message.split(TextDecoding.decode(bytes, as: mapping.encoding))
            parts = try await Self.normalizeInParallel(messages, mapping: mapping, header: HL7Rows.header(mapping), today: today,
                                                         keepsRawValues: keepsRawValues, preparer: preparer) { normalizer, message in
                HL7Rows.normalize(message, mapping: mapping, with: normalizer)
            }
        }
        var summary = Summary()
        for part in parts {
            summary.add(part.summary)
            for result in part.results { try emit(result) }
        }
        return summary
    }

    /// Normalises `items` (rows, lines or messages) in chunks, about two per core, each chunk on a task
    /// with its own normaliser, keeping file order; each chunk also counts its rows. `normalize` gives
    /// nil for an item that is not a row (a blank line).
    private static func normalizeInParallel<Item: Sendable, Prepared: Sendable>(
        _ items: [Item], mapping: SourceMapping, header: [String], today: CalendarDate, keepsRawValues: Bool,
        preparer: @escaping @Sendable () -> (NormalizedRow) -> Prepared,
        normalize: @escaping @Sendable (RecordNormalizer, Item) -> Result<NormalizedRow, RowProblem>?
    ) async throws -> [(summary: Summary, results: [Result<Prepared, RowProblem>])] {
        let workers = max(ProcessInfo.processInfo.activeProcessorCount, 1)
        let chunkSize = max(1_000, (items.count + 2 * workers - 1) / (2 * workers))
        let chunks = stride(from: 0, to: items.count, by: chunkSize).map { $0..<min($0 + chunkSize, items.count) }
        return try await withThrowingTaskGroup(of: (Int, Summary, [Result<Prepared, RowProblem>]).self) { group in
            for (index, range) in chunks.enumerated() {
                group.addTask {
                    let normalizer = try RecordNormalizer(mapping: mapping, header: header, today: today, transliterator: Transliterator())
                    normalizer.keepsRawValues = keepsRawValues
                    let prepare = preparer()
                    var summary = Summary()
                    var results: [Result<Prepared, RowProblem>] = []
                    results.reserveCapacity(range.count)
                    for item in items[range] {
                        guard let result = normalize(normalizer, item) else { continue }
                        summary.count(result)
                        results.append(result.map(prepare))
                    }
                    return (index, summary, results)
                }
            }
            var parts = [(summary: Summary, results: [Result<Prepared, RowProblem>])](repeating: (Summary(), []), count: chunks.count)
            for try await (index, summary, results) in group { parts[index] = (summary, results) }
            return parts
        }
    }
}
