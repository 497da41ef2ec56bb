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
    /// Rows per batch normalised by one task: large enough that a batch's own normaliser and value
    /// sharing pay off, small enough that only a few batches' rows are held at once, and that an
    /// extract of a quarter of a million rows is shared out in enough batches to keep both cores busy
    /// to its end (65,536 left one core idle while the last batch of each of the four trusts' files
    /// finished: reading took 0.5-0.9 s longer; 16,384 was no faster than 32,768).
    public var rowsPerBatch = 32_768

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
        // memchr, not a loop over bytes: the run counts every extract's lines before it reads the
        // first, on one core (the byte loop made that wait 0.03 s longer for a million records' extracts).
        let lineBreaks = data.withUnsafeBytes { bytes -> Int in
            guard var cursor = bytes.baseAddress else { return 0 }
            let end = cursor + bytes.count
            var count = 0
            while cursor < end, let found = memchr(cursor, 0x0A, end - cursor) {
                count += 1
                cursor = UnsafeRawPointer(found) + 1
            }
            return count
        }
        return max(lineBreaks - (mapping.format == .jsonl ? 0 : 1), 1)
    }

    /// Normalises every row, handing each result to `emit` in file order.
    public func run(today: CalendarDate, emit: (Result<NormalizedRow, RowProblem>) throws -> Void) async throws -> Summary {
        try await run(today: today, prepare: { $0 }, emit: emit)
    }

    /// Normalises every row on all cores and hands each result to `emit` in file order. The extract is
    /// read in batches of whole rows (a CSV row's quoted line breaks stay inside it; an HL7 file is cut
    /// between messages, a JSON-lines file between lines), each batch parsed and normalised by a task
    /// with its own ICU transliterator while the next are found. `prepare` runs on the same task for
    /// each row normalised and makes what the caller keeps of it (the linkage builds its match record
    /// there and lets the rest go), so that only finding where the batches end and the in-order
    /// hand-over are sequential.
    public func run<Prepared: Sendable>(today: CalendarDate, prepare: @escaping @Sendable (NormalizedRow) -> Prepared,
                                        emit: (Result<Prepared, RowProblem>) throws -> Void) async throws -> Summary {
        try await run(today: today, preparer: { prepare }, emit: emit)
    }

    /// As `run(today:prepare:emit:)`, with `preparer` called once by each task for the function it
    /// prepares that task's rows with, so that a task can keep state of its own across its rows (the
    /// linkage shares equal values between the records one task builds).
    public func run<Prepared: Sendable>(today: CalendarDate, preparer: @escaping @Sendable () -> (NormalizedRow) -> Prepared,
                                        emit: (Result<Prepared, RowProblem>) throws -> Void) async throws -> Summary {
        try await run(bytes: try readExtract(), today: today, preparer: preparer, emit: emit)
    }

    /// The extract's bytes, for `run(bytes:today:preparer:emit:)`: a caller reading several extracts
    /// reads the next while this one is normalised.
    public func readExtract() throws -> [UInt8] {
        do {
            return try [UInt8](Data(contentsOf: extract))
        } catch {
            throw LinkageError("cannot read the extract \(extract.path)")
        }
    }

    /// As `run(today:preparer:emit:)`, on the extract's bytes as `readExtract` read them.
    public func run<Prepared: Sendable>(bytes: [UInt8], today: CalendarDate, preparer: @escaping @Sendable () -> (NormalizedRow) -> Prepared,
                                        emit: (Result<Prepared, RowProblem>) throws -> Void) async throws -> Summary {
        let mapping = mapping, keepsRawValues = keepsRawValues, batchSize = rowsPerBatch
        switch mapping.format {
        case .csv, .tsv:
            let delimiter = mapping.format == .tsv ? UInt8(ascii: "\t") : UInt8(ascii: ",")
            var reader = DelimitedReader(bytes: bytes, delimiter: delimiter)
            guard let first = reader.next() else { throw LinkageError("\(extract.path) is empty: it needs a header row") }
            guard case .success(let headerRow) = first else { throw LinkageError("\(extract.path): the header row cannot be read") }
            let header = headerRow.fields.map { TextDecoding.decode($0, as: mapping.encoding) }
            // Checks the mapping against the header before any work is shared out.
            _ = try RecordNormalizer(mapping: mapping, header: header, today: today, transliterator: Transliterator())
            // Only where each chunk of rows ends is found here; the rows are read where they are normalised.
            return try await Self.normalizeInBatches(next: { reader.nextChunk(rows: batchSize) }, mapping: mapping, header: header, today: today,
                                                     keepsRawValues: keepsRawValues, preparer: preparer, emit: emit) { normalizer, chunk, normalized in
                for row in DelimitedReader(chunk: chunk, of: bytes, delimiter: delimiter) {
                    normalized(row.flatMap { normalizer.normalize($0) })
                }
            }
        case .jsonl:
            var lines = JSONLinesRows.lines(of: bytes).makeIterator()
            return try await Self.normalizeInBatches(next: { Self.batch(of: batchSize) { lines.next() } }, mapping: mapping,
                                                     header: JSONLinesRows.header(mapping), today: today, keepsRawValues: keepsRawValues,
                                                     preparer: preparer, emit: emit) { normalizer, lines, normalized in
                for line in lines { normalized(JSONLinesRows.normalize(line, with: normalizer)) }
            }
        case .hl7:
            var messages = HL7Message.split(TextDecoding.decode(bytes, as: mapping.encoding)).makeIterator()
            return try await Self.normalizeInBatches(next: { Self.batch(of: batchSize) { messages.next() } }, mapping: mapping,
                                                     header: HL7Rows.header(mapping), today: today, keepsRawValues: keepsRawValues,
                                                     preparer: preparer, emit: emit) { normalizer, messages, normalized in
                for message in messages { normalized(HL7Rows.normalize(message, mapping: mapping, with: normalizer)) }
            }
        }
    }

    /// The next `size` items `next` gives, or nil when it has none left.
    private static func batch<Item>(of size: Int, _ next: () -> Item?) -> [Item]? {
        var batch: [Item] = []
        batch.reserveCapacity(size)
        while batch.count < size, let item = next() { batch.append(item) }
        return batch.isEmpty ? nil : batch
    }

    /// Normalises the batches `next` gives (a chunk of rows, or lines or messages), each on a task with
    /// its own normaliser, while the next batches are found: at most two batches per core are in flight,
    /// and each is emitted, in file order, as soon as it and those before it are done, so a file of any
    /// size holds only a few batches of rows beside the records kept. `normalize` hands each row's
    /// result to its third argument.
    private static func normalizeInBatches<Batch: Sendable, Prepared: Sendable>(
        next: () -> Batch?, mapping: SourceMapping, header: [String], today: CalendarDate, keepsRawValues: Bool,
        preparer: @escaping @Sendable () -> (NormalizedRow) -> Prepared,
        emit: (Result<Prepared, RowProblem>) throws -> Void,
        normalize: @escaping @Sendable (RecordNormalizer, Batch, (Result<NormalizedRow, RowProblem>) -> Void) -> Void
    ) async throws -> Summary {
        let inFlightLimit = 2 * max(ProcessInfo.processInfo.activeProcessorCount, 1)
        return try await withThrowingTaskGroup(of: (Int, Summary, [Result<Prepared, RowProblem>]).self) { group in
            var summary = Summary()
            var done: [Int: (summary: Summary, results: [Result<Prepared, RowProblem>])] = [:]
            var nextToEmit = 0, batches = 0, inFlight = 0
            func collect(_ finished: (Int, Summary, [Result<Prepared, RowProblem>])) throws {
                done[finished.0] = (finished.1, finished.2)
                inFlight -= 1
                while let part = done.removeValue(forKey: nextToEmit) {
                    summary.add(part.summary)
                    for result in part.results { try emit(result) }
                    nextToEmit += 1
                }
            }
            while let batch = next() {
                let index = batches
                group.addTask {
                    let normalizer = try RecordNormalizer(mapping: mapping, header: header, today: today, transliterator: Transliterator())
                    normalizer.keepsRawValues = keepsRawValues
                    let prepare = preparer()
                    var summary = Summary()
                    var results: [Result<Prepared, RowProblem>] = []
                    normalize(normalizer, batch) { result in
                        summary.count(result)
                        results.append(result.map(prepare))
                    }
                    return (index, summary, results)
                }
                batches += 1
                inFlight += 1
                if inFlight >= inFlightLimit, let finished = try await group.next() { try collect(finished) }
            }
            while let finished = try await group.next() { try collect(finished) }
            return summary
        }
    }
}
