import Foundation
import MPICore
import MPIProtocol
import MPIService
import MPIStore
import MPIStoreTestSupport
import Testing

/// The HL7 v2 conversation, case by case. Cases named OHIE-CR-nn follow the OpenHIE client registry
/// conformance tests for PIX/PDQ over HL7 v2 (as SanteDB publishes them), with our own messages and
/// our domains (R1K etc. for TEST, NHS for NID, MPI for the enterprise id domain).
@Suite struct HL7ServiceTests {
    private func message(_ segments: String...) -> String { segments.joined(separator: "\r") }

    private func ask(_ session: HL7Session, _ text: String) throws -> HL7Message {
        try HL7Message(session.handle(text).response)
    }

    private func msa(_ response: HL7Message) -> (code: String, control: String) {
        (response.segment("MSA")?[field: 1] ?? "", response.segment("MSA")?[field: 2] ?? "")
    }

    private func identifiers(_ response: HL7Message) -> [IdentifierReference] {
        response.repetitions(response.segment("PID")?[field: 3] ?? "").map { IdentifierReference(cx: $0, in: response) }
    }

    private func pix(_ identifier: String, domains: String = "", control: String = "PIX1", from sender: String = "EHR|R1K") -> String {
        message("MSH|^~\\&|\(sender)|MPI|NWL|20261128120000||QBP^Q23^QBP_Q21|\(control)|P|2.5",
                "QPD|IHE PIX Query|T-\(control)|\(identifier)|\(domains)", "RCP|I")
    }

    @Test(arguments: StoreBackend.allCases) func ohieCR02RegisterThenCrossReferenceToTheEnterpriseId(_ backend: StoreBackend) async throws {
        let fixture = try await ServiceFixture.make(backend: backend)
        defer { fixture.remove() }
        let session = HL7Session(index: fixture.index, registry: fixture.registry, limiter: ConnectionLimiter())
        let ack = try ask(session, message("MSH|^~\\&|EHR|R1K|MPI|NWL|20261128120000||ADT^A01^ADT_A01|REG-1|P|2.3.1", "EVN||20261128",
                                           "PID|||NEW-0001^^^R1K^MR||QUIXOTE-ZZYZX^ALONSO^^^^^L||19470302|M|||1 Mill Lane^^Uxbridge^^UB8 1AA", "PV1||I"))
        #expect(msa(ack) == ("AA", "REG-1"))
        let msh = try #require(ack.segment("MSH"))
        #expect([msh[field: 5], msh[field: 6]] == ["EHR", "R1K"])   // sender and receiver swapped
        #expect(msh[field: 9] == "ACK^A01^ACK")
        #expect(msh[field: 12] == "2.3.1")
        #expect(msh[field: 7].count == 19 && msh[field: 7].hasSuffix("+0000") && msh[field: 7].prefix(14).allSatisfy(\.isNumber))

        let answer = try ask(session, pix("NEW-0001^^^R1K^MR", domains: "^^^MPI"))
        #expect(msa(answer) == ("AA", "PIX1"))
        #expect(answer.segment("QAK")?[field: 2] == "OK")
        let ids = identifiers(answer)
        #expect(ids.count == 1)
        #expect(ids.first?.namespace == "MPI")
        #expect(EnterpriseID(ids.first?.value ?? "") != nil)   // a valid id with its check character
    }

    @Test(arguments: StoreBackend.allCases) func ohieCR03AnIdentifierFromAnUnknownAuthorityIsNotRegistered(_ backend: StoreBackend) async throws {
        let fixture = try await ServiceFixture.make(backend: backend)
        defer { fixture.remove() }
        let session = HL7Session(index: fixture.index, registry: fixture.registry, limiter: ConnectionLimiter())
        for authority in ["TEST_BLOCK", "&2.16.840.1.113883.3.72.5.9.4&ISO"] {
            let ack = try ask(session, message("MSH|^~\\&|EHR|R1K|MPI|NWL|20261128120000||ADT^A01^ADT_A01|CR03|P|2.3.1",
                                               "PID|||RJ-999-2^^^\(authority)||THAMES^ROBERT||1983|M"))
            #expect(["AE", "AR"].contains(msa(ack).code))
            #expect(ack.segment("ERR")?[field: 2] == "PID^1^3^1^4")
            #expect(ack.messageType.code == "ACK")
        }
        #expect(fixture.index.resolve(.record(RecordKey(source: "R1K", recordId: "RJ-999-2")), actor: "test").isEmpty)
    }

