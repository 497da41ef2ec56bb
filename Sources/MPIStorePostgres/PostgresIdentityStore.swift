internal import Foundation
internal import MPICore
internal import MPIStore
internal import NIOCore
internal import PostgresNIO

/// The identity store on a PostgreSQL server: the same `IdentityBackend` as the SQLite store, with the
/// same guarantees (each change one transaction with its audit entry; one record, one person; ids never
/// reused; consistent snapshots), for deployments where several lookup services share one database.
///
/// What differs from SQLite, and why, is in docs/store.md: writers do not queue behind one lock (each
/// transaction locks the rows it changes), lookups' audit entries live in the database, outbox writers
/// take an advisory lock so entries commit in sequence order, and imports use COPY.
public final class PostgresIdentityStore: Sendable {
    let pool: ConnectionPool
    public var location: PostgresLocation { pool.location }

    /// Opens the store at `location` and checks its schema (see `PostgresSchema`). With `create`, an
    /// empty database is given the schema; otherwise an empty database is "no store here".
    public init(location: PostgresLocation, create: Bool = false) throws {
        pool = try ConnectionPool(location: location)
        do {
            try PostgresSchema.check(pool, create: create)
        } catch {
            pool.close()
            throw StoreError(wrapping: error, at: location)
        }
    }

    /// Applies the migrations the store at `location` lacks (`mpi migrate`), creating the schema in an
    /// empty database; returns their names (none when it was up to date).
    public static func migrate(_ location: PostgresLocation) throws -> [String] {
        let pool = try ConnectionPool(location: location)
        defer { pool.close() }
        do {
            let (names, otherTables) = try pool.withConnection { try PostgresSchema.applied($0) }
            if names.isEmpty && otherTables {
                throw StoreError.damaged("\(location) holds tables that are not an identity store's")
            }
            return try PostgresSchema.migrate(pool)
        } catch {
            throw StoreError(wrapping: error, at: location)
        }
    }

    /// Closes the store's connections. Later calls fail.
    public func close() { pool.close() }

    deinit { pool.close() }

    func reading<Value>(_ body: (PostgresSession) throws -> Value) throws -> Value { try pool.reading(body) }
    func writing<Value>(_ body: (PostgresSession) throws -> Value) throws -> Value { try pool.writing(body) }

    func audit(_ session: PostgresSession, actor: String, action: String, detail: String) throws {
        try session.execute("INSERT INTO audit (at, actor, action, detail) VALUES (\(IdentityStore.now()), \(actor), \(action), \(detail))")
    }

    /// A stored normalised record.
    static func normalized(_ bytes: ByteBuffer, key: RecordKey) throws -> NormalizedRecord {
        do { return try RecordCodec.decode(Array(bytes.readableBytesView), key: key) } catch { throw StoreError.corruptRecord }
    }

    static func id(_ value: Int64) -> EnterpriseID { EnterpriseID(value: UInt64(value)) }
}

/// Bulk arguments: PostgreSQL takes arrays as one parameter, and `unnest` turns them back into rows,
/// so thousands of rows go in one statement.
extension Array where Element == RecordKey {
    var sources: [String] { map(\.source) }
    var recordIds: [String] { map(\.recordId) }
}

extension Sequence {
    /// The elements in runs of at most `size`.
    func chunks(of size: Int) -> [[Element]] {
        var result: [[Element]] = [], current: [Element] = []
        current.reserveCapacity(size)
        for element in self {
            current.append(element)
            if current.count == size { result.append(current); current.removeAll(keepingCapacity: true) }
        }
        if !current.isEmpty { result.append(current) }
        return result
    }
}
