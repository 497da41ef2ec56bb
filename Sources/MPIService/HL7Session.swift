import MPICore
import Foundation
import MPIProtocol
import MPINormalize
import MPIStore

/// One MLLP connection's HL7 v2 conversation: the IHE patient identity feed (ITI-8: ADT A01, A04,
/// A05, A08, A40), PIX query (ITI-9: QBP^Q23) and PDQ (ITI-21: QBP^Q22). Every message gets exactly
/// one answer; nothing a peer sends can make it throw. See docs/protocol.md.
///
/// `@unchecked Sendable`: a session belongs to one connection, whose loop hands it one message at a
/// time, to the writer thread for a change (`changesIdentity`), and awaits the answer before the next.
public final class HL7Session: @unchecked Sendable {
    private let index: IdentityIndex
    private let registry: ClientRegistry
    private let limiter: ConnectionLimiter
    /// The client this connection is counted against, once its first message named it.
    private var countedClient: String?
    /// PDQ results not yet sent, by continuation pointer (per connection, as PDQ continuations are).
    private var continuations: [String: (tag: String, remaining: [IdentityIndex.Candidate], domains: [IdentifierReference])] = [:]
    private var nextControlId = 0
    /// The refusal of the message in hand, if it was refused.
    private var lastRefusal: (reason: Refusal, actor: String)?

    public init(index: IdentityIndex, registry: ClientRegistry, limiter: ConnectionLimiter) {
        self.index = index
        self.registry = registry
        self.limiter = limiter
    }

    deinit {
        if let countedClient { limiter.release(countedClient) }
    }

    /// What a message did, for the log: its type and the acknowledgement code, never its content.
    public struct Handled: Sendable {
        public var messageType: String
        public var acknowledgement: String
        /// Set when the message was refused: why, and the client (or claimed sender) refused.
        public var refusal: (reason: Refusal, actor: String)? = nil
    }

    /// Whether a message changes identities (ADT: register, update, merge) and so may wait on the
    /// store's write lock. Read from MSH-9 without parsing the message; an unreadable header is not a
    /// change (the parse that answers it rejects it).
    public static func changesIdentity(_ text: String) -> Bool {
        guard text.hasPrefix("MSH"), let separator = text.dropFirst(3).first else { return false }
        let header = text.prefix { $0 != "\r" && $0 != "\n" }
        let fields = header.split(separator: separator, maxSplits: 9, omittingEmptySubsequences: false)
        return fields.count > 8 && fields[8].hasPrefix("ADT")
    }

    /// Answers one message (the text inside an MLLP frame).
    public func handle(_ text: String) -> (response: String, handled: Handled) {
        let message: HL7Message
        do {
            message = try HL7Message(text)
        } catch {
            return (unparseable(error.description), Handled(messageType: "?", acknowledgement: "AR"))
        }
        let type = message.messageType
        let header = HL7ResponseHeader(request: message, controlId: newControlId(), timestamp: Self.timestamp())
        lastRefusal = nil
        let response: String
        do {
            response = try respond(to: message, header: header)
        } catch {
            response = header.acknowledgement(error.acknowledgement, errors: [error], encoding: message.encoding)
        }
        let code = HL7Message.split(response).first.flatMap { try? HL7Message($0.text) }?.segment("MSA")?[field: 1] ?? "?"
        return (response, Handled(messageType: "\(type.code)^\(type.event)", acknowledgement: code, refusal: lastRefusal))
    }