    @Test(arguments: StoreBackend.allCases) func ohieCR04ASenderMayOnlyAssignIdentifiersInItsOwnDomain(_ backend: StoreBackend) async throws {
        let fixture = try await ServiceFixture.make(backend: backend)
        defer { fixture.remove() }
        let session = HL7Session(index: fixture.index, registry: fixture.registry, limiter: ConnectionLimiter())
        let ack = try ask(session, message("MSH|^~\\&|EHR|R1K|MPI|NWL|20261128120000||ADT^A04^ADT_A01|CR04|P|2.5",
                                           "PID|||X-1^^^RYJ^MR||JONES^ANN||19800101|F"))
        #expect(msa(ack).code == "AR")
        // A lab that may only resolve cannot register at all, even in its own domain.
        let lab = try ask(session, message("MSH|^~\\&|LAB|RYJ|MPI|NWL|20261128120000||ADT^A04^ADT_A01|CR04b|P|2.5",
                                           "PID|||X-1^^^RYJ^MR||JONES^ANN||19800101|F"))
        #expect(msa(lab).code == "AR")
    }

    @Test(arguments: StoreBackend.allCases) func ohieCR09UnknownIdentifierOrDomainIsAnErrorAtTheRightPlace(_ backend: StoreBackend) async throws {
        let fixture = try await ServiceFixture.make(backend: backend)
        defer { fixture.remove() }
        let session = HL7Session(index: fixture.index, registry: fixture.registry, limiter: ConnectionLimiter())
        let unknown = try ask(session, pix("RJ-443^^^R1K^PI", control: "CR09-10"))
        #expect(msa(unknown) == ("AE", "CR09-10"))
        #expect(unknown.segment("QAK")?[field: 2] == "AE")
        #expect(unknown.segment("ERR")?[field: 2] == "QPD^1^3^1^1")
        #expect(unknown.component(unknown.segment("ERR")?[field: 3] ?? "", 1) == "204")
        let badDomain = try ask(session, pix("RJ-443^^^RANDOM^PI", control: "CR09-20"))
        #expect(msa(badDomain).code == "AE")
        #expect(badDomain.segment("ERR")?[field: 2] == "QPD^1^3^1^4")
    }

    @Test(arguments: StoreBackend.allCases) func ohieCR10OnlyTheDomainsAskedForAreReturned(_ backend: StoreBackend) async throws {
        let fixture = try await ServiceFixture.make(backend: backend)
        defer { fixture.remove() }
        let session = HL7Session(index: fixture.index, registry: fixture.registry, limiter: ConnectionLimiter())
        let shared = try fixture.sharedPerson()
        let ryjOnly = try ask(session, pix("\(shared.r1k.recordId)^^^R1K^MR", domains: "^^^RYJ"))
        #expect(msa(ryjOnly).code == "AA")
        #expect(identifiers(ryjOnly).allSatisfy { $0.namespace == "RYJ" })
        #expect(identifiers(ryjOnly).map(\.value).contains(shared.ryj.recordId))
        // By universal id rather than namespace, the same domain.
        let byOID = try ask(session, pix("\(shared.ryj.recordId)^^^&2.16.840.1.113883.2.1.3.2.4.18.24.1&ISO", control: "OID"))
        #expect(msa(byOID).code == "AE")   // the OID is R1K's; the RYJ number is not an R1K number
        let all = try ask(session, pix("\(shared.r1k.recordId)^^^R1K^MR"))
        #expect(identifiers(all).contains { $0.namespace == "MPI" && $0.value == shared.enterpriseId.description })
        #expect(!identifiers(all).contains { $0.namespace == "R1K" && $0.value == shared.r1k.recordId })   // not the one asked about
        let random = try ask(session, pix("\(shared.r1k.recordId)^^^R1K^MR", domains: "^^^RYJ~^^^RANDOM"))
        #expect(msa(random).code == "AE")
        #expect(random.segment("ERR")?[field: 2] == "QPD^1^4^2^4")
    }

