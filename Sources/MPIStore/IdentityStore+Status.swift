internal import Foundation
internal import GRDB

/// What a store holds, for `mpi status`: counts only, never a value.
public struct StoreStatus: Sendable, Hashable, Codable {
    public var activeRecords = 0
    public var inactiveRecords = 0
    public var waitingToBeLinked = 0
    /// Linked records whose link keys are missing or stale are counted by the next link run; this is
    /// those with none stored.
    public var withoutLinkKeys = 0
    public var persons = 0
    public var retiredIds = 0
    public var reviewItems = 0
    public var decisions = 0
    public var latestModelVersion: Int64?
    public var latestLinkRunAt: String?
    /// Entries in the outbox of identity changes, and where each subscriber the service has sent to stands.
    public var outboxEntries: Int64 = 0
    public var subscribers: [SubscriberProgress] = []
    public var storeBytes: Int64 = 0
    public var lookupLogBytes: Int64 = 0

    package init() {}
}

extension IdentityStore {
    public func status() throws -> StoreStatus {
        var status = try reading { db in
            var status = StoreStatus()
            for row in try Row.fetchAll(db, sql: """
                SELECT active, needs_link, link_keys IS NULL, count(*) FROM record GROUP BY active, needs_link, link_keys IS NULL
                """) {
                let count: Int = row[3]
                if row[0] as Bool {
                    status.activeRecords += count
                    if row[1] as Bool { status.waitingToBeLinked += count } else if row[2] as Bool { status.withoutLinkKeys += count }
                } else {
                    status.inactiveRecords += count
                }
            }
            status.persons = try Int.fetchOne(db, sql: "SELECT count(*) FROM person WHERE retired_into IS NULL") ?? 0
            status.retiredIds = try Int.fetchOne(db, sql: "SELECT count(*) FROM person WHERE retired_into IS NOT NULL") ?? 0
            status.reviewItems = try Int.fetchOne(db, sql: "SELECT count(*) FROM review_item") ?? 0
            status.decisions = try Int.fetchOne(db, sql: "SELECT count(*) FROM decision") ?? 0
            if let row = try Row.fetchOne(db, sql: "SELECT id, created_at FROM model_version ORDER BY id DESC LIMIT 1") {
                status.latestModelVersion = row[0]
                status.latestLinkRunAt = row[1]
            }
            status.outboxEntries = try Int64.fetchOne(db, sql: "SELECT max(sequence) FROM outbox") ?? 0
            return status
        }
        status.subscribers = try subscriberProgress()
        func bytes(_ path: String) -> Int64 {
            ((try? FileManager.default.attributesOfItem(atPath: path)[.size]) as? NSNumber)?.int64Value ?? 0
        }
        status.storeBytes = bytes(pool.path) + bytes(pool.path + "-wal")
        status.lookupLogBytes = bytes(lookups.pool.path) + bytes(lookups.pool.path + "-wal")
        return status
    }
}
