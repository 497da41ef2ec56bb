/// What stopped a link run, said so that the person running it can act on it: which file, which key,
/// which source. Never a value from an extract.
public struct LinkageError: Error, CustomStringConvertible, Sendable {
    public let description: String
    public init(_ description: String) { self.description = description }
}

extension DecodingError {
    /// Which key of a JSON file was wrong and what was expected there ("thresholds.review": expected Double).
    public var keyPathDescription: String {
        func path(_ codingPath: [any CodingKey]) -> String {
            var text = ""
            for key in codingPath { text += key.intValue.map { "[\($0)]" } ?? ".\(key.stringValue)" }
            return text.first == "." ? String(text.dropFirst()) : text
        }
        switch self {
        case .keyNotFound(let key, let context):
            let parent = path(context.codingPath)
            return "missing key \"\(parent.isEmpty ? key.stringValue : parent + "." + key.stringValue)\""
        case .typeMismatch(let type, let context):
            return "\"\(path(context.codingPath))\": expected \(type)"
        case .valueNotFound(let type, let context):
            return "\"\(path(context.codingPath))\": expected a \(type), found null"
        case .dataCorrupted(let context):
            let at = path(context.codingPath)
            return (at.isEmpty ? "" : "\"\(at)\": ") + context.debugDescription
        @unknown default:
            return "\(self)"
        }
    }
}