    /// Two trusts register one patient with differing demographics but the same NHS number: the
    /// explicit national identifier links them (OHIE-CR-06 and 18 use a national id in PID-3).
    @Test(arguments: StoreBackend.allCases) func ohieCR06TheNationalIdentifierLinksAcrossSources(_ backend: StoreBackend) async throws {
        let fixture = try await ServiceFixture.make(backend: backend)
        defer { fixture.remove() }
        let session = HL7Session(index: fixture.index, registry: fixture.registry, limiter: ConnectionLimiter())
        let first = try ask(session, message("MSH|^~\\&|EHR|R1K|MPI|NWL|20261128120000||ADT^A01^ADT_A01|CR06-1|P|2.3.1",
                                             "PID|||RJ-449^^^R1K^MR~943 476 5919^^^NHS^NH||SMITHERINGALE^JOHN||1980|M"))
        #expect(msa(first).code == "AA")
        let second = try ask(session, message("MSH|^~\\&|PAS|RAS|MPI|NWL|20261128120000||ADT^A01^ADT_A01|CR06-2|P|2.3.1",
                                              "PID|||RJ-449B^^^RAS^MR~9434765919^^^&2.16.840.1.113883.2.1.4.1&ISO^NH||SMITHERINGALE^JON||198005|M"))
        #expect(msa(second).code == "AA")
        let answer = try ask(session, pix("RJ-449^^^R1K^MR", domains: "^^^RAS"))
        #expect(identifiers(answer).map(\.value) == ["RJ-449B"])
    }

    /// PDQ by a date of birth known only to the year or the month still finds the patient, first.
    @Test(arguments: StoreBackend.allCases) func ohieCR14PartialDatesOfBirthMatch(_ backend: StoreBackend) async throws {
        let fixture = try await ServiceFixture.make(backend: backend)
        defer { fixture.remove() }
        let session = HL7Session(index: fixture.index, registry: fixture.registry, limiter: ConnectionLimiter())
        _ = try ask(session, message("MSH|^~\\&|EHR|R1K|MPI|NWL|20261128120000||ADT^A01^ADT_A01|CR14-1|P|2.3.1",
                                     "PID|||RJ-439^^^R1K||JONES-QUARTERMAINE^JENNIFER|SMITH|19840125|F|||123 Main Street West^^Newark^^UB8 1AA"))
        for (control, dob) in [("CR14-2", "1984"), ("CR14-3", "198401"), ("CR14-4", "19840125")] {
            let answer = try ask(session, message("MSH|^~\\&|EHR|R1K|MPI|NWL|20261128120000||QBP^Q22^QBP_Q21|\(control)|P|2.5",
                                                  "QPD|Q22^Find Candidates^HL7|Q1420|@PID.5.1^JONES-QUARTERMAINE~@PID.7^\(dob)", "RCP|I|10^RD"))
            #expect(msa(answer).code == "AA")
            #expect(answer.segment("QAK")?[field: 2] == "OK", "\(dob)")
            #expect(identifiers(answer).contains { $0.namespace == "R1K" && $0.value == "RJ-439" }, "\(dob)")   // the first PID's ids
        }
    }

    @Test(arguments: StoreBackend.allCases) func pixAnswersNotFoundWhenThePersonHasNothingInTheDomain(_ backend: StoreBackend) async throws {
        let fixture = try await ServiceFixture.make(backend: backend)
        defer { fixture.remove() }
        let session = HL7Session(index: fixture.index, registry: fixture.registry, limiter: ConnectionLimiter())
        _ = try ask(session, message("MSH|^~\\&|EHR|R1K|MPI|NWL|20261128120000||ADT^A04^ADT_A01|R|P|2.5",
                                     "PID|||LONE-1^^^R1K^MR||VANTONGEREN-QUILL^OSWIN||19330909|M"))
        let answer = try ask(session, pix("LONE-1^^^R1K^MR", domains: "^^^RQM"))
        #expect(msa(answer).code == "AA")
        #expect(answer.segment("QAK")?[field: 2] == "NF")
        #expect(answer.segment("PID") == nil)
    }