    private func respond(to message: HL7Message, header: HL7ResponseHeader) throws(HL7Error) -> String {
        let sender = message.sender
        guard let client = registry.client(application: sender.application, facility: sender.facility) else {
            throw refused(actor: "unknown sender", .unknownSender,
                          detail: ["sendingApplication": sender.application, "sendingFacility": sender.facility],
                          HL7Error(.applicationInternalError, at: ["MSH", "1", "3"],
                                   "sending application/facility \(sender.application)/\(sender.facility) is not a configured client",
                                   acknowledgement: .reject))
        }
        if countedClient != client.name {
            guard limiter.acquire(client) else {
                throw refused(actor: client.name, .tooManyConnections, detail: [:],
                              HL7Error(.applicationRecordLocked, at: ["MSH", "1", "3"],
                                       "client \(client.name) has its maximum number of connections open", acknowledgement: .reject))
            }
            if let countedClient { limiter.release(countedClient) }
            countedClient = client.name
        }
        let processing = message.component(message.segment("MSH")?[field: 11] ?? "", 1)
        guard ["P", "T", "D", ""].contains(processing) else {
            throw HL7Error(.unsupportedProcessingId, at: ["MSH", "1", "11"], "processing id \(processing) is not P, T or D", acknowledgement: .reject)
        }
        let type = message.messageType
        switch (type.code, type.event) {
        case ("ADT", "A01"), ("ADT", "A04"), ("ADT", "A05"), ("ADT", "A08"):
            try require(client, .register)
            try register(message, client: client, isUpdate: type.event == "A08")
            return header.acknowledgement(.accept, encoding: message.encoding)
        case ("ADT", "A40"):
            try require(client, .register)
            try merge(message, client: client)
            return header.acknowledgement(.accept, encoding: message.encoding)
        case ("ADT", _):
            throw HL7Error(.unsupportedEventCode, at: ["MSH", "1", "9", "1", "2"],
                           "ADT^\(type.event) is not supported: send A01, A04, A05, A08 or A40", acknowledgement: .reject)
        case ("NMQ", _):
            // Health and readiness: a network management query (any client) answered with AA and the
            // index's size in MSA-3, so an interface engine's link monitor can tell a live index from a socket.
            var writer = HL7Writer(encoding: message.encoding)
            header.write(into: &writer, messageType: writer.field(["ACK", type.event, "ACK"]))
            writer.segment("MSA", ["AA", header.requestControlId, writer.escape("ready: \(index.recordCount) records")])
            return writer.text
        case ("QBP", "Q23"):
            try require(client, .resolve)
            return try pixQuery(message, header: header, client: client)
        case ("QBP", "Q22"):
            try require(client, .match)
            return try pdqQuery(message, header: header, client: client)
        case ("QBP", _):
            throw HL7Error(.unsupportedEventCode, at: ["MSH", "1", "9", "1", "2"], "QBP^\(type.event) is not supported: send Q22 or Q23",
                           acknowledgement: .reject)
        default:
            throw HL7Error(.unsupportedMessageType, at: ["MSH", "1", "9", "1", "1"],
                           "message type \(type.code) is not supported: send ADT or QBP", acknowledgement: .reject)
        }
    }

    private func require(_ client: Client, _ permission: Permission) throws(HL7Error) {
        guard client.may(permission) else {
            throw refused(actor: client.name, .forbidden, detail: ["permission": permission.rawValue],
                          HL7Error(.applicationInternalError, at: ["MSH", "1", "9"], "client \(client.name) may not \(permission.rawValue)",
                                   acknowledgement: .reject))
        }
    }

    /// Audits a refusal (who, or who the message claimed to be, and why; never the message's content)
    /// and notes it for the connection's log line; returns the error to throw.
    private func refused(actor: String, _ reason: Refusal, detail: [String: String], _ error: HL7Error) -> HL7Error {
        index.audit.recordRefusal(actor: actor, reason, protocol: "hl7", detail: detail)
        lastRefusal = (reason, actor)
        return error
    }

    // MARK: identity feed (ITI-8)

