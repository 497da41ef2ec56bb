/// What a link run reports as it goes. Counts and timings only: never a value from an extract, so any
/// sink (a terminal, a log, a test) may receive it.
public enum LinkProgressEvent: Sendable, Hashable {
    /// A step finished, said in one line ("blocking: 2,104,331 candidate pairs in all").
    case step(String)
    /// Rows read so far from one feed, of about `estimatedTotal` (reported every few thousand rows).
    case reading(feed: String, rows: Int, estimatedTotal: Int)
}

/// Where a run's progress goes: a callback, called from the run's own task, one event at a time.
public struct LinkProgress: Sendable {
    private let report: @Sendable (LinkProgressEvent) -> Void

    public init(_ report: @escaping @Sendable (LinkProgressEvent) -> Void) { self.report = report }

    /// Reports nothing.
    public static let silent = LinkProgress { _ in }

    public func step(_ text: String) { report(.step(text)) }

    public func reading(feed: String, rows: Int, estimatedTotal: Int) {
        report(.reading(feed: feed, rows: rows, estimatedTotal: estimatedTotal))
    }
}