    @Test(arguments: StoreBackend.allCases) func pdqRanksCandidatesWithTheirScoreAndContinues(_ backend: StoreBackend) async throws {
        let fixture = try await ServiceFixture.make(backend: backend)
        defer { fixture.remove() }
        let session = HL7Session(index: fixture.index, registry: fixture.registry, limiter: ConnectionLimiter())
        let shared = try fixture.sharedPerson()
        let date = try #require(shared.record.dateOfBirth?.date)
        let dob = String(format: "%04d%02d%02d", date.year, date.month, date.day)
        let query = message("MSH|^~\\&|EHR|R1K|MPI|NWL|20261128120000||QBP^Q22^QBP_Q21|PDQ1|P|2.5",
                            "QPD|IHE PDQ Query|PDQ-T|@PID.5.1^\(shared.record.name.family)~@PID.5.2^\(shared.record.name.given)~@PID.7^\(dob)",
                            "RCP|I|1^RD")
        let first = try ask(session, query)
        #expect(msa(first) == ("AA", "PDQ1"))
        #expect(first.segment("QAK")?[field: 2] == "OK")
        #expect(first.segments.filter { $0.id == "PID" }.count == 1)
        let score = try #require(Double(first.segment("QRI")?[field: 1] ?? ""))
        #expect(score > 0.99)
        #expect(identifiers(first).contains { $0.namespace == "MPI" && $0.value == shared.enterpriseId.description })
        // A second page when there is one; the pointer is good once.
        if let pointer = first.segment("DSC")?[field: 1], !pointer.isEmpty {
            let next = try ask(session, query + "\rDSC|\(pointer)|I")
            #expect(msa(next).code == "AA")
            let again = try ask(session, query + "\rDSC|\(pointer)|I")
            #expect(msa(again).code == "AE")
        }
    }

    /// A PDQ consumer gets the demographics as registered: the hyphen in a double-barrelled surname,
    /// middle names, street, town and phone, not the index's normalised forms.
    @Test(arguments: StoreBackend.allCases) func pdqAnswersWithTheDemographicsAsRegistered(_ backend: StoreBackend) async throws {
        let fixture = try await ServiceFixture.make(backend: backend)
        defer { fixture.remove() }
        let session = HL7Session(index: fixture.index, registry: fixture.registry, limiter: ConnectionLimiter())
        let registered = try ask(session, message("MSH|^~\\&|EHR|R1K|MPI|NWL|20261207120000||ADT^A04^ADT_A01|REG-QB|P|2.5",
                                                  "PID|||QB-1^^^R1K^MR||Quintero-Blake^Ana^Maria||19770412|F|||12 Pield Heath Road^Flat 2^Uxbridge^^UB8 3NN||01895 238282"))
        #expect(msa(registered).code == "AA")
        let answer = try ask(session, message("MSH|^~\\&|EHR|R1K|MPI|NWL|20261207120100||QBP^Q22^QBP_Q21|PDQ-QB|P|2.5",
                                              "QPD|IHE PDQ Query|PDQ-QB|@PID.5.1^QUINTERO-BLAKE~@PID.7^19770412", "RCP|I|5^RD"))
        #expect(msa(answer).code == "AA")
        let pid = try #require(answer.segment("PID"))
        #expect(answer.component(pid[field: 5], 1) == "Quintero-Blake")
        #expect(answer.component(pid[field: 5], 2) == "Ana" && answer.component(pid[field: 5], 3) == "Maria")
        #expect(answer.component(pid[field: 11], 1) == "12 Pield Heath Road" && answer.component(pid[field: 11], 3) == "Uxbridge")
        #expect(answer.component(pid[field: 11], 5) == "UB8 3NN")
        #expect(pid[field: 13] == "01895 238282")
        #expect(pid[field: 7] == "19770412" && pid[field: 8] == "F")
    }

