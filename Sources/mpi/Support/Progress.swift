import Foundation
import MPILinkage
import Synchronization

/// Progress on standard error: counts and timings only, never values. On a terminal a long stage
/// redraws one bar in place; otherwise it writes a line every few seconds, which suits logs.
struct Progress {
    let quiet: Bool
    let isTerminal: Bool
    private let started = ContinuousClock.now

    init(quiet: Bool = false) {
        self.quiet = quiet
        isTerminal = isatty(STDERR_FILENO) != 0
    }

    var elapsed: Double {
        let elapsed = ContinuousClock.now - started
        return Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18
    }

    func line(_ text: String) {
        guard !quiet else { return }
        StandardError.write((isTerminal ? "\r\u{1B}[K" : "") + String(format: "[%7.2fs] ", elapsed) + text + "\n")
    }

    /// A counter for one long stage of known size.
    func stage(_ name: String, total: Int) -> StageProgress {
        StageProgress(progress: self, name: name, total: max(total, 1))
    }

    /// A link run's progress, printed here: steps as lines, reading as one bar per feed.
    var linkProgress: LinkProgress {
        let bars = Mutex<[String: StageProgress]>([:])
        return LinkProgress { event in
            switch event {
            case .step(let text):
                line(text)
            case .reading(let feed, let rows, let estimatedTotal):
                bars.withLock { bars in
                    let bar = bars[feed] ?? stage("read \(feed)", total: estimatedTotal)
                    bars[feed] = bar
                    bar.update(rows)
                }
            }
        }
    }
}

/// The progress of one stage: a bar redrawn at most ten times a second on a terminal, or a line every
/// five seconds elsewhere.
final class StageProgress {
    private let progress: Progress
    private let name: String
    private let total: Int
    private var lastReport = 0.0

    init(progress: Progress, name: String, total: Int) {
        self.progress = progress
        self.name = name
        self.total = total
    }

    func update(_ done: Int) {
        guard !progress.quiet else { return }
        let now = progress.elapsed
        let interval = progress.isTerminal ? 0.1 : 5.0
        guard now - lastReport >= interval else { return }
        lastReport = now
        let fraction = min(Double(done) / Double(total), 1)
        if progress.isTerminal {
            let width = 30, filled = Int(fraction * Double(width))
            let bar = String(repeating: "#", count: filled) + String(repeating: "-", count: width - filled)
            StandardError.write(String(format: "\r\u{1B}[K[%7.2fs] %@ [%@] %3.0f%%", now, name, bar, fraction * 100))
        } else {
            progress.line(String(format: "%@: %.0f%% (%d of about %d)", name, fraction * 100, done, total))
        }
    }
}
