internal import Foundation
internal import Logging
internal import MPIStore
internal import NIOCore
internal import NIOPosix
internal import NIOSSL
internal import PostgresNIO

/// The store's connections to one PostgreSQL database: opened when first needed, up to
/// `location.poolSize`, kept open and lent out one operation at a time.
///
/// The store's interface is synchronous (the SQLite backend's is, and the link run and the service
/// call it from threads of their own), so an operation waits for its queries with
/// `EventLoopFuture.wait()`. The futures complete on NIO's event loops, never on Swift's cooperative
/// pool, so a caller blocking on one cannot starve the thing it waits for.
final class ConnectionPool: @unchecked Sendable {
    let location: PostgresLocation
    private let configuration: PostgresConnection.Configuration
    /// postgres-nio logs queries with their values at debug level: its logger prints nothing, so no
    /// patient's values reach a log.
    private let logger = Logger(label: "mpi.postgres", factory: { _ in SwiftLogNoOpLogHandler() })
    private let group = MultiThreadedEventLoopGroup.singleton

    // Guarded by `condition`.
    private let condition = NSCondition()
    private var idle: [PostgresConnection] = []
    private var open = 0
    private var nextId = 0
    private var closed = false

    init(location: PostgresLocation) throws {
        self.location = location
        let tls: PostgresConnection.Configuration.TLS
        switch location.tls {
        case .disable:
            tls = .disable
        case .prefer:
            // As libpq: encrypted when the server offers it, its certificate not checked.
            var client = TLSConfiguration.makeClientConfiguration()
            client.certificateVerification = .none
            tls = .prefer(try NIOSSLContext(configuration: client))
        case .require, .verifyFull:
            var client = TLSConfiguration.makeClientConfiguration()
            client.certificateVerification = location.tls == .verifyFull ? .fullVerification : .noHostnameVerification
            tls = .require(try NIOSSLContext(configuration: client))
        }
        configuration = PostgresConnection.Configuration(host: location.host, port: location.port, username: location.user,
                                                         password: location.password, database: location.database, tls: tls)
    }

    /// Lends a connection to `body`, opening one when none is idle and the pool has room, else
    /// waiting for one to come back. A connection that failed is closed rather than lent again.
    func withConnection<Value>(_ body: (PostgresSession) throws -> Value) throws -> Value {
        let connection = try borrow()
        defer { giveBack(connection) }
        return try body(PostgresSession(connection: connection, logger: logger))
    }

    /// A connection of its own, outside the pool, for a session-level lock held for as long as a
    /// claim lasts (`claimDelivery`): the caller closes it, and with it the lock.
    func dedicatedSession() throws -> PostgresSession {
        do {
            let connection = try PostgresConnection.connect(on: group.any(), configuration: configuration, id: 0, logger: logger).wait()
            return PostgresSession(connection: connection, logger: logger)
        } catch {
            throw StoreError(connecting: error, to: location)
        }
    }

    private func borrow() throws -> PostgresConnection {
        condition.lock()
        while true {
            if closed { condition.unlock(); throw StoreError.database("the store is closed") }
            if let connection = idle.popLast() {
                condition.unlock()
                if connection.isClosed { condition.lock(); open -= 1; continue }
                return connection
            }
            if open < location.poolSize { break }
            condition.wait()
        }
        open += 1
        nextId += 1
        let id = nextId
        condition.unlock()
        do {
            return try PostgresConnection.connect(on: group.any(), configuration: configuration, id: id, logger: logger).wait()
        } catch {
            condition.lock()
            open -= 1
            condition.signal()
            condition.unlock()
            throw StoreError(connecting: error, to: location)
        }
    }

    private func giveBack(_ connection: PostgresConnection) {
        condition.lock()
        if connection.isClosed || closed {
            open -= 1
            if !connection.isClosed { let _: EventLoopFuture<Void> = connection.close() }
        } else {
            idle.append(connection)
        }
        condition.signal()
        condition.unlock()
    }

