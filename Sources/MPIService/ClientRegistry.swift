import MPICore
public import MPIStore
import Crypto
import Foundation

/// An identifier domain (an HL7 assigning authority): a trust's local numbers, the NHS number, or
/// our enterprise id.
public struct IdentifierDomain: Sendable, Hashable, Codable {
    public enum Kind: String, Sendable, Hashable, Codable {
        /// A source's own record ids; the domain's name is the source code.
        case source
        case nhsNumber
        case enterprise
    }

    /// The namespace id (CX-4.1), e.g. "R1K", "NHS", "MPI".
    public var name: String
    /// The universal id (CX-4.2), usually an OID; optional.
    public var universalId: String?
    public var kind: Kind
    /// The FHIR identifier system (a URI) of this domain. Absent: the NHS number's is
    /// `https://fhir.nhs.uk/Id/nhs-number`; another domain's is `urn:oid:` and its universal id, or
    /// `urn:mpi:domain:` and its name.
    public var fhirSystem: String?

    public init(name: String, universalId: String? = nil, kind: Kind, fhirSystem: String? = nil) {
        self.name = name
        self.universalId = universalId
        self.kind = kind
        self.fhirSystem = fhirSystem
    }

    /// The FHIR identifier system this domain's values are given under.
    public var system: String {
        if let fhirSystem { return fhirSystem }
        if kind == .nhsNumber { return "https://fhir.nhs.uk/Id/nhs-number" }
        if let universalId, !universalId.isEmpty { return "urn:oid:" + universalId }
        return "urn:mpi:domain:" + name
    }
}

/// What a client may do.
public enum Permission: String, Sendable, Hashable, Codable, CaseIterable {
    /// resolve identifiers (JSON `resolve`, HL7 PIX query).
    case resolve
    /// search by demographics (JSON `match`, HL7 PDQ query).
    case match
    /// register, update and merge records of the client's own source (JSON, HL7 identity feed).
    case register
}

/// A system allowed to connect, from the clients file.
public struct Client: Sendable, Hashable, Codable {
    public var name: String
    /// Hex SHA-256 of the client's JSON-lines token (the token itself is never stored).
    public var tokenSHA256: String?
    public var permissions: [Permission]
    /// The source (identifier domain) whose records this client may register.
    public var source: String?
    /// The HL7 sending application/facility pairs (MSH-3/MSH-4) this client sends as.
    public var hl7Senders: [HL7Sender]?
    /// At most this many open connections at once.
    public var maximumConnections: Int?

    public struct HL7Sender: Sendable, Hashable, Codable {
        public var application: String
        public var facility: String

        public init(application: String, facility: String) {
            self.application = application
            self.facility = facility
        }
    }

    public init(name: String, tokenSHA256: String?, permissions: [Permission], source: String?, hl7Senders: [HL7Sender]?,
                maximumConnections: Int?) {
        self.name = name
        self.tokenSHA256 = tokenSHA256
        self.permissions = permissions
        self.source = source
        self.hl7Senders = hl7Senders
        self.maximumConnections = maximumConnections
    }

    public func may(_ permission: Permission) -> Bool { permissions.contains(permission) }
}

/// A system told of identity changes over MLLP (docs/protocol.md, "Notifications"): where it
/// listens, in which message profile, which events and which identifier domains it wants.
public struct Subscriber: Sendable, Hashable, Codable {
    public enum Profile: String, Sendable, Hashable, Codable {
        /// IHE PIX Update Notification (ITI-10): ADT^A31 with the person's identifiers whenever its
        /// cross-reference changes (created, updated, merged, split).
        case iti10 = "ITI-10"
        /// HL7 v2.5 ADT: A40 for a merge, A24 for a steward's link, A37 for an unlink, A31 otherwise.
        case adt = "ADT"
    }

    public var name: String
    /// HOST:PORT of the subscriber's MLLP listener.
    public var endpoint: String
    public var profile: Profile
    /// The events it wants; absent: the profile's own (ITI-10: created, updated, merged, split; ADT:
    /// merged, linked, unlinked).
    public var events: [IdentityChange.Event]?
    /// MSH-5 and MSH-6 of the messages sent to it.
    public var receivingApplication: String?
    public var receivingFacility: String?
    /// The identifier domains (names from `domains`) listed in PID-3; absent: every domain.
    public var domains: [String]?

    public init(name: String, endpoint: String, profile: Profile, events: [IdentityChange.Event]? = nil,
                receivingApplication: String? = nil, receivingFacility: String? = nil, domains: [String]? = nil) {
        self.name = name
        self.endpoint = endpoint
        self.profile = profile
        self.events = events
        self.receivingApplication = receivingApplication
        self.receivingFacility = receivingFacility
        self.domains = domains
    }

