/// An error a client is told about: a stable code it can act on and a message for a person. The
/// message never carries demographics (it may be logged by the client).
public struct ServiceError: Error, Sendable, Hashable, CustomStringConvertible {
    public enum Code: String, Sendable, Hashable, Codable {
        case invalidRequest = "invalid_request"
        case unknownOperation = "unknown_operation"
        case unauthenticated
        case forbidden
        case unknownIdentifier = "unknown_identifier"
        case unknownDomain = "unknown_domain"
        case notReady = "not_ready"
        case tooLarge = "too_large"
        case internalError = "internal_error"
    }

    public let code: Code
    public let message: String

    public init(_ code: Code, _ message: String) {
        self.code = code
        self.message = message
    }

    public var description: String { "\(code.rawValue): \(message)" }
}

/// Why a request was refused, as the audit trail and the log name it.
public enum Refusal: String, Sendable, Hashable {
    /// No token, or one no client holds.
    case unauthenticated = "unauthenticated"
    /// A client asked for something its permissions do not allow.
    case forbidden
    /// A client registered (or merged) records in another source's identifier domain.
    case otherDomain = "other_domain"
    /// An HL7 message from an application/facility no client is configured for.
    case unknownSender = "unknown_sender"
    /// The client already has its maximum number of connections open.
    case tooManyConnections = "too_many_connections"
}
