import MPICore
public import MPIStore
import MPIProtocol

/// The HL7 v2.5 message that tells one subscriber of one outbox entry, or nil when the subscriber
/// does not want that event. The message control id is the entry's sequence number, so a message sent
/// again after a lost acknowledgement has the same id and the subscriber can drop the duplicate.
///
/// Messages carry identifiers only: PID-3 lists the person's enterprise id and its records' ids in the
/// subscriber's domains, and PID-5 is the single space ITI-10 asks for instead of a name.
public struct NotificationMessage: Sendable, Hashable {
    public let sequence: Int64
    public let controlId: String
    /// "A31", "A40", "A24" or "A37".
    public let event: String
    public let text: String

    public static func controlId(sequence: Int64) -> String { "MPIN\(sequence)" }

    /// - Parameter now: MSH-7 and EVN-2, an HL7 TS.
    public init?(_ change: IdentityChange, for subscriber: Subscriber, registry: ClientRegistry, now: String) {
        guard subscriber.wantedEvents.contains(change.event) else { return nil }
        let domains = subscriber.domains.map { names in registry.domains.filter { names.contains($0.name) } } ?? registry.domains
        var writer = HL7Writer()
        let control = Self.controlId(sequence: change.sequence)
        func header(_ type: String, _ structure: String) {
            writer.header(["MPI", "NWL", subscriber.receivingApplication ?? "", subscriber.receivingFacility ?? "", now, "",
                           writer.field(["ADT", type, structure]), control, "P", "2.5"])
            writer.segment("EVN", ["", now])
        }
        func identifiers(person: EnterpriseID?, records: [RecordKey]) -> String {
            var list: [String] = []
            for domain in domains {
                switch domain.kind {
                case .enterprise:
                    if let person { list.append(writer.identifier(value: person.description, namespace: domain.name,
                                                                  universalId: domain.universalId ?? "", type: "PI")) }
                case .source:
                    for record in records where record.source == domain.name {
                        list.append(writer.identifier(value: record.recordId, namespace: domain.name, universalId: domain.universalId ?? "", type: "MR"))
                    }
                case .nhsNumber:
                    break   // a demographic held with the record, not in the outbox
                }
            }
            return writer.repetitions(list)
        }
        func patient(person: EnterpriseID?, records: [RecordKey]) {
            writer.segment("PID", ["", "", identifiers(person: person, records: records), "", " "])
        }

        switch (subscriber.profile, change.event) {
        case (.adt, .merged):
            guard let retired = change.otherId else { return nil }
            header("A40", "ADT_A39")
            patient(person: change.enterpriseId, records: change.records)
            let retiredIds = domains.filter { $0.kind == .enterprise }.map {
                writer.identifier(value: retired.description, namespace: $0.name, universalId: $0.universalId ?? "", type: "PI")
            }
            guard !retiredIds.isEmpty else { return nil }   // without an enterprise domain there is nothing to say which id retired
            writer.segment("MRG", [writer.repetitions(retiredIds)])
            event = "A40"
        case (.adt, .linked), (.adt, .unlinked):
            guard change.records.count == 2 else { return nil }
            let type = change.event == .linked ? "A24" : "A37"
            header(type, type == "A24" ? "ADT_A24" : "ADT_A37")
            // Each record with the person it belonged to when the steward decided; PV1-2 "N" (not
            // applicable) after each, as ITI-10 sends it.
            patient(person: change.enterpriseId, records: [change.records[0]])
            writer.segment("PV1", ["", "N"])
            patient(person: change.otherId, records: [change.records[1]])
            writer.segment("PV1", ["", "N"])
            event = type
        case (_, .created), (_, .updated), (_, .merged), (_, .split):
            header("A31", "ADT_A05")
            patient(person: change.enterpriseId, records: change.records)
            writer.segment("PV1", ["", "N"])
            event = "A31"
        case (.iti10, .linked), (.iti10, .unlinked):
            return nil
        }
        sequence = change.sequence
        controlId = control
        text = writer.text
    }
}