    /// The PID's identifiers sorted into the sender's record id and NHS number; any identifier of an
    /// unknown domain is an error, and one in another source's domain is rejected.
    private func identifiers(_ message: HL7Message, pid: HL7Message.Segment, client: Client) throws(HL7Error) -> (recordId: String, nhs: String?) {
        var recordId: String? = nil
        var nhs: String? = nil
        for (position, repetition) in message.repetitions(pid[field: 3]).enumerated() where !repetition.isEmpty {
            let identifier = IdentifierReference(cx: repetition, in: message)
            let location = ["PID", "1", "3", String(position + 1), "4"]
            if identifier.hasNoAuthority, identifier.type.uppercased() == "NH" { nhs = identifier.value; continue }
            guard let domain = registry.domain(namespace: identifier.namespace, universalId: identifier.universalId) else {
                throw HL7Error(.unknownKeyIdentifier, at: location, "PID-3 repetition \(position + 1) has an unknown assigning authority")
            }
            switch domain.kind {
            case .nhsNumber: nhs = identifier.value
            case .enterprise:
                throw HL7Error(.unknownKeyIdentifier, at: location, "enterprise ids are assigned by the index, not by a sender", acknowledgement: .reject)
            case .source:
                guard domain.name == client.source else {
                    throw refused(actor: client.name, .otherDomain, detail: ["domain": domain.name],
                                  HL7Error(.unknownKeyIdentifier, at: location,
                                           "client \(client.name) may only assign identifiers in its own domain (\(client.source ?? "none"))",
                                           acknowledgement: .reject))
                }
                recordId = identifier.value
            }
        }
        guard let recordId, !recordId.isEmpty else {
            throw HL7Error(.requiredFieldMissing, at: ["PID", "1", "3"], "PID-3 has no identifier in the sender's domain \(client.source ?? "")")
        }
        return (recordId, nhs)
    }

    private func register(_ message: HL7Message, client: Client, isUpdate: Bool) throws(HL7Error) {
        guard let pid = message.segment("PID") else { throw HL7Error(.segmentSequenceError, at: ["PID"], "the message has no PID segment") }
        let (recordId, nhs) = try identifiers(message, pid: pid, client: client)
        let patient = PatientIdentity(pid: pid, in: message)
        let demographics = PatientDemographics(given: patient.given, middle: patient.middle, family: patient.family,
                                               previousFamily: patient.previousFamily, dateOfBirth: patient.dateOfBirth, sex: patient.sex,
                                               nhsNumber: nhs, postcode: patient.postcode, address: patient.addressLines, phone: patient.phone)
        do {
            _ = try index.register(source: client.source!, recordId: recordId, demographics: demographics, dateFormat: .hl7, actor: client.name)
        } catch let error as ServiceError {
            throw HL7Error(.applicationInternalError, at: ["PID"], error.message)
        } catch {
            throw HL7Error(.applicationInternalError, "the registration could not be stored; nothing was changed")
        }
    }

    private func merge(_ message: HL7Message, client: Client) throws(HL7Error) {
        guard let pid = message.segment("PID") else { throw HL7Error(.segmentSequenceError, at: ["PID"], "A40 needs a PID segment") }
        guard let mrg = message.segment("MRG") else { throw HL7Error(.segmentSequenceError, at: ["MRG"], "A40 needs an MRG segment") }
        let (survivor, _) = try identifiers(message, pid: pid, client: client)
        let prior = IdentifierReference(cx: message.repetitions(mrg[field: 1]).first ?? "", in: message)
        guard !prior.value.isEmpty else { throw HL7Error(.requiredFieldMissing, at: ["MRG", "1", "1"], "MRG-1 must give the prior identifier") }
        if !prior.hasNoAuthority {
            guard let domain = registry.domain(namespace: prior.namespace, universalId: prior.universalId), domain.kind == .source,
                  domain.name == client.source else {
                throw HL7Error(.unknownKeyIdentifier, at: ["MRG", "1", "1", "1", "4"], "MRG-1 must be an identifier of the sender's own domain",
                               acknowledgement: .reject)
            }
        }
        guard prior.value != survivor else { throw HL7Error(.duplicateKeyIdentifier, at: ["MRG", "1", "1"], "MRG-1 and PID-3 are the same identifier") }
        do {
            _ = try index.merge(survivor: RecordKey(source: client.source!, recordId: survivor),
                                retired: RecordKey(source: client.source!, recordId: prior.value), actor: client.name)
        } catch let error as ServiceError {
            throw HL7Error(error.code == .unknownIdentifier ? .unknownKeyIdentifier : .applicationInternalError, at: ["MRG", "1", "1"], error.message)
        } catch {
            throw HL7Error(.applicationInternalError, "the merge could not be stored; nothing was changed")
        }
    }

