public import Logging
public import ServiceLifecycle

/// Keeps the live index in step with other writers of the same store: with several `mpi serve`
/// replicas on one PostgreSQL database, each applies the registrations, updates, merges and steward
/// decisions the others commit, read from the outbox after its place (`IdentityIndex.followChanges`).
/// A sequence number per entry means nothing is missed or applied twice, whenever the follower looks.
/// It looks every `interval` (200 ms by default), so another replica's acknowledged registration is
/// answered here within about that time; link runs are the `StoreWatcher`'s.
public struct ChangeFollower: Service {
    let index: IdentityIndex
    let interval: Duration
    let logger: Logger

    public init(index: IdentityIndex, interval: Duration = .milliseconds(200), logger: Logger) {
        self.index = index
        self.interval = interval
        self.logger = logger
    }

    public func run() async throws {
        await everyInterval(interval) {
            do {
                // A backlog (after a restart, or a burst) is read a thousand entries at a time.
                while try index.followChanges(limit: 1000) == 1000 {}
            } catch {
                // The index goes on answering from what it holds; the next turn tries again. No patient data here.
                logger.error("following other writers failed; trying again", metadata: ["error": "\(type(of: error))"])
            }
        }
    }
}
