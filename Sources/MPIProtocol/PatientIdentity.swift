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
        // Repetitions are read in place (no array of copies): this runs for every message of a feed.
        var number = 1
        while let repetition = message.repetition(pid[field: 3], number) {
            number += 1
            guard !repetition.isEmpty else { continue }
            identifiers.append(Identifier(value: message.component(repetition, 1), authority: message.component(repetition, 4),
                                          type: message.component(repetition, 5)))
        }
        let names = pid[field: 5]
        if let name = message.repetition(names, 1) {
            family = message.component(name, 1)
            given = message.component(name, 2)
            middle = message.component(name, 3)
        }
        number = 2
        while let previous = message.repetition(names, number) {
            number += 1
            let type = message.component(previous, 7)
            if type == "M" || type == "m" || type == "B" || type == "b" {
                previousFamily = message.component(previous, 1)
                break
            }
        }
        dateOfBirth = message.component(pid[field: 7], 1)
        sex = message.component(pid[field: 8], 1)
        if let address = message.repetition(pid[field: 11], 1) {
            for line in 1...3 {
                let text = message.component(address, line)
                if !text.isEmpty { addressLines.append(text) }
            }
            postcode = message.component(address, 5)
        }
        if let phone = message.repetition(pid[field: 13], 1) {
            // XTN-1 (the number as text) or XTN-12 (unformatted), whichever is present.
            let number = message.component(phone, 1)
            self.phone = number.isEmpty ? message.component(phone, 12) : number
        }
    }
}
