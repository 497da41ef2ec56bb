/// HL7 table 0008: how a message was received.
public enum AcknowledgementCode: String, Sendable, Hashable {
    /// Application accept: processed.
    case accept = "AA"
    /// Application error: understood but could not be processed (unknown identifier, bad field).
    case error = "AE"
    /// Application reject: not accepted at all (unsupported type, unauthorised sender).
    case reject = "AR"
}

/// HL7 table 0357: message error condition codes.
public enum HL7ErrorCode: Int, Sendable, Hashable {
    case segmentSequenceError = 100
    case requiredFieldMissing = 101
    case dataTypeError = 102
    case tableValueNotFound = 103
    case unsupportedMessageType = 200
    case unsupportedEventCode = 201
    case unsupportedProcessingId = 202
    case unsupportedVersionId = 203
    case unknownKeyIdentifier = 204
    case duplicateKeyIdentifier = 205
    case applicationRecordLocked = 206
    case applicationInternalError = 207

    public var text: String {
        switch self {
        case .segmentSequenceError: "Segment sequence error"
        case .requiredFieldMissing: "Required field missing"
        case .dataTypeError: "Data type error"
        case .tableValueNotFound: "Table value not found"
        case .unsupportedMessageType: "Unsupported message type"
        case .unsupportedEventCode: "Unsupported event code"
        case .unsupportedProcessingId: "Unsupported processing id"
        case .unsupportedVersionId: "Unsupported version id"
        case .unknownKeyIdentifier: "Unknown key identifier"
        case .duplicateKeyIdentifier: "Duplicate key identifier"
        case .applicationRecordLocked: "Application record locked"
        case .applicationInternalError: "Application internal error"
        }
    }
}

/// One error to report in an ERR segment: the code, where it is (segment^sequence^field^repetition^
/// component, e.g. QPD^1^3^1^1) and a message for the person reading the log on the other side.
public struct HL7Error: Error, Sendable, Hashable {
    public var code: HL7ErrorCode
    public var location: [String]
    public var message: String
    /// AE or AR: whether the request was understood.
    public var acknowledgement: AcknowledgementCode

    public init(_ code: HL7ErrorCode, at location: [String] = [], _ message: String, acknowledgement: AcknowledgementCode = .error) {
        self.code = code
        self.location = location
        self.message = message
        self.acknowledgement = acknowledgement
    }
}

/// Builds the header of a response: sender and receiver swapped, a new control id, the request's
/// processing id and version echoed.
public struct HL7ResponseHeader: Sendable {
    public let request: HL7Message
    public let controlId: String
    public let timestamp: String

    public init(request: HL7Message, controlId: String, timestamp: String) {
        self.request = request
        self.controlId = controlId
        self.timestamp = timestamp
    }

    /// MSH-10 of the request: the id the response's MSA-2 must carry.
    public var requestControlId: String { request.segment("MSH")?[field: 10] ?? "" }

    public func write(into writer: inout HL7Writer, messageType: String) {
        let msh = request.segment("MSH")
        // MSH-3..6 are copied raw: they are already escaped in the request's (and so the response's) encoding.
        writer.header([msh?[field: 5] ?? "", msh?[field: 6] ?? "", msh?[field: 3] ?? "", msh?[field: 4] ?? "", timestamp, "",
                       messageType, writer.escape(controlId), msh.map { $0[field: 11] }.flatMap { $0.isEmpty ? nil : $0 } ?? "P",
                       msh.map { $0[field: 12] }.flatMap { $0.isEmpty ? nil : $0 } ?? "2.5"])
    }

    public func writeErrors(_ errors: [HL7Error], into writer: inout HL7Writer) {
        for error in errors {
            writer.segment("ERR", ["", error.location.map(writer.escape).joined(separator: String(writer.encoding.component)),
                                   writer.field([String(error.code.rawValue), error.code.text, "HL70357"]), "E", "", "", "",
                                   writer.escape(error.message)])
        }
    }

    /// A general acknowledgement (ACK^<event>^ACK) with MSA and, for errors, ERR segments.
    public func acknowledgement(_ code: AcknowledgementCode, errors: [HL7Error] = [], encoding: HL7Message.Encoding) -> String {
        var writer = HL7Writer(encoding: encoding)
        let event = request.component(request.segment("MSH")?[field: 9] ?? "", 2)
        write(into: &writer, messageType: writer.field(["ACK", event, "ACK"]))
        writer.segment("MSA", [code.rawValue, requestControlId])
        writeErrors(errors, into: &writer)
        return writer.text
    }
}