    /// The events sent to it.
    public var wantedEvents: Set<IdentityChange.Event> {
        if let events { return Set(events) }
        switch profile {
        case .iti10: return [.created, .updated, .merged, .split]
        case .adt: return [.merged, .linked, .unlinked]
        }
    }
}

/// The clients file (`--clients clients.json`): identifier domains, clients, and the subscribers told
/// of identity changes. Documented in docs/protocol.md.
public struct ClientRegistry: Sendable, Codable {
    public var domains: [IdentifierDomain]
    public var clients: [Client]
    public var subscribers: [Subscriber]?

    public init(domains: [IdentifierDomain], clients: [Client], subscribers: [Subscriber]? = nil) {
        self.domains = domains
        self.clients = clients
        self.subscribers = subscribers
    }

    public static func load(path: String) throws -> ClientRegistry {
        let data: Data
        do { data = try Data(contentsOf: URL(fileURLWithPath: path)) } catch {
            throw ServiceError(.invalidRequest, "cannot read the clients file \(path)")
        }
        let registry: ClientRegistry
        do { registry = try JSONDecoder().decode(ClientRegistry.self, from: data) } catch {
            throw ServiceError(.invalidRequest, "the clients file \(path) is not valid: \(error)")
        }
        for problem in registry.problems() { throw ServiceError(.invalidRequest, "the clients file \(path): \(problem)") }
        return registry
    }

    /// Inconsistencies, as sentences.
    public func problems() -> [String] {
        var problems: [String] = []
        for client in clients {
            if let source = client.source, !domains.contains(where: { $0.kind == .source && $0.name == source }) {
                problems.append("client \(client.name): source \(source) is not a configured source domain")
            }
            if client.may(.register), client.source == nil {
                problems.append("client \(client.name): a client that registers needs its own source")
            }
            if let hash = client.tokenSHA256, hash.count != 64 || !hash.allSatisfy(\.isHexDigit) {
                problems.append("client \(client.name): tokenSHA256 must be 64 hex digits")
            }
        }
        if Set(clients.map(\.name)).count != clients.count { problems.append("client names must be unique") }
        let subscribers = subscribers ?? []
        for subscriber in subscribers {
            if ServerConfiguration.Endpoint(subscriber.endpoint) == nil {
                problems.append("subscriber \(subscriber.name): endpoint must be HOST:PORT")
            }
            for name in subscriber.domains ?? [] where domain(named: name) == nil {
                problems.append("subscriber \(subscriber.name): domain \(name) is not configured")
            }
            if subscriber.profile == .iti10, !subscriber.wantedEvents.isSubset(of: [.created, .updated, .merged, .split]) {
                problems.append("subscriber \(subscriber.name): ITI-10 tells of cross-reference changes only (created, updated, merged, split)")
            }
        }
        if Set(subscribers.map(\.name)).count != subscribers.count { problems.append("subscriber names must be unique") }
        return problems
    }

    /// The client whose token this is. Compared as hashes in constant time.
    public func client(token: String) -> Client? {
        let digest = Array(SHA256.hash(data: Data(token.utf8)))
        var found: Client? = nil
        for client in clients {
            guard let hex = client.tokenSHA256, let expected = Self.bytes(hex: hex) else { continue }
            var difference: UInt8 = 0
            for (a, b) in zip(digest, expected) { difference |= a ^ b }
            if difference == 0 { found = client }
        }
        return found
    }

    /// The client sending HL7 as this application and facility.
    public func client(application: String, facility: String) -> Client? {
        clients.first { client in (client.hl7Senders ?? []).contains { $0.application == application && $0.facility == facility } }
    }

    /// The domain an HL7 assigning authority names, by namespace id or universal id.
    public func domain(namespace: String, universalId: String) -> IdentifierDomain? {
        domains.first { domain in
            (!namespace.isEmpty && domain.name == namespace) || (!universalId.isEmpty && domain.universalId == universalId)
        }
    }

    public func domain(named name: String) -> IdentifierDomain? { domains.first { $0.name == name } }

    /// The domain a FHIR identifier system names.
    public func domain(system: String) -> IdentifierDomain? { domains.first { $0.system == system } }

    public static func tokenHash(_ token: String) -> String {
        SHA256.hash(data: Data(token.utf8)).map { String(format: "%02x", $0) }.joined()
    }

    private static func bytes(hex: String) -> [UInt8]? {
        let characters = Array(hex.utf8)
        guard characters.count % 2 == 0 else { return nil }
        var result: [UInt8] = []
        for index in stride(from: 0, to: characters.count, by: 2) {
            guard let byte = UInt8(String(decoding: characters[index...index + 1], as: UTF8.self), radix: 16) else { return nil }
            result.append(byte)
        }
        return result
    }
}