    // MARK: PIX query (ITI-9)

    private func pixQuery(_ message: HL7Message, header: HL7ResponseHeader, client: Client) throws(HL7Error) -> String {
        let query = try PatientQuery(message)
        guard case .identifiers(let tag, let identifier, let domains) = query else { throw HL7Error(.applicationInternalError, "not a PIX query") }
        var writer = HL7Writer(encoding: message.encoding)
        func fail(_ error: HL7Error) -> String {
            header.write(into: &writer, messageType: writer.field(["RSP", "K23", "RSP_K23"]))
            writer.segment("MSA", ["AE", header.requestControlId])
            header.writeErrors([error], into: &writer)
            writer.segment("QAK", [writer.escape(tag), "AE"])
            writer.segment("QPD", Array(message.segment("QPD")!.fields.dropFirst()))
            return writer.text
        }
        guard let domain = registry.domain(namespace: identifier.namespace, universalId: identifier.universalId) else {
            return fail(HL7Error(.unknownKeyIdentifier, at: ["QPD", "1", "3", "1", "4"], "the identifier's assigning authority is not known"))
        }
        var wanted: [IdentifierDomain] = []
        for (position, reference) in domains.enumerated() {
            guard let asked = registry.domain(namespace: reference.namespace, universalId: reference.universalId) else {
                return fail(HL7Error(.unknownKeyIdentifier, at: ["QPD", "1", "4", String(position + 1), "4"], "a domain asked for is not known"))
            }
            wanted.append(asked)
        }
        let persons: [IdentityIndex.Person]
        switch domain.kind {
        case .source: persons = index.resolve(.record(RecordKey(source: domain.name, recordId: identifier.value)), actor: client.name)
        case .nhsNumber: persons = index.resolve(.nhsNumber(identifier.value), actor: client.name)
        case .enterprise:
            persons = EnterpriseID(identifier.value).map { index.resolve(.enterprise($0), actor: client.name) } ?? []
        }
        guard let person = persons.first else {
            return fail(HL7Error(.unknownKeyIdentifier, at: ["QPD", "1", "3", "1", "1"], "no person holds the identifier"))
        }
        // Every identifier of the person, in the domains asked for (all but the one asked about when none are named).
        var found = identifierList(person, in: wanted.isEmpty ? registry.domains : wanted, writer: writer)
        if wanted.isEmpty {
            found.removeAll { $0.value == identifier.value && $0.domain.name == domain.name }
        }
        header.write(into: &writer, messageType: writer.field(["RSP", "K23", "RSP_K23"]))
        writer.segment("MSA", ["AA", header.requestControlId])
        writer.segment("QAK", [writer.escape(tag), found.isEmpty ? "NF" : "OK"])
        writer.segment("QPD", Array(message.segment("QPD")!.fields.dropFirst()))
        if !found.isEmpty {
            writer.segment("PID", ["", "", writer.repetitions(found.map(\.cx)), "", "~" + String(repeating: String(writer.encoding.component), count: 6) + "S"])
        }
        return writer.text
    }

    private func identifierList(_ person: IdentityIndex.Person, in domains: [IdentifierDomain],
                                writer: HL7Writer) -> [(value: String, domain: IdentifierDomain, cx: String)] {
        var list: [(String, IdentifierDomain, String)] = []
        func cx(_ value: String, _ domain: IdentifierDomain, type: String) -> String {
            writer.identifier(value: value, namespace: domain.name, universalId: domain.universalId ?? "", type: type)
        }
        for domain in domains {
            switch domain.kind {
            case .enterprise: list.append((person.enterpriseId, domain, cx(person.enterpriseId, domain, type: "PI")))
            case .nhsNumber: for number in person.nhsNumbers { list.append((number, domain, cx(number, domain, type: "NH"))) }
            case .source:
                for record in person.records where record.source == domain.name { list.append((record.recordId, domain, cx(record.recordId, domain, type: "MR"))) }
            }
        }
        return list
    }

