import MPICore
import Foundation
import MPIStore
public import NIOCore

/// One JSON-lines connection: reads request lines, answers each with one line. Holds which client
/// has authenticated on this connection. Protocol in docs/protocol.md.
///
/// `@unchecked Sendable`: a session belongs to one connection, whose loop hands it one line at a time,
/// to the writer thread for a change (`changesIdentity`), and awaits the answer before the next.
public final class JSONLinesSession: @unchecked Sendable {
    private let index: IdentityIndex
    private let registry: ClientRegistry
    private let limiter: ConnectionLimiter
    private(set) var client: Client?
    /// The refusal of the request in hand, if it was refused.
    private var lastRefusal: (reason: Refusal, actor: String)?
    private let decoder = JSONDecoder()
    private let encoder: JSONEncoder = {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        return encoder
    }()

    public init(index: IdentityIndex, registry: ClientRegistry, limiter: ConnectionLimiter) {
        self.index = index
        self.registry = registry
        self.limiter = limiter
    }

    deinit {
        if let client { limiter.release(client.name) }
    }

    /// The name the audit trail and logs know this connection's client by.
    public var clientName: String? { client?.name }

    struct Request: Decodable {
        var id: RequestId?
        var op: String?
        var token: String?
        var identifier: IdentifierValue?
        var demographics: PatientDemographics?
        var limit: Int?
        var source: String?
        var recordId: String?
        var survivor: String?
        var retired: String?
    }

    /// A request id as the client sent it: a string or a number, echoed unchanged.
    enum RequestId: Codable, Hashable {
        case text(String)
        case number(Double)

        init(from decoder: any Decoder) throws {
            let container = try decoder.singleValueContainer()
            if let number = try? container.decode(Double.self) { self = .number(number) } else { self = .text(try container.decode(String.self)) }
        }

        func encode(to encoder: any Encoder) throws {
            var container = encoder.singleValueContainer()
            switch self {
            case .text(let text): try container.encode(text)
            case .number(let number):
                if number == number.rounded(), abs(number) < 1e15 { try container.encode(Int64(number)) } else { try container.encode(number) }
            }
        }
    }

    struct IdentifierValue: Decodable {
        var domain: String
        var value: String
    }

    struct Response<Result: Encodable>: Encodable {
        var id: RequestId?
        var ok: Bool
        var result: Result?
        var error: ErrorBody?
    }

    struct ErrorBody: Encodable {
        var code: ServiceError.Code
        var message: String
    }

    struct Empty: Encodable {}

    /// What a request did, for the log (never its demographics).
    public struct Handled: Sendable {
        public var operation: String
        public var errorCode: String?
        /// Set when the request was refused: why, and the client (or "unauthenticated") refused.
        public var refusal: (reason: Refusal, actor: String)? = nil
    }

    /// Whether a request line may change identities (register, update, merge) and so wait on the store's
    /// write lock. A byte search, not a parse: a lookup that merely mentions one of those words runs on
    /// the writer thread too, which costs it a thread hop and nothing else.
    public static func changesIdentity(_ line: ByteBuffer) -> Bool {
        line.withUnsafeReadableBytes { bytes in
            // Every change operation's name starts a quoted word with r, u or m: test only there.
            guard bytes.count > 8 else { return false }
            for index in 0..<(bytes.count - 6) where bytes[index] == UInt8(ascii: "\"") {
                let next = bytes[index + 1]
                guard next == UInt8(ascii: "r") || next == UInt8(ascii: "u") || next == UInt8(ascii: "m") else { continue }
                for word in changeOperations where index + word.count <= bytes.count {
                    if (0..<word.count).allSatisfy({ bytes[index + $0] == word[$0] }) { return true }
                }
            }
            return false
        }
    }

