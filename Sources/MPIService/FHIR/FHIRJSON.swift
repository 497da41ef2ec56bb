/// A JSON value as FHIR resources are written: objects keep the order their members were given in
/// (`resourceType` first, as FHIR's own examples read), numbers are written as given. Strings are
/// escaped here rather than by the store's `JSONText`, which escapes "/" as Foundation's encoder does:
/// every system URL in a FHIR answer would read `https:\/\/...`.
public indirect enum FHIRJSON: Sendable, ExpressibleByStringLiteral, ExpressibleByBooleanLiteral,
    ExpressibleByArrayLiteral, ExpressibleByDictionaryLiteral {
    case string(String)
    case integer(Int)
    case decimal(Double)
    case bool(Bool)
    case array([FHIRJSON])
    case object([(String, FHIRJSON)])

    public init(stringLiteral value: String) { self = .string(value) }
    public init(booleanLiteral value: Bool) { self = .bool(value) }
    public init(arrayLiteral elements: FHIRJSON...) { self = .array(elements) }
    public init(dictionaryLiteral elements: (String, FHIRJSON)...) { self = .object(elements) }

    /// An object without the members whose value is nil or an empty array (FHIR allows neither).
    public static func object(dropping members: [(String, FHIRJSON?)]) -> FHIRJSON {
        .object(members.compactMap { name, value in
            guard let value else { return nil }
            if case .array(let items) = value, items.isEmpty { return nil }
            return (name, value)
        })
    }

    /// The member `name` of an object.
    public subscript(name: String) -> FHIRJSON? {
        guard case .object(let members) = self else { return nil }
        return members.first { $0.0 == name }?.1
    }

    /// The JSON text.
    public var text: String {
        var out = ""
        write(into: &out)
        return out
    }

    private func write(into out: inout String) {
        switch self {
        case .string(let value): Self.quote(value, into: &out)
        case .integer(let value): out += String(value)
        case .decimal(let value):
            // FHIR decimals: plain notation, no exponent, at most 4 places for a score.
            let rounded = (value * 10_000).rounded() / 10_000
            out += rounded == rounded.rounded() ? String(Int(rounded)) : String(rounded)
        case .bool(let value): out += value ? "true" : "false"
        case .array(let values):
            out += "["
            for (position, value) in values.enumerated() {
                if position > 0 { out += "," }
                value.write(into: &out)
            }
            out += "]"
        case .object(let members):
            out += "{"
            for (position, (name, value)) in members.enumerated() {
                if position > 0 { out += "," }
                Self.quote(name, into: &out)
                out += ":"
                value.write(into: &out)
            }
            out += "}"
        }
    }

    private static func quote(_ value: String, into out: inout String) {
        out += "\""
        for scalar in value.unicodeScalars {
            switch scalar {
            case "\"": out += "\\\""
            case "\\": out += "\\\\"
            case "\n": out += "\\n"
            case "\r": out += "\\r"
            case "\t": out += "\\t"
            case _ where scalar.value < 0x20:
                let hex = String(scalar.value, radix: 16)
                out += "\\u" + String(repeating: "0", count: 4 - hex.count) + hex
            default: out.unicodeScalars.append(scalar)
            }
        }
        out += "\""
    }
}
