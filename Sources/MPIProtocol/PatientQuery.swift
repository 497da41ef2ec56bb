/// An identifier as HL7 v2 writes it (data type CX): the value and its assigning authority, named by a
/// namespace id (CX-4.1), a universal id such as an OID (CX-4.2), or both.
public struct IdentifierReference: Sendable, Hashable {
    public var value: String
    public var namespace: String
    public var universalId: String
    public var type: String

    public init(value: String, namespace: String, universalId: String = "", type: String = "") {
        self.value = value
        self.namespace = namespace
        self.universalId = universalId
        self.type = type
    }

    /// Reads a CX value (one repetition).
    public init(cx: String, in message: HL7Message) {
        value = message.component(cx, 1)
        namespace = message.subcomponent(cx, 4, 1)
        universalId = message.subcomponent(cx, 4, 2)
        type = message.component(cx, 5)
    }

    /// True when the authority is not given at all.
    public var hasNoAuthority: Bool { namespace.isEmpty && universalId.isEmpty }
}

/// A query of the IHE PIX (ITI-9, QBP^Q23) or PDQ (ITI-21, QBP^Q22) transactions, read from its QPD,
/// RCP and DSC segments.
public enum PatientQuery: Sendable, Hashable {
    /// PIX: the identifiers of the person holding `identifier`, in `domains` (empty: all domains).
    case identifiers(tag: String, identifier: IdentifierReference, domains: [IdentifierReference])
    /// PDQ: persons matching demographic parameters ("@PID.5.1" -> "SMITH"), at most `quantity` per
    /// response, continuing an earlier response when `continuation` is set.
    case demographics(tag: String, parameters: [Parameter], domains: [IdentifierReference], quantity: Int?, continuation: String?)

    public struct Parameter: Sendable, Hashable {
        /// The field path without the "@": "PID.5.1", "PID.7", "PID.3.1".
        public let field: String
        public let value: String

        public init(field: String, value: String) {
            self.field = field
            self.value = value
        }
    }

    public var tag: String {
        switch self {
        case .identifiers(let tag, _, _), .demographics(let tag, _, _, _, _): tag
        }
    }

    /// Reads the query of a QBP message; throws an `HL7Error` naming the field at fault.
    public init(_ message: HL7Message) throws(HL7Error) {
        guard let qpd = message.segment("QPD") else {
            throw HL7Error(.segmentSequenceError, at: ["QPD"], "a query needs a QPD segment")
        }
        let tag = message.text(qpd[field: 2])
        let queryName = message.component(qpd[field: 1], 1)
        switch message.messageType.event {
        case "Q23":
            let identifierField = message.repetitions(qpd[field: 3]).first ?? ""
            let identifier = IdentifierReference(cx: identifierField, in: message)
            guard !identifier.value.isEmpty else {
                throw HL7Error(.requiredFieldMissing, at: ["QPD", "1", "3", "1", "1"], "QPD-3 must give the identifier to cross-reference")
            }
            let domains = message.repetitions(qpd[field: 4]).filter { !$0.isEmpty }.map { IdentifierReference(cx: $0, in: message) }
            self = .identifiers(tag: tag, identifier: identifier, domains: domains)
        case "Q22":
            var parameters: [Parameter] = []
            for repetition in message.repetitions(qpd[field: 3]) where !repetition.isEmpty {
                var field = message.component(repetition, 1)
                if field.hasPrefix("@") { field.removeFirst() }
                parameters.append(Parameter(field: field, value: message.component(repetition, 2)))
            }
            let domains = message.repetitions(qpd[field: 8]).filter { !$0.isEmpty }.map { IdentifierReference(cx: $0, in: message) }
            var quantity: Int? = nil
            if let rcp = message.segment("RCP"), let limit = Int(message.component(rcp[field: 2], 1)) { quantity = limit }
            let continuation = message.segment("DSC").map { message.text($0[field: 1]) }.flatMap { $0.isEmpty ? nil : $0 }
            self = .demographics(tag: tag, parameters: parameters, domains: domains, quantity: quantity, continuation: continuation)
        default:
            throw HL7Error(.unsupportedEventCode, at: ["MSH", "1", "9", "1", "2"],
                           "\(queryName.isEmpty ? "this query" : queryName) (\(message.messageType.event)) is not supported: send QBP^Q23 or QBP^Q22",
                           acknowledgement: .reject)
        }
    }
}
