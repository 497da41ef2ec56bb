/// Writes HL7 v2 message text in a given set of encoding characters, escaping values so that a
/// separator inside a name or an error text can never change the structure.
public struct HL7Writer: Sendable {
    public let encoding: HL7Message.Encoding
    private var segments: [String] = []

    public init(encoding: HL7Message.Encoding = HL7Message.Encoding()) {
        self.encoding = encoding
    }

    /// The value with its delimiter and escape characters written as escape sequences.
    public func escape(_ text: String) -> String {
        let special: Set<Character> = [encoding.field, encoding.component, encoding.repetition, encoding.escape, encoding.subcomponent]
        guard text.contains(where: special.contains) || text.contains(where: \.isNewline) else { return text }
        var result = ""
        for character in text {
            switch character {
            case encoding.escape: result += "\(encoding.escape)E\(encoding.escape)"
            case encoding.field: result += "\(encoding.escape)F\(encoding.escape)"
            case encoding.component: result += "\(encoding.escape)S\(encoding.escape)"
            case encoding.subcomponent: result += "\(encoding.escape)T\(encoding.escape)"
            case encoding.repetition: result += "\(encoding.escape)R\(encoding.escape)"
            case _ where character.isNewline: result += " "   // a segment break inside a value would split the segment
            default: result.append(character)
            }
        }
        return result
    }

    /// A field from component values (escaped here), without trailing empty components.
    public func field(_ components: [String]) -> String {
        var parts = components.map(escape)
        while parts.last?.isEmpty == true { parts.removeLast() }
        return parts.joined(separator: String(encoding.component))
    }

    /// A component from subcomponent values (escaped here).
    public func component(_ subcomponents: [String]) -> String {
        var parts = subcomponents.map(escape)
        while parts.last?.isEmpty == true { parts.removeLast() }
        return parts.joined(separator: String(encoding.subcomponent))
    }

    /// An identifier (data type CX): value ^^^ namespace & universal id & ISO ^ type.
    public func identifier(value: String, namespace: String, universalId: String, type: String) -> String {
        let c = String(encoding.component)
        let authority = component([namespace, universalId, universalId.isEmpty ? "" : "ISO"])
        return escape(value) + c + c + c + authority + (type.isEmpty ? "" : c + escape(type))
    }

    /// Repetitions of already-built field values.
    public func repetitions(_ values: [String]) -> String { values.joined(separator: String(encoding.repetition)) }

    /// Appends a segment from already-built field values: fields[0] is field 1.
    public mutating func segment(_ id: String, _ fields: [String]) {
        var built = fields
        while built.last?.isEmpty == true { built.removeLast() }
        segments.append(([id] + built).joined(separator: String(encoding.field)))
    }

    /// Appends an MSH segment; `fields` starts at MSH-3 (MSH-1 and MSH-2 come from the encoding).
    public mutating func header(_ fields: [String]) {
        let characters = String([encoding.component, encoding.repetition, encoding.escape, encoding.subcomponent])
        segments.append((["MSH", characters] + fields).joined(separator: String(encoding.field)))
    }

    /// The message: segments ended by carriage returns.
    public var text: String { segments.map { $0 + "\r" }.joined() }
}