    /// Closes every idle connection; connections lent out close when they come back.
    func close() {
        condition.lock()
        closed = true
        let connections = idle
        idle = []
        open -= connections.count
        condition.broadcast()
        condition.unlock()
        for connection in connections { try? connection.close().wait() }
    }

    // MARK: transactions

    /// A read-only transaction that sees one moment of the database (REPEATABLE READ): a snapshot as
    /// consistent as SQLite's read transaction.
    func reading<Value>(_ body: (PostgresSession) throws -> Value) throws -> Value {
        try transaction("BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY", retries: 0, body)
    }

    /// A write transaction: all of `body` or none of it. A deadlock or a serialization failure
    /// between two writers rolls it back and runs it again (up to five times), so `body` must do
    /// nothing but database work.
    func writing<Value>(_ body: (PostgresSession) throws -> Value) throws -> Value {
        try transaction("BEGIN", retries: 5, body)
    }

    private func transaction<Value>(_ begin: String, retries: Int, _ body: (PostgresSession) throws -> Value) throws -> Value {
        var attempt = 0
        while true {
            do {
                return try withConnection { session in
                    try session.execute(PostgresQuery(unsafeSQL: begin))
                    do {
                        let value = try body(session)
                        try session.execute("COMMIT")
                        return value
                    } catch {
                        // A broken connection is closed by the pool; otherwise the transaction is undone here.
                        if !session.connection.isClosed { _ = try? session.execute("ROLLBACK") }
                        throw error
                    }
                }
            } catch let error as PSQLError where attempt < retries && error.isRetryable {
                attempt += 1
                Thread.sleep(forTimeInterval: Double.random(in: 0.001...0.02) * Double(attempt))
            } catch {
                throw StoreError(wrapping: error, at: location)
            }
        }
    }
}

/// One borrowed connection, with the few ways the store talks to the server.
struct PostgresSession: Sendable {
    let connection: PostgresConnection
    let logger: Logger

    /// Closes a dedicated session's connection (`ConnectionPool.dedicatedSession`), and waits: a
    /// connection must be closed before its last reference goes.
    func closeConnection() {
        try? connection.close().wait()
    }

    /// Runs a statement and returns how many rows it changed.
    @discardableResult
    func execute(_ query: PostgresQuery) throws -> Int {
        try connection.query(query, logger: logger).wait().metadata.rows ?? 0
    }

    /// Runs a query and returns its rows.
    func rows(_ query: PostgresQuery) throws -> [PostgresRow] {
        try connection.query(query, logger: logger).wait().rows
    }

    /// The first column of the first row, or nil when there is no row or it is NULL.
    func value<Value: PostgresDecodable>(_ query: PostgresQuery, as type: Value.Type = Value.self) throws -> Value?
    where Value._DecodableType == Value {
        guard let row = try rows(query).first else { return nil }
        return try row.decode(Value?.self)
    }

    /// A statement that joins a few thousand keys (bound as arrays and unnested) against `record`,
    /// for the rest of this transaction, goes through the table's indexes row by row. Left to itself
    /// the planner reads the whole table into a hash for each chunk of keys (its default costs assume
    /// every index probe reads the disk): 380 ms for 20,000 keys on a million records, where the probes
    /// take under 100. The SELECTs also name their plan (`CROSS JOIN LATERAL (... LIMIT 1)`: one probe
    /// per key); an UPDATE ... FROM cannot, so this is what keeps it on the index. Both need the
    /// table's statistics: imports and whole-store runs ANALYZE what they wrote (without, the planner
    /// took a just-filled table for a small one and scanned it once per key).
    func preferIndexProbes() throws {
        try execute("SET LOCAL enable_hashjoin = off")
        try execute("SET LOCAL enable_mergejoin = off")
    }