    private static let changeOperations = [#""register""#, #""update""#, #""merge""#].map { Array($0.utf8) }

    /// Answers one request line. Never throws: every failure is an error answer.
    public func handle(_ line: ByteBuffer) -> (response: ByteBuffer, handled: Handled) {
        var request: Request
        do {
            request = try decoder.decode(Request.self, from: Data(line.readableBytesView))
        } catch {
            return (answer(nil, failure: ServiceError(.invalidRequest, "the line is not a JSON request object")), Handled(operation: "?", errorCode: "invalid_request"))
        }
        let operation = request.op ?? ""
        lastRefusal = nil
        do {
            let bytes = try perform(&request, operation: operation)
            return (bytes, Handled(operation: operation, errorCode: nil))
        } catch let error as ServiceError {
            return (answer(request.id, failure: error), Handled(operation: operation, errorCode: error.code.rawValue, refusal: lastRefusal))
        } catch {
            let failure = ServiceError(.internalError, "the request could not be completed; nothing was changed")
            return (answer(request.id, failure: failure), Handled(operation: operation, errorCode: failure.code.rawValue))
        }
    }

    private func perform(_ request: inout Request, operation: String) throws -> ByteBuffer {
        switch operation {
        case "ping":
            struct Health: Encodable { let status: String; let records: Int; let modelVersion: Int64? }
            return try answer(request.id, Health(status: "ready", records: index.recordCount, modelVersion: index.modelVersion))
        case "authenticate":
            guard let token = request.token, let found = registry.client(token: token) else {
                throw refused(actor: "unauthenticated", .unauthenticated, operation: operation, detail: [:],
                              ServiceError(.unauthenticated, "the token is not a known client's"))
            }
            if client?.name != found.name {
                guard limiter.acquire(found) else {
                    throw refused(actor: found.name, .tooManyConnections, operation: operation, detail: [:],
                                  ServiceError(.forbidden, "client \(found.name) already has its maximum number of connections open"))
                }
                if let previous = client { limiter.release(previous.name) }
                client = found
            }
            struct Authenticated: Encodable { let client: String; let permissions: [Permission] }
            return try answer(request.id, Authenticated(client: found.name, permissions: found.permissions))
        case "resolve":
            let client = try authorised(.resolve, operation)
            guard let identifier = request.identifier else { throw ServiceError(.invalidRequest, "resolve needs an identifier {domain, value}") }
            let persons = index.resolve(try self.identifier(identifier), actor: client.name)
            guard !persons.isEmpty else { throw ServiceError(.unknownIdentifier, "no person holds that identifier") }
            struct Resolved: Encodable { let persons: [IdentityIndex.Person] }
            return try answer(request.id, Resolved(persons: persons))
        case "match":
            let client = try authorised(.match, operation)
            guard let demographics = request.demographics, !demographics.isEmpty else {
                throw ServiceError(.invalidRequest, "match needs demographics with at least one of given, family, dateOfBirth, nhsNumber, postcode")
            }
            let limit = min(max(request.limit ?? 10, 1), 100)
            struct Matched: Encodable { let candidates: [IdentityIndex.Candidate] }
            return try answer(request.id, Matched(candidates: try index.match(demographics, limit: limit, actor: client.name)))
        case "register", "update":
            let client = try authorised(.register, operation)
            guard let source = request.source, let recordId = request.recordId, !recordId.isEmpty, let demographics = request.demographics else {
                throw ServiceError(.invalidRequest, "\(operation) needs source, recordId and demographics")
            }
            try ownSource(source, client, operation)
            if operation == "update", !index.holds(RecordKey(source: source, recordId: recordId)) {
                throw ServiceError(.unknownIdentifier, "update of a record the index does not hold: register it")
            }
            return try answer(request.id, try index.register(source: source, recordId: recordId, demographics: demographics, actor: client.name))
        case "merge":
            let client = try authorised(.register, operation)
            guard let source = request.source, let survivor = request.survivor, let retired = request.retired, survivor != retired else {
                throw ServiceError(.invalidRequest, "merge needs source, survivor and retired (two different record ids)")
            }
            try ownSource(source, client, operation)
            struct Merged: Encodable { let person: IdentityIndex.Person }
            return try answer(request.id, Merged(person: try index.merge(survivor: RecordKey(source: source, recordId: survivor),
                                                                         retired: RecordKey(source: source, recordId: retired), actor: client.name)))
        case "":
            throw ServiceError(.invalidRequest, "the request has no op")
        default:
            throw ServiceError(.unknownOperation, "unknown op: use ping, authenticate, resolve, match, register, update or merge")
        }
    }

    private func authorised(_ permission: Permission, _ operation: String) throws -> Client {
        guard let client else {
            throw refused(actor: "unauthenticated", .unauthenticated, operation: operation, detail: [:],
                          ServiceError(.unauthenticated, "authenticate first: {\"op\":\"authenticate\",\"token\":...}"))
        }
        guard client.may(permission) else {
            throw refused(actor: client.name, .forbidden, operation: operation, detail: ["permission": permission.rawValue],
                          ServiceError(.forbidden, "client \(client.name) may not \(permission.rawValue)"))
        }
        return client
    }

    private func ownSource(_ source: String, _ client: Client, _ operation: String) throws {
        guard client.source == source else {
            throw refused(actor: client.name, .otherDomain, operation: operation, detail: ["domain": source],
                          ServiceError(.forbidden, "client \(client.name) may only register records of its own source (\(client.source ?? "none"))"))
        }
    }

    /// Audits a refusal (the client, or "unauthenticated", the operation and why; never a token or the
    /// request's demographics) and notes it for the connection's log line; returns the error to throw.
    private func refused(actor: String, _ reason: Refusal, operation: String, detail: [String: String], _ error: ServiceError) -> ServiceError {
        index.audit.recordRefusal(actor: actor, reason, protocol: "json", detail: detail.merging(["operation": operation]) { $1 })
        lastRefusal = (reason, actor)
        return error
    }

    private func identifier(_ value: IdentifierValue) throws -> IdentityIndex.Identifier {
        guard let domain = registry.domain(named: value.domain) else {
            throw ServiceError(.unknownDomain, "unknown identifier domain \(value.domain)")
        }
        switch domain.kind {
        case .source: return .record(RecordKey(source: domain.name, recordId: value.value))
        case .nhsNumber: return .nhsNumber(value.value)
        case .enterprise:
            guard let id = EnterpriseID(value.value) else { throw ServiceError(.unknownIdentifier, "not a valid enterprise id (check character)") }
            return .enterprise(id)
        }
    }

    private func answer<Result: Encodable>(_ id: RequestId?, _ result: Result) throws -> ByteBuffer {
        var data = try encoder.encode(Response(id: id, ok: true, result: result, error: nil))
        data.append(0x0A)
        return ByteBuffer(bytes: data)
    }

    private func answer(_ id: RequestId?, failure: ServiceError) -> ByteBuffer {
        var data = (try? encoder.encode(Response<Empty>(id: id, ok: false, result: nil, error: ErrorBody(code: failure.code, message: failure.message))))
            ?? Data(#"{"ok":false,"error":{"code":"internal_error","message":"unencodable answer"}}"#.utf8)
        data.append(0x0A)
        return ByteBuffer(bytes: data)
    }
}
