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
