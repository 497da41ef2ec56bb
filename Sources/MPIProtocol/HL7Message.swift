/// An HL7 v2 message parsed into segments and fields, with the encoding characters its MSH segment
/// declares (MSH-1 field separator, MSH-2 component, repetition, escape and subcomponent characters).
///
/// Values are kept raw (escaped) in the structure; `text(_:)` unescapes on the way out, so a
/// separator inside a name (\\F\\, \\S\\ ...) never splits it.
public struct HL7Message: Sendable, Hashable {
    public struct Encoding: Sendable, Hashable {
        public var field: Character = "|"
        public var component: Character = "^"
        public var repetition: Character = "~"
        public var escape: Character = "\\"
        public var subcomponent: Character = "&"

        /// The standard characters: | ^ ~ \\ &.
        public init() {}
    }

    /// One segment: its id ("PID") and its fields, where fields[n] is field n of the standard's
    /// numbering (fields[0] is the id itself; for MSH, fields[1] is the field separator).
    public struct Segment: Sendable, Hashable {
        public let id: String
        public let fields: [String]

        /// Field n, or "" when absent.
        public subscript(field index: Int) -> String { index < fields.count ? fields[index] : "" }
    }

    public let encoding: Encoding
    public let segments: [Segment]

    public enum ParseError: Error, Hashable, CustomStringConvertible {
        case missingMSH
        case shortMSH
        case invalidEncodingCharacters

        public var description: String {
            switch self {
            case .missingMSH: "the message does not start with an MSH segment"
            case .shortMSH: "the MSH segment is too short to declare its encoding characters"
            case .invalidEncodingCharacters:
                "MSH-1 and MSH-2 must declare five different delimiter characters, none a letter, digit, space or line break"
            }
        }
    }

    /// Parses one message. Segments end with a carriage return (the standard) or a line feed.
    public init(_ text: String) throws(ParseError) {
        let lines = text.split(whereSeparator: \.isNewline).map(String.init).filter { !$0.isEmpty }
        guard let header = lines.first, header.hasPrefix("MSH") else { throw .missingMSH }
        let characters = Array(header)
        guard characters.count >= 8 else { throw .shortMSH }
        var encoding = Encoding()
        encoding.field = characters[3]
        encoding.component = characters[4]
        encoding.repetition = characters[5]
        encoding.escape = characters[6]
        encoding.subcomponent = characters[7]
        let declared = [encoding.field, encoding.component, encoding.repetition, encoding.escape, encoding.subcomponent]
        // An answer is written in the request's delimiters, so they must be ones that can delimit.
        guard Set(declared).count == 5, !declared.contains(where: { $0.isLetter || $0.isNumber || $0.isWhitespace || !$0.isASCII }) else {
            throw .invalidEncodingCharacters
        }
        self.encoding = encoding
        segments = lines.map { line in
            var fields = line.split(separator: encoding.field, omittingEmptySubsequences: false).map(String.init)
            if fields.first == "MSH" {
                // MSH-1 is the field separator itself, so MSH numbering is shifted by one.
                fields.insert(String(encoding.field), at: 1)
            }
            return Segment(id: fields.first ?? "", fields: fields)
        }
    }

    public func segment(_ id: String) -> Segment? { segments.first { $0.id == id } }

    /// Repetitions of a field.
    public func repetitions(_ field: String) -> [String] {
        field.split(separator: encoding.repetition, omittingEmptySubsequences: false).map(String.init)
    }

    /// Component n (1-based) of a field value, unescaped; "" when absent.
    public func component(_ value: String, _ index: Int) -> String {
        let components = value.split(separator: encoding.component, omittingEmptySubsequences: false)
        guard index >= 1, index <= components.count else { return "" }
        let first = components[index - 1].split(separator: encoding.subcomponent, omittingEmptySubsequences: false).first ?? ""
        return text(String(first))
    }

    /// Subcomponent s (1-based) of component c (1-based) of a field value, unescaped; "" when absent.
    public func subcomponent(_ value: String, _ component: Int, _ index: Int) -> String {
        let components = value.split(separator: encoding.component, omittingEmptySubsequences: false)
        guard component >= 1, component <= components.count else { return "" }
        let parts = components[component - 1].split(separator: encoding.subcomponent, omittingEmptySubsequences: false)
        guard index >= 1, index <= parts.count else { return "" }
        return text(String(parts[index - 1]))
    }

    /// MSH-9: message code, trigger event and structure ("ADT", "A01", "ADT_A01").
    public var messageType: (code: String, event: String, structure: String) {
        let field = segment("MSH")?[field: 9] ?? ""
        return (component(field, 1), component(field, 2), component(field, 3))
    }

    /// MSH-10, the sender's message control id.
    public var controlId: String { text(segment("MSH")?[field: 10] ?? "") }

    /// MSH-3 and MSH-4: the sending application and facility (their namespace ids).
    public var sender: (application: String, facility: String) {
        let msh = segment("MSH")
        return (component(msh?[field: 3] ?? "", 1), component(msh?[field: 4] ?? "", 1))
    }

    /// Unescapes HL7 escape sequences: \\F\\ field, \\S\\ component, \\T\\ subcomponent, \\R\\ repetition,
    /// \\E\\ escape. Other sequences (formatting, hex) are dropped rather than shown raw.
    public func text(_ raw: String) -> String {
        guard raw.contains(encoding.escape) else { return raw }
        var result = ""
        var iterator = raw.makeIterator()
        while let character = iterator.next() {
            guard character == encoding.escape else { result.append(character); continue }
            var sequence = ""
            while let next = iterator.next(), next != encoding.escape { sequence.append(next) }
            switch sequence {
            case "F": result.append(encoding.field)
            case "S": result.append(encoding.component)
            case "T": result.append(encoding.subcomponent)
            case "R": result.append(encoding.repetition)
            case "E": result.append(encoding.escape)
            default: break
            }
        }
        return result
    }

    /// Splits a file or stream of messages: each message starts at a segment beginning "MSH".
    /// MLLP framing bytes (0x0B, 0x1C) are treated as separators.
    public static func split(_ text: String) -> [(line: Int, text: String)] {
        var messages: [(Int, String)] = []
        var current: [Substring] = []
        var currentLine = 1
        var lineNumber = 0
        // The framing bytes go first: Swift counts 0x0B (vertical tab) as a line break.
        let unframed = String(text.unicodeScalars.filter { $0 != "\u{0B}" && $0 != "\u{1C}" })
        for line in unframed.split(omittingEmptySubsequences: false, whereSeparator: \.isNewline) {
            lineNumber += 1
            let cleaned = line
            if cleaned.hasPrefix("MSH") {
                if !current.isEmpty { messages.append((currentLine, current.joined(separator: "\r"))) }
                current = [Substring(cleaned)]
                currentLine = lineNumber
            } else if !cleaned.isEmpty, !current.isEmpty {
                current.append(Substring(cleaned))
            }
        }
        if !current.isEmpty { messages.append((currentLine, current.joined(separator: "\r"))) }
        return messages
    }
}