    @Test(arguments: StoreBackend.allCases) func a08UpdatesAndA40MergesTwoRecordsOfOneSource(_ backend: StoreBackend) async throws {
        let fixture = try await ServiceFixture.make(backend: backend)
        defer { fixture.remove() }
        let session = HL7Session(index: fixture.index, registry: fixture.registry, limiter: ConnectionLimiter())
        for (id, name) in [("M-1", "PELLINGHAM^ORLA"), ("M-2", "FROBISHER-WYNN^TARQUIN")] {
            let ack = try ask(session, message("MSH|^~\\&|EHR|R1K|MPI|NWL|20261128120000||ADT^A04^ADT_A01|\(id)|P|2.5",
                                               "PID|||\(id)^^^R1K^MR||\(name)||19610704|F"))
            #expect(msa(ack).code == "AA")
        }
        let update = try ask(session, message("MSH|^~\\&|EHR|R1K|MPI|NWL|20261128120000||ADT^A08^ADT_A01|U-1|P|2.5",
                                              "PID|||M-2^^^R1K^MR||FROBISHER-WYNN^TARQUIN||19610705|M"))
        #expect(msa(update).code == "AA")
        let before = fixture.index.resolve(.record(RecordKey(source: "R1K", recordId: "M-1")), actor: "test")
        #expect(before.first?.records.count == 1)
        let merge = try ask(session, message("MSH|^~\\&|EHR|R1K|MPI|NWL|20261128120000||ADT^A40^ADT_A39|MG-1|P|2.5",
                                             "PID|||M-1^^^R1K^MR||PELLINGHAM^ORLA||19610704|F", "MRG|M-2^^^R1K"))
        #expect(msa(merge) == ("AA", "MG-1"))
        #expect(fixture.index.resolve(.record(RecordKey(source: "R1K", recordId: "M-2")), actor: "test").isEmpty)   // retired by its source
        let after = try #require(fixture.index.resolve(.record(RecordKey(source: "R1K", recordId: "M-1")), actor: "test").first)
        #expect(after.records == [RecordKey(source: "R1K", recordId: "M-1")])
        #expect(try fixture.store.history(try #require(EnterpriseID(after.enterpriseId))).contains { $0.action == "merge" })
        let unknown = try ask(session, message("MSH|^~\\&|EHR|R1K|MPI|NWL|20261128120000||ADT^A40^ADT_A39|MG-2|P|2.5",
                                               "PID|||M-1^^^R1K^MR||PELLINGHAM^ORLA", "MRG|NOT-THERE^^^R1K"))
        #expect(msa(unknown).code == "AE")
        #expect(unknown.component(unknown.segment("ERR")?[field: 3] ?? "", 1) == "204")
    }

    @Test(arguments: StoreBackend.allCases) func aNetworkManagementQueryAnswersReadiness(_ backend: StoreBackend) async throws {
        let fixture = try await ServiceFixture.make(backend: backend)
        defer { fixture.remove() }
        let session = HL7Session(index: fixture.index, registry: fixture.registry, limiter: ConnectionLimiter())
        let answer = try ask(session, message("MSH|^~\\&|LAB|RYJ|MPI|NWL|20261128120000||NMQ^N01^NMQ_N01|H-1|P|2.5"))
        #expect(msa(answer) == ("AA", "H-1"))
        #expect(answer.segment("MSA")?[field: 3] == "ready: \(fixture.index.recordCount) records")
    }

    @Test(arguments: StoreBackend.allCases) func unknownSendersAndUnsupportedMessagesAreRejectedNotDropped(_ backend: StoreBackend) async throws {
        let fixture = try await ServiceFixture.make(backend: backend)
        defer { fixture.remove() }
        let session = HL7Session(index: fixture.index, registry: fixture.registry, limiter: ConnectionLimiter())
        let stranger = try ask(session, pix("1^^^R1K", from: "WHO|KNOWS"))
        #expect(msa(stranger).code == "AR")
        let a31 = try ask(session, message("MSH|^~\\&|EHR|R1K|MPI|NWL|20261128120000||ADT^A31^ADT_A05|X1|P|2.5", "PID|||1^^^R1K"))
        #expect(msa(a31).code == "AR")
        #expect(a31.component(a31.segment("ERR")?[field: 3] ?? "", 1) == "201")
        let oru = try ask(session, message("MSH|^~\\&|EHR|R1K|MPI|NWL|20261128120000||ORU^R01^ORU_R01|X2|P|2.5"))
        #expect(oru.component(oru.segment("ERR")?[field: 3] ?? "", 1) == "200")
        let noPID = try ask(session, message("MSH|^~\\&|EHR|R1K|MPI|NWL|20261128120000||ADT^A01^ADT_A01|X3|P|2.5"))
        #expect(msa(noPID).code == "AE")
        let garbage = try ask(session, "this is not HL7")
        #expect(msa(garbage).code == "AR")
    }
}
