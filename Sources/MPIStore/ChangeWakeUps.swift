import Synchronization

/// Wake-ups for a follower of other writers' identity changes (`IdentityBackend.changeWakeUps`): the
/// PostgreSQL backend wakes it on each NOTIFY its outbox trigger sends, so another replica's
/// registration is followed within milliseconds rather than at the next poll. A wake-up carries no
/// data: the follower still reads the outbox after its own place, so a wake-up lost (or many folded
/// into one) costs nothing.
public final class ChangeWakeUps: Sendable {
    private struct State {
        /// A wake-up came while nobody waited: the next `next` returns at once.
        var pending = false
        var waiter: CheckedContinuation<Void, Never>?
    }

    private let state = Mutex(State())
    private let listening: @Sendable () -> Bool
    private let closing: RunOnce

    /// `listening` says whether wake-ups can still come (the connection to the server is open);
    /// `close` stops them.
    package init(listening: @escaping @Sendable () -> Bool, close: @escaping @Sendable () -> Void) {
        self.listening = listening
        closing = RunOnce(close)
    }

    deinit { closing.run() }

    /// Whether wake-ups still come. False after `close`, or when the connection they came on was lost:
    /// ask the store for new ones.
    public var isListening: Bool { !closing.hasRun && listening() }

    /// Called by the backend for each notification.
    package func wake() {
        let waiter = state.withLock { state -> CheckedContinuation<Void, Never>? in
            guard let waiter = state.waiter else {
                state.pending = true
                return nil
            }
            state.waiter = nil
            return waiter
        }
        waiter?.resume()
    }

    /// Returns at the first wake-up since the last return, after `limit` at the latest (the poll that
    /// catches anything a lost connection missed), or when the task is cancelled.
    public func next(atMost limit: Duration) async {
        let timer = Task { [weak self] in
            try? await Task.sleep(for: limit)
            self?.resumeWaiter()
        }
        defer { timer.cancel() }
        await withTaskCancellationHandler {
            await withCheckedContinuation { continuation in
                let now = state.withLock { state -> Bool in
                    if state.pending {
                        state.pending = false
                        return true
                    }
                    state.waiter = continuation
                    return false
                }
                if now { continuation.resume() }
            }
        } onCancel: {
            resumeWaiter()
        }
    }

    private func resumeWaiter() {
        state.withLock { state -> CheckedContinuation<Void, Never>? in
            defer { state.waiter = nil }
            return state.waiter
        }?.resume()
    }

    public func close() { closing.run() }
}