    /// Streams a query's rows through a server-side cursor, `batch` at a time, so a million rows are
    /// never held at once. Only inside a transaction (a cursor lives in one).
    func forEachRow(_ sql: PostgresQuery, batch: Int = 20_000, _ body: (PostgresRow) throws -> Void) throws {
        var declare = sql
        declare.sql = "DECLARE mpi_scan NO SCROLL CURSOR FOR " + sql.sql
        try execute(declare)
        // The next batch is asked for before this one is decoded, so the server reads it meanwhile.
        let fetch = PostgresQuery(unsafeSQL: "FETCH FORWARD \(batch) FROM mpi_scan")
        var next = connection.query(fetch, logger: logger)
        while true {
            let rows = try next.wait().rows
            if rows.count == batch { next = connection.query(fetch, logger: logger) }
            for row in rows { try body(row) }
            if rows.count < batch { break }
        }
        try execute("CLOSE mpi_scan")
    }

    /// Runs one query per chunk and hands every row to `body`, chunk by chunk, asking for the next
    /// chunk's rows before decoding this one's, so the server's index probes and this side's decoding
    /// overlap (the keyed reads of an incremental run: scope persons, their members, their records).
    func forEachRow<Chunk>(ofChunks chunks: [Chunk], _ query: (Chunk) -> PostgresQuery, _ body: (PostgresRow) throws -> Void) throws {
        guard let first = chunks.first else { return }
        var next = connection.query(query(first), logger: logger)
        for index in chunks.indices {
            let rows = try next.wait().rows
            if index + 1 < chunks.endIndex { next = connection.query(query(chunks[index + 1]), logger: logger) }
            for row in rows { try body(row) }
        }
    }

    /// Sends many statements without waiting for each answer (the protocol's pipelining), then waits
    /// for all: a few thousand small writes cost one round trip's latency, not thousands.
    func pipeline(_ queries: [PostgresQuery]) throws {
        var pending: [EventLoopFuture<PostgresQueryResult>] = []
        pending.reserveCapacity(min(queries.count, 1000))
        for query in queries {
            pending.append(connection.query(query, logger: logger))
            if pending.count == 1000 {
                for future in pending { _ = try future.wait() }
                pending.removeAll(keepingCapacity: true)
            }
        }
        for future in pending { _ = try future.wait() }
    }

    /// `COPY table (columns) FROM STDIN` in PostgreSQL's text format: `row(i, &text)` writes row `i`
    /// of `count` (see `CopyText`), sent about a megabyte at a time. postgres-nio offers COPY only as
    /// an async call; it runs on the calling thread through `BlockingTaskRunner`.
    func copy(into table: String, columns: [String], count: Int, row: @escaping @Sendable (Int, inout CopyText) -> Void) throws {
        let connection = connection, logger = logger
        try BlockingTaskRunner.run {
            try await connection.copyFrom(table: table, columns: columns, logger: logger) { writer in
                var text = CopyText()
                for index in 0..<count {
                    row(index, &text)
                    text.endRow()
                    if text.buffer.readableBytes >= 1 << 20 {
                        try await writer.write(text.buffer)
                        text.buffer.clear()
                    }
                }
                if text.buffer.readableBytes > 0 { try await writer.write(text.buffer) }
            }
        }
    }
}

/// Rows for COPY's text format: columns apart by tabs, rows ending in a newline, `\N` for NULL, and
/// backslash, tab, newline and carriage return escaped in values.
struct CopyText {
    var buffer = ByteBuffer()
    private var firstColumn = true

    mutating func text(_ value: String) {
        separate()
        for byte in value.utf8 {
            switch byte {
            case UInt8(ascii: "\\"): buffer.writeStaticString("\\\\")
            case UInt8(ascii: "\t"): buffer.writeStaticString("\\t")
            case UInt8(ascii: "\n"): buffer.writeStaticString("\\n")
            case UInt8(ascii: "\r"): buffer.writeStaticString("\\r")
            default: buffer.writeInteger(byte)
            }
        }
    }

