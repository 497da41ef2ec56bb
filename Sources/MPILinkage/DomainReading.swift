public import Foundation
public import MPICore
public import MPINormalize
public import MPIStore

/// Reads every feed of one identifier domain for the identity store (`mpi import`): each row
/// normalised with its raw values kept, one record per record id across the domain's feeds (the feed
/// listed first keeps an id both carry, `FirstRowPerRecord`).
public struct DomainReading: Sendable {
    public let domain: String
    /// The job's feeds of this domain, in job order.
    public let feeds: [SourceMapping]
    public let jobDirectory: URL
    public let today: CalendarDate

    /// The job's identifier domains (source codes), each once, in the order the job first lists them.
    public static func domains(of job: LinkageJob) -> [String] {
        var domains: [String] = []
        for source in job.sources where !domains.contains(source.code) { domains.append(source.code) }
        return domains
    }

    public init(domain: String, job: LinkageJob, jobDirectory: URL, today: CalendarDate) {
        self.domain = domain
        feeds = job.sources.filter { $0.code == domain }
        self.jobDirectory = jobDirectory
        self.today = today
    }

    public struct Read: Sendable {
        public var records: [StoredRecord] = []
        public var rows = 0
        /// Rejected values, and rows kept out whole.
        public var rejected = 0
    }

    /// - Parameters:
    ///   - starting: called before each feed is read, with its extract.
    ///   - reject: every rejected value or row, with its feed and line, as it is found.
    public func read(starting: (_ feed: String, _ extract: URL) -> Void = { _, _ in },
                     reject: (LoadedRecords.Reject) -> Void = { _ in }) async throws -> Read {
        var read = Read()
        var kept = FirstRowPerRecord()
        for mapping in feeds {
            let feed = mapping.feedName
            guard let path = mapping.path else { throw LinkageError("source \(feed): no \"path\" to its extract") }
            let extract = LinkRun.extract(path, in: jobDirectory)
            var normalization = ExtractNormalization(mapping: mapping, extract: extract)
            normalization.keepsRawValues = true
            starting(feed, extract)
            let summary = try await normalization.run(today: today) { result in
                switch result {
                case .success(let row):
                    let recordId = row.record.key.recordId
                    if let earlier = kept.claim(row.record.key, feed: feed, line: row.line) {
                        read.rejected += 1
                        reject(.init(feed: feed, line: row.line, recordId: recordId, field: "row", code: earlier.code, reason: earlier.reason))
                        return
                    }
                    read.records.append(StoredRecord(key: row.record.key, raw: row.raw, normalized: row.record))
                    read.rejected += row.rejections.count
                    for rejection in row.rejections {
                        reject(.init(feed: feed, line: row.line, recordId: recordId, field: rejection.field, code: rejection.code,
                                     reason: rejection.reason))
                    }
                case .failure(let problem):
                    read.rejected += 1
                    reject(.init(feed: feed, line: problem.line, recordId: "", field: "row", code: problem.code, reason: problem.message))
                }
            }
            read.rows += summary.rows
        }
        return read
    }
}
