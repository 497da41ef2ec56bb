/// The demographics of a PID segment, as raw text for the normalisers: the same fields the batch
/// linkage reads from CSV columns, so an HL7 feed and an extract are normalised one way.
public struct PatientIdentity: Sendable, Hashable {
    public struct Identifier: Sendable, Hashable {
        public let value: String
        /// CX-4, the assigning authority's namespace id ("R1K", "NHS").
        public let authority: String
        /// CX-5, the identifier type code ("MR", "NH").
        public let type: String
    }

    public var identifiers: [Identifier] = []
    public var family = ""
    public var given = ""
    public var middle = ""
    public var dateOfBirth = ""
    public var sex = ""
    public var addressLines: [String] = []
    public var postcode = ""
    public var phone = ""
    public var previousFamily = ""

    /// The NHS number among the identifiers: assigning authority NHS or type NH (UK convention).
    public var nhsNumber: String? {
        identifiers.first { $0.authority.uppercased() == "NHS" || $0.type.uppercased() == "NH" }?.value
    }

    /// The identifier a source assigns: the one whose authority is `source`, else the first typed MR.
    public func recordId(source: String) -> String? {
        identifiers.first { $0.authority == source }?.value ?? identifiers.first { $0.type.uppercased() == "MR" }?.value
    }

    /// Reads PID-3 (identifiers), PID-5 (name), PID-7 (date of birth), PID-8 (sex), PID-11 (address),
    /// PID-13 (home phone); the first repetition of name, address and phone is used. A maiden or
    /// previous surname comes from a second PID-5 repetition with name type M or B, when present.
    public init(pid: HL7Message.Segment, in message: HL7Message) {
        for repetition in message.repetitions(pid[field: 3]) where !repetition.isEmpty {
            identifiers.append(Identifier(value: message.component(repetition, 1), authority: message.component(repetition, 4),
                                          type: message.component(repetition, 5)))
        }
        let names = message.repetitions(pid[field: 5])
        if let name = names.first {
            family = message.component(name, 1)
            given = message.component(name, 2)
            middle = message.component(name, 3)
        }
        if let previous = names.dropFirst().first(where: { ["M", "B"].contains(message.component($0, 7).uppercased()) }) {
            previousFamily = message.component(previous, 1)
        }
        dateOfBirth = message.component(pid[field: 7], 1)
        sex = message.component(pid[field: 8], 1)
        if let address = message.repetitions(pid[field: 11]).first {
            addressLines = [message.component(address, 1), message.component(address, 2), message.component(address, 3)]
                .filter { !$0.isEmpty }
            postcode = message.component(address, 5)
        }
        if let phone = message.repetitions(pid[field: 13]).first {
            // XTN-1 (the number as text) or XTN-12 (unformatted), whichever is present.
            self.phone = message.component(phone, 1).isEmpty ? message.component(phone, 12) : message.component(phone, 1)
        }
    }
}