    // MARK: PDQ (ITI-21)

    private func pdqQuery(_ message: HL7Message, header: HL7ResponseHeader, client: Client) throws(HL7Error) -> String {
        let query = try PatientQuery(message)
        guard case .demographics(let tag, let parameters, let domainReferences, let quantity, let continuation) = query else {
            throw HL7Error(.applicationInternalError, "not a PDQ query")
        }
        var candidates: [IdentityIndex.Candidate]
        var domains = domainReferences
        if let continuation {
            guard let saved = continuations.removeValue(forKey: continuation), saved.tag == tag else {
                throw HL7Error(.unknownKeyIdentifier, at: ["DSC", "1", "1"], "the continuation pointer is not known (or has been used)")
            }
            candidates = saved.remaining
            domains = saved.domains
        } else {
            var demographics = PatientDemographics()
            for (position, parameter) in parameters.enumerated() {
                let location = ["QPD", "1", "3", String(position + 1), "1"]
                switch parameter.field {
                case "PID.5.1", "PID.5.1.1": demographics.family = parameter.value
                case "PID.5.2": demographics.given = parameter.value
                case "PID.5.3": demographics.middle = parameter.value
                case "PID.7", "PID.7.1": demographics.dateOfBirth = parameter.value
                case "PID.8": demographics.sex = parameter.value
                case "PID.11.5": demographics.postcode = parameter.value
                case "PID.11.1", "PID.11.1.1": demographics.address = [parameter.value]
                case "PID.13", "PID.13.1": demographics.phone = parameter.value
                case "PID.6.1", "PID.6.1.1": demographics.previousFamily = parameter.value
                case "PID.3.1", "PID.3.4", "PID.3.4.1", "PID.3.4.2", "PID.3.5":
                    continue   // identifiers: read together below
                default:
                    throw HL7Error(.tableValueNotFound, at: location, "query parameter @\(parameter.field) is not supported")
                }
            }
            if let value = parameters.first(where: { $0.field == "PID.3.1" })?.value {
                let namespace = parameters.first { $0.field == "PID.3.4" || $0.field == "PID.3.4.1" }?.value ?? ""
                let universalId = parameters.first { $0.field == "PID.3.4.2" }?.value ?? ""
                if registry.domain(namespace: namespace, universalId: universalId)?.kind == .nhsNumber || (namespace.isEmpty && universalId.isEmpty) {
                    demographics.nhsNumber = value
                } else if let domain = registry.domain(namespace: namespace, universalId: universalId), domain.kind == .source {
                    // A local identifier: its person's demographics are what the query asks about.
                    if let person = index.resolve(.record(RecordKey(source: domain.name, recordId: value)), actor: client.name).first {
                        candidates = [IdentityIndex.Candidate](exactly: person, index: index)
                        return pdqResponse(message, header: header, tag: tag, page: candidates, total: 1, domains: domains, continuation: nil)
                    }
                    return pdqResponse(message, header: header, tag: tag, page: [], total: 0, domains: domains, continuation: nil)
                } else {
                    throw HL7Error(.unknownKeyIdentifier, at: ["QPD", "1", "3"], "the identifier's assigning authority is not known")
                }
            }
            guard !demographics.isEmpty else {
                throw HL7Error(.requiredFieldMissing, at: ["QPD", "1", "3"], "give at least one of @PID.5.1, @PID.5.2, @PID.7, @PID.11.5, @PID.3.1")
            }
            do {
                candidates = try index.match(demographics, dateFormat: .hl7, limit: 100, actor: client.name)
            } catch {
                throw HL7Error(.dataTypeError, at: ["QPD", "1", "3"], "the query's demographics could not be read")
            }
        }
        let total = candidates.count
        let size = quantity.map { max($0, 1) } ?? total
        let page = Array(candidates.prefix(size))
        var pointer: String? = nil
        if candidates.count > size {
            pointer = UUID().uuidString
            continuations[pointer!] = (tag, Array(candidates.dropFirst(size)), domains)
            if continuations.count > 16 { continuations.removeValue(forKey: continuations.keys.first!) }
        }
        return pdqResponse(message, header: header, tag: tag, page: page, total: total, domains: domains, continuation: pointer)
    }