    mutating func integer(_ value: Int64) {
        separate()
        buffer.writeString(String(value))
    }

    mutating func boolean(_ value: Bool) {
        separate()
        buffer.writeStaticString(value ? "t" : "f")
    }

    /// A bytea value in hex (`\x...`, its backslash escaped for COPY).
    mutating func bytes(_ value: [UInt8]) {
        separate()
        buffer.writeStaticString("\\\\x")
        let digits: StaticString = "0123456789abcdef"
        digits.withUTF8Buffer { hex in
            buffer.reserveCapacity(minimumWritableBytes: value.count * 2)
            for byte in value {
                buffer.writeInteger(hex[Int(byte >> 4)])
                buffer.writeInteger(hex[Int(byte & 0x0F)])
            }
        }
    }

    mutating func null() {
        separate()
        buffer.writeStaticString("\\N")
    }

    mutating func endRow() {
        buffer.writeInteger(UInt8(ascii: "\n"))
        firstColumn = true
    }

    private mutating func separate() {
        if !firstColumn { buffer.writeInteger(UInt8(ascii: "\t")) }
        firstColumn = false
    }
}

extension PSQLError {
    /// Deadlock or serialization failure: the transaction may simply be run again.
    var isRetryable: Bool {
        guard let state = serverInfo?[.sqlState] else { return false }
        return state == "40001" || state == "40P01"
    }
}

extension StoreError {
    /// The store's error for a PostgreSQL failure: the server's message and SQLSTATE, never a query's
    /// values (the server's `detail` field can quote them, so it is left out).
    init(wrapping error: any Error, at location: PostgresLocation) {
        if let error = error as? StoreError { self = error; return }
        guard let error = error as? PSQLError else { self = .database(String(describing: error)); return }
        if let info = error.serverInfo {
            let state = info[.sqlState] ?? ""
            let message = "\(info[.message] ?? "server error") (SQLSTATE \(state))"
            switch state {
            case "40001", "40P01", "55P03", "57014": self = .busy
            case "53100", "25006", "42501": self = .cannotWrite(message)
            case "XX001", "XX002": self = .damaged(message)
            default: self = .database(message)
            }
        } else {
            self = .database("connection to \(location) failed: \(error.code)")
        }
    }

    init(connecting error: any Error, to location: PostgresLocation) {
        if let error = error as? PSQLError, let message = error.serverInfo?[.message] {
            self = .database("cannot connect to \(location): \(message)")
        } else if let error = error as? PSQLError {
            self = .database("cannot connect to \(location): \(error.code)")
        } else {
            self = .database("cannot connect to \(location): \(error)")
        }
    }
}

extension PostgresRow {
    /// The row's columns, each decoded on its own. `decode((String, String, Int64).self)` looks up the
    /// tuple type's generic metadata on every row: a tenth of this side's time in a million-row read
    /// (clusters.csv after an incremental run, a replica's start), where the reads below take none.
    func columns<A: PostgresDecodable, B: PostgresDecodable>(_ a: A.Type, _ b: B.Type) throws -> (A, B) {
        var cells = makeIterator()
        return (try Self.decode(cells.next(), as: a), try Self.decode(cells.next(), as: b))
    }

    func columns<A: PostgresDecodable, B: PostgresDecodable, C: PostgresDecodable>(_ a: A.Type, _ b: B.Type, _ c: C.Type) throws -> (A, B, C) {
        var cells = makeIterator()
        return (try Self.decode(cells.next(), as: a), try Self.decode(cells.next(), as: b), try Self.decode(cells.next(), as: c))
    }

    private static func decode<Value: PostgresDecodable>(_ cell: PostgresCell?, as type: Value.Type) throws -> Value {
        guard let cell else { throw StoreError.corruptRecord }
        return try cell.decode(type)
    }
}
