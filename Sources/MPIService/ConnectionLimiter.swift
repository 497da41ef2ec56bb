import Synchronization

/// Open connections per client, so one client cannot take every connection the server has.
public final class ConnectionLimiter: Sendable {
    private let open = Mutex<[String: Int]>([:])
    public let defaultMaximum: Int

    public init(defaultMaximum: Int = 16) {
        self.defaultMaximum = defaultMaximum
    }

    /// Counts a connection for the client; false when it already has its maximum.
    public func acquire(_ client: Client) -> Bool {
        let maximum = client.maximumConnections ?? defaultMaximum
        return open.withLock { open in
            guard open[client.name, default: 0] < maximum else { return false }
            open[client.name, default: 0] += 1
            return true
        }
    }

    public func release(_ name: String) {
        open.withLock { open in open[name] = max((open[name] ?? 1) - 1, 0) }
    }
}