    private func pdqResponse(_ message: HL7Message, header: HL7ResponseHeader, tag: String, page: [IdentityIndex.Candidate], total: Int,
                             domains references: [IdentifierReference], continuation: String?) -> String {
        var writer = HL7Writer(encoding: message.encoding)
        header.write(into: &writer, messageType: writer.field(["RSP", "K22", "RSP_K21"]))
        writer.segment("MSA", ["AA", header.requestControlId])
        writer.segment("QAK", [writer.escape(tag), page.isEmpty ? "NF" : "OK", "", String(total), String(page.count),
                               String(max(total - page.count, 0))])
        writer.segment("QPD", Array(message.segment("QPD")!.fields.dropFirst()))
        let domains = references.compactMap { registry.domain(namespace: $0.namespace, universalId: $0.universalId) }
        for (position, candidate) in page.enumerated() {
            let ids = identifierList(candidate.person, in: domains.isEmpty ? registry.domains : domains, writer: writer)
            // The best record's demographics as registered (escaped: a name may hold a delimiter), with the
            // date of birth and sex as the index read them.
            let d = candidate.demographics
            let registered = index.registeredDemographics(candidate.record) ?? PatientDemographics(given: d.given, family: d.family,
                                                                                                 postcode: d.postcode)
            let lines = registered.address ?? []
            func line(_ index: Int) -> String { index < lines.count ? lines[index] : "" }
            writer.segment("PID", [String(position + 1), "", writer.repetitions(ids.map(\.cx)), "",
                                   writer.field([registered.family ?? "", registered.given ?? "", registered.middle ?? ""]), "",
                                   (d.dateOfBirth ?? "").filter(\.isNumber), Self.hl7Sex(d.sex), "", "",
                                   writer.field([line(0), line(1), line(2), "", registered.postcode ?? d.postcode ?? ""]), "",
                                   writer.escape(registered.phone ?? "")])
            writer.segment("QRI", [String(format: "%.4f", candidate.probability), "", writer.escape(candidate.grade.rawValue)])
        }
        if let continuation { writer.segment("DSC", [continuation, "I"]) }
        return writer.text
    }

    private static func hl7Sex(_ sex: String?) -> String {
        switch sex {
        case "male": "M"
        case "female": "F"
        case "indeterminate": "A"
        case "other": "O"
        default: "U"
        }
    }

    // MARK: helpers

    private func unparseable(_ reason: String) -> String {
        var writer = HL7Writer()
        writer.header(["MPI", "NWL", "", "", Self.timestamp(), "", "ACK", newControlId(), "P", "2.5"])
        writer.segment("MSA", ["AR", ""])
        writer.segment("ERR", ["", "MSH", writer.field(["100", HL7ErrorCode.segmentSequenceError.text, "HL70357"]), "E", "", "", "", writer.escape(reason)])
        return writer.text
    }

    private func newControlId() -> String {
        nextControlId += 1
        return "MPI\(UInt32.random(in: 0...UInt32.max))-\(nextControlId)"
    }

    /// Now as an HL7 TS in UTC (yyyyMMddHHmmss+0000), formatted by hand: a formatter per message
    /// would cost more than answering most of them.
    public static func timestamp() -> String {
        var seconds = time_t(Date().timeIntervalSince1970)
        var parts = tm()
        gmtime_r(&seconds, &parts)
        func two(_ value: Int32) -> String { value < 10 ? "0\(value)" : String(value) }
        return "\(parts.tm_year + 1900)\(two(parts.tm_mon + 1))\(two(parts.tm_mday))\(two(parts.tm_hour))\(two(parts.tm_min))\(two(parts.tm_sec))+0000"
    }
}

extension [IdentityIndex.Candidate] {
    /// A PDQ answer for a query by a local identifier: the person itself, certain.
    init(exactly person: IdentityIndex.Person, index: IdentityIndex) {
        self = index.summaryCandidate(for: person).map { [$0] } ?? []
    }
}
