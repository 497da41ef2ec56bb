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

        /// MSH-1 and the four characters of MSH-2, each an ASCII byte.
        init(bytes: UnsafeBufferPointer<UInt8>) {
            (field, component, repetition, escape, subcomponent) = (Character(Unicode.Scalar(bytes[0])), Character(Unicode.Scalar(bytes[1])),
                Character(Unicode.Scalar(bytes[2])), Character(Unicode.Scalar(bytes[3])), Character(Unicode.Scalar(bytes[4])))
        }

    }

    /// The delimiters as bytes, for splitting on UTF-8: worked out once per message, since a
    /// `Character`'s ASCII value is not free and every component read needs two of them.
    struct Delimiters: Sendable, Hashable {
        let field: UInt8, component: UInt8, repetition: UInt8, escape: UInt8, subcomponent: UInt8

        init(_ encoding: Encoding) {
            field = encoding.field.asciiValue ?? 0
            component = encoding.component.asciiValue ?? 0
            repetition = encoding.repetition.asciiValue ?? 0
            escape = encoding.escape.asciiValue ?? 0
            subcomponent = encoding.subcomponent.asciiValue ?? 0
        }
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
    private let bytes: Delimiters

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
    ///
    /// The parser works on the message's UTF-8 bytes: every delimiter is ASCII (MSH-1 and MSH-2 are
    /// checked for that), so a delimiter byte is never part of a multi-byte character, and a message is
    /// split without looking at characters at all (the file reader of `mpi link` and the service both
    /// parse every message this way).
    public init(_ text: String) throws(ParseError) {
        var text = text
        let parsed = text.withUTF8 { Self.parse($0) }
        (encoding, segments) = try parsed.get()
        bytes = Delimiters(encoding)
    }

    private static func parse(_ bytes: UnsafeBufferPointer<UInt8>) -> Result<(Encoding, [Segment]), ParseError> {
        var lines: [Range<Int>] = []
        lines.reserveCapacity(8)
        var start = 0
        for index in 0..<bytes.count where bytes[index] == ASCII.carriageReturn || bytes[index] == ASCII.lineFeed {
            if index > start { lines.append(start..<index) }
            start = index + 1
        }
        if start < bytes.count { lines.append(start..<bytes.count) }
        guard let header = lines.first, header.count >= 3, bytes[header.lowerBound] == UInt8(ascii: "M"),
              bytes[header.lowerBound + 1] == UInt8(ascii: "S"), bytes[header.lowerBound + 2] == UInt8(ascii: "H") else {
            return .failure(.missingMSH)
        }
        guard header.count >= 8 else { return .failure(.shortMSH) }
        let declared = UnsafeBufferPointer(rebasing: bytes[(header.lowerBound + 3)..<(header.lowerBound + 8)])
        // An answer is written in the request's delimiters, so they must be ones that can delimit.
        for (index, byte) in declared.enumerated() where !ASCII.canDelimit(byte) || declared[(index + 1)...].contains(byte) {
            return .failure(.invalidEncodingCharacters)
        }
        let encoding = Encoding(bytes: declared)
        let field = declared[0]
        let segments = lines.map { line -> Segment in
            var count = 1
            for index in line where bytes[index] == field { count += 1 }
            var fields: [String] = []
            fields.reserveCapacity(count + 1)
            var fieldStart = line.lowerBound
            for index in line where bytes[index] == field {
                fields.append(ASCII.string(bytes, fieldStart..<index))
                fieldStart = index + 1
            }
            fields.append(ASCII.string(bytes, fieldStart..<line.upperBound))
            if fields.first == "MSH" {
                // MSH-1 is the field separator itself, so MSH numbering is shifted by one.
                fields.insert(String(encoding.field), at: 1)
            }
            return Segment(id: fields.first ?? "", fields: fields)
        }
        return .success((encoding, segments))
    }

    public func segment(_ id: String) -> Segment? { segments.first { $0.id == id } }

    /// Repetitions of a field.
    public func repetitions(_ field: String) -> [String] {
        field.utf8.split(separator: bytes.repetition, omittingEmptySubsequences: false).map { Substring($0).description }
    }

    /// Component n (1-based) of a field value, unescaped; "" when absent.
    public func component(_ value: String, _ index: Int) -> String { component(value[...], index) }

    func component(_ value: Substring, _ index: Int) -> String {
        guard let component = Self.piece(value, bytes.component, index) else { return "" }
        return text(String(Self.piece(component, bytes.subcomponent, 1) ?? ""))
    }

    /// Repetition n (1-based) of a field, without copying it; nil when there are fewer.
    func repetition(_ field: String, _ index: Int) -> Substring? { Self.piece(field[...], bytes.repetition, index) }

    /// Subcomponent s (1-based) of component c (1-based) of a field value, unescaped; "" when absent.
    public func subcomponent(_ value: String, _ component: Int, _ index: Int) -> String {
        guard let part = Self.piece(value[...], bytes.component, component),
              let subcomponent = Self.piece(part, bytes.subcomponent, index) else { return "" }
        return text(String(subcomponent))
    }

    /// The n-th (1-based) piece of `text` between `separator` bytes; nil when there are fewer pieces.
    static func piece(_ text: Substring, _ separator: UInt8, _ n: Int) -> Substring? {
        guard n >= 1 else { return nil }
        var text = text
        // Scanned as contiguous bytes; a native string's UTF-8 index moves in O(1) to the piece found.
        let bounds = text.withUTF8 { bytes -> Range<Int>? in
            var number = 1
            var start = 0
            for index in 0..<bytes.count where bytes[index] == separator {
                if number == n { return start..<index }
                number += 1
                start = index + 1
            }
            return number == n ? start..<bytes.count : nil
        }
        guard let bounds else { return nil }
        let lower = text.utf8.index(text.utf8.startIndex, offsetBy: bounds.lowerBound)
        return text[lower..<text.utf8.index(lower, offsetBy: bounds.count)]
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
        guard raw.utf8.contains(bytes.escape) else { return raw }
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

    /// Splits a file or stream of messages: each message starts at a segment beginning "MSH", and is
    /// returned with its segments joined by carriage returns and the line it starts on. Line breaks are
    /// CR, LF or CR LF (one break); MLLP framing bytes (0x0B, 0x1C) are dropped.
    public static func split(_ text: String) -> [(line: Int, text: String)] {
        var text = text
        return text.withUTF8 { bytes in
            var messages: [(Int, String)] = []
            var message: [UInt8] = []
            var messageLine = 1
            var line: [UInt8] = []
            var lineNumber = 1
            var afterCarriageReturn = false
            func endLine() {
                if line.count >= 3, line[0] == UInt8(ascii: "M"), line[1] == UInt8(ascii: "S"), line[2] == UInt8(ascii: "H") {
                    if !message.isEmpty { messages.append((messageLine, String(decoding: message, as: UTF8.self))) }
                    message = line
                    messageLine = lineNumber
                } else if !line.isEmpty, !message.isEmpty {
                    message.append(ASCII.carriageReturn)
                    message.append(contentsOf: line)
                }
                line.removeAll(keepingCapacity: true)
            }
            for byte in bytes {
                switch byte {
                case ASCII.startBlock, ASCII.endBlock:
                    continue
                case ASCII.lineFeed where afterCarriageReturn:
                    afterCarriageReturn = false   // the LF of a CR LF: the line already ended
                case ASCII.carriageReturn, ASCII.lineFeed:
                    endLine()
                    lineNumber += 1
                    afterCarriageReturn = byte == ASCII.carriageReturn
                default:
                    line.append(byte)
                    afterCarriageReturn = false
                }
            }
            endLine()
            if !message.isEmpty { messages.append((messageLine, String(decoding: message, as: UTF8.self))) }
            return messages
        }
    }
}

/// The bytes the parser looks for.
private enum ASCII {
    static let carriageReturn: UInt8 = 0x0D
    static let lineFeed: UInt8 = 0x0A
    static let startBlock: UInt8 = 0x0B
    static let endBlock: UInt8 = 0x1C

    /// A byte a message may declare as a delimiter: ASCII, not a letter, digit, space or line break.
    static func canDelimit(_ byte: UInt8) -> Bool {
        guard byte < 0x80, byte > 0x20 else { return false }
        let isLetterOrDigit = (0x30...0x39).contains(byte) || (0x41...0x5A).contains(byte) || (0x61...0x7A).contains(byte)
        return !isLetterOrDigit && byte != 0x7F
    }

    static func string(_ bytes: UnsafeBufferPointer<UInt8>, _ range: Range<Int>) -> String {
        String(decoding: UnsafeBufferPointer(rebasing: bytes[range]), as: UTF8.self)
    }
}
