public import Foundation
public import MPICore
public import MPINormalize

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

    /// Normalises rows in chunks, one task per chunk and about two chunks per core, keeping file order.
    private static func normalizeInParallel(_ rows: [Result<DelimitedRow, RowProblem>], mapping: SourceMapping, header: [String],
                                    today: CalendarDate, keepsRawValues: Bool) async throws -> [Result<NormalizedRow, RowProblem>] {
        let workers = max(ProcessInfo.processInfo.activeProcessorCount, 1)
        let chunkSize = max(1_000, (rows.count + 2 * workers - 1) / (2 * workers))
        let chunks = stride(from: 0, to: rows.count, by: chunkSize).map { $0..<min($0 + chunkSize, rows.count) }
        return try await withThrowingTaskGroup(of: (Int, [Result<NormalizedRow, RowProblem>]).self) { group in
            for (index, range) in chunks.enumerated() {
                group.addTask {
                    let normalizer = try RecordNormalizer(mapping: mapping, header: header, today: today, transliterator: Transliterator())
                    normalizer.keepsRawValues = keepsRawValues
                    return (index, rows[range].map { $0.flatMap { normalizer.normalize($0) } })
                }
            }
            var parts = [[Result<NormalizedRow, RowProblem>]](repeating: [], count: chunks.count)
            for try await (index, part) in group { parts[index] = part }
            return parts.flatMap { $0 }
        }
    }

    /// About how many rows the extract holds (its line breaks), for progress reporting.
    public func estimatedRows() -> Int {
        guard let data = try? Data(contentsOf: extract, options: .mappedIfSafe) else { return 1 }
        return max(data.reduce(0) { $1 == 0x0A ? $0 + 1 : $0 } - (mapping.format == .jsonl ? 0 : 1), 1)
    }

    /// Normalises every row, handing each result to `emit` in file order. Delimited extracts are
    /// normalised on all cores (each worker with its own ICU transliterator), then emitted in order.
    public func run(today: CalendarDate, emit: (Result<NormalizedRow, RowProblem>) throws -> Void) async throws -> Summary {
        let bytes: [UInt8]
        do {
            bytes = try [UInt8](Data(contentsOf: extract))
        } catch {
            throw LinkageError("cannot read the extract \(extract.path)")
        }
        let transliterator = try Transliterator()
        var rows: any IteratorProtocol<Result<NormalizedRow, RowProblem>>
        switch mapping.format {
        case .csv, .tsv:
            var reader = DelimitedReader(bytes: bytes, delimiter: mapping.format == .tsv ? UInt8(ascii: "\t") : UInt8(ascii: ","))
            guard let first = reader.next() else { throw LinkageError("\(extract.path) is empty: it needs a header row") }
            guard case .success(let headerRow) = first else { throw LinkageError("\(extract.path): the header row cannot be read") }
            let header = headerRow.fields.map { TextDecoding.decode($0, as: mapping.encoding) }
            // Checks the mapping against the header before any work is shared out.
            _ = try RecordNormalizer(mapping: mapping, header: header, today: today, transliterator: transliterator)
            var parsed: [Result<DelimitedRow, RowProblem>] = []
            while let row = reader.next() { parsed.append(row) }
            let normalized = try await Self.normalizeInParallel(parsed, mapping: mapping, header: header, today: today,
                                                                keepsRawValues: keepsRawValues)
            rows = normalized.makeIterator()
        case .jsonl:
            rows = try JSONLinesRows(bytes: bytes, mapping: mapping, today: today, transliterator: transliterator, keepsRawValues: keepsRawValues)
        case .hl7:
            rows = try HL7Rows(text: TextDecoding.decode(bytes, as: mapping.encoding), mapping: mapping, today: today,
                               transliterator: transliterator, keepsRawValues: keepsRawValues)
        }
        var summary = Summary()
        while let result = rows.next() {
            summary.rows += 1
            switch result {
            case .success(let row):
                summary.records += 1
                for rejection in row.rejections { summary.rejections[rejection.field, default: [:]][rejection.code, default: 0] += 1 }
                if let placeholder = row.record.name.placeholder { summary.placeholders[placeholder, default: 0] += 1 }
                if row.record.dateOfBirth?.isDefault == true { summary.defaultDates += 1 }
                if row.record.nhsNumber?.isTestNumber == true { summary.testNHSNumbers += 1 }
                if row.record.postcode?.pseudo != nil { summary.pseudoPostcodes += 1 }
            case .failure(let problem):
                summary.rowProblems.append(problem)
            }
            try emit(result)
        }
        return summary
    }
}

