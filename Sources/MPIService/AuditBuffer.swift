import MPIStore
import Synchronization

/// Lookup audit entries, written to the store in batches: a lookup answers from memory in
/// microseconds and a commit per lookup would cost more than the lookup. Changes (registrations,
/// merges) are audited in their own transaction instead, never through this buffer.
///
/// What is at risk: entries of the last flush interval if the process is killed (SIGKILL or power
/// loss); a graceful stop flushes everything.
public final class AuditBuffer: Sendable {
    private let store: any IdentityBackend
    private let pending = Mutex<[AuditEvent]>([])

    init(store: any IdentityBackend) {
        self.store = store
    }

    func record(actor: String, action: String, detail: [String: String]) {
        let event = AuditEvent(actor: actor, action: action, detail: detail)
        pending.withLock { $0.append(event) }
    }

    /// A refused request: who (or who it claimed to be), over which protocol, and why; never a token or
    /// the request's demographics.
    func recordRefusal(actor: String, _ reason: Refusal, protocol name: String, detail: [String: String]) {
        record(actor: actor, action: "refused", detail: detail.merging(["protocol": name, "reason": reason.rawValue]) { $1 })
    }

    /// Writes what is pending; returns how many entries were written.
    @discardableResult
    public func flush() throws -> Int {
        let events = pending.withLock { events -> [AuditEvent] in
            defer { events.removeAll(keepingCapacity: true) }
            return events
        }
        do {
            try store.appendAudit(events)
        } catch {
            pending.withLock { $0.insert(contentsOf: events, at: 0) }   // kept for the next flush
            throw error
        }
        return events.count
    }
}
