internal import Dispatch
public import Logging
public import ServiceLifecycle

/// Keeps the live index in step with link runs made by other processes. `mpi link --db` on the
/// store the service is serving commits new persons (merges, splits, new records linked); the watcher
/// notices the new model version and reloads the index (`IdentityIndex.reload`), so the service never
/// goes on answering with persons a link run has replaced. Lookups and registrations go on during the
/// reload; the load runs on a thread of its own, off the request tasks.
public struct StoreWatcher: Service {
    let index: IdentityIndex
    let interval: Duration
    let logger: Logger

    public init(index: IdentityIndex, interval: Duration = .seconds(5), logger: Logger) {
        self.index = index
        self.interval = interval
        self.logger = logger
    }

    public func run() async throws {
        await everyInterval(interval) {
            do {
                guard try index.storeHasNewerLinkRun() else { return }
                let clock = ContinuousClock.now
                try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<Void, any Error>) in
                    DispatchQueue.global().async {
                        continuation.resume(with: Result { try index.reload() })
                    }
                }
                logger.info("index reloaded after a link run", metadata: [
                    "records": "\(index.recordCount)", "modelVersion": "\(index.modelVersion ?? 0)",
                    "seconds": "\((ContinuousClock.now - clock).components.seconds)"])
            } catch {
                // The old index goes on answering; the next turn tries again. No patient data here.
                logger.error("index reload failed; still serving the index loaded before", metadata: ["error": "\(type(of: error))"])
            }
        }
    }
}

/// Runs `turn` every `interval` until the service group stops the service (cancelled, or shutting
/// down gracefully): the loop of the services that keep the index in step with the store.
func everyInterval(_ interval: Duration, _ turn: () async -> Void) async {
    while !Task.isCancelled && !Task.isShuttingDownGracefully {
        do {
            try await cancelWhenGracefulShutdown { try await Task.sleep(for: interval) }
        } catch {
            return   // the service is stopping
        }
        await turn()
    }
}
