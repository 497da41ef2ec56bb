public import Logging
public import ServiceLifecycle
import MPIStore

/// Keeps the live index in step with other writers of the same store: with several `mpi serve`
/// replicas on one PostgreSQL database, each applies the registrations, updates, merges and steward
/// decisions the others commit, read from the outbox after its place (`IdentityIndex.followChanges`).
/// A sequence number per entry means nothing is missed or applied twice, whenever the follower looks.
///
/// On PostgreSQL it looks when the outbox trigger's NOTIFY wakes it (`IdentityBackend.changeWakeUps`),
/// and at least every `fallbackInterval` in case a wake-up was lost with its connection; on SQLite,
/// which has no notifications, every `interval`. Link runs are the `StoreWatcher`'s.
public struct ChangeFollower: Service {
    let index: IdentityIndex
    let interval: Duration
    let fallbackInterval: Duration
    let logger: Logger

    public init(index: IdentityIndex, interval: Duration = .milliseconds(200), fallbackInterval: Duration = .seconds(1), logger: Logger) {
        self.index = index
        self.interval = interval
        self.fallbackInterval = fallbackInterval
        self.logger = logger
    }

    public func run() async throws {
        var wakeUps = listen()
        guard wakeUps != nil else {
            await everyInterval(interval) { follow() }
            return
        }
        while !Task.isCancelled && !Task.isShuttingDownGracefully {
            if let listening = wakeUps, listening.isListening {
                await cancelWhenGracefulShutdown { await listening.next(atMost: fallbackInterval) }
                if Task.isCancelled || Task.isShuttingDownGracefully { break }   // the service is stopping
            } else {
                // The connection the wake-ups came on was lost: poll until a new one listens.
                wakeUps?.close()
                do { try await cancelWhenGracefulShutdown { try await Task.sleep(for: interval) } } catch { return }
                wakeUps = listen()
            }
            follow()
        }
        wakeUps?.close()
    }

    private func listen() -> ChangeWakeUps? {
        do {
            return try index.changeWakeUps()
        } catch {
            logger.error("cannot listen for other writers' changes; polling", metadata: ["error": "\(type(of: error))"])
            return nil
        }
    }

    private func follow() {
        do {
            // A backlog (after a restart, or a burst) is read a thousand entries at a time.
            while try index.followChanges(limit: 1000) == 1000 {}
        } catch {
            // The index goes on answering from what it holds; the next turn tries again. No patient data here.
            logger.error("following other writers failed; trying again", metadata: ["error": "\(type(of: error))"])
        }
    }
}
