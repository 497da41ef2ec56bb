/// Why a raw value could not be normalised. `code` is stable (scripts and the rejects report key on
/// it); `message` is for people. Neither ever contains the raw value itself: that goes only to
/// outputs that may hold patient data, next to the rejection.
public struct Rejection: Error, Sendable, Hashable, Codable, CustomStringConvertible {
    public let code: String
    public let message: String

    public init(_ code: String, _ message: String) {
        self.code = code
        self.message = message
    }

    public var description: String { "\(code): \(message)" }
}
