import Foundation
import MPICore
import MPIService
import MPIStore
import NIOCore
import MPIStoreTestSupport
import Testing

@Suite struct JSONLinesServiceTests {
    private func ask(_ session: JSONLinesSession, _ request: [String: Any]) throws -> [String: Any] {
        let line = ByteBuffer(bytes: try JSONSerialization.data(withJSONObject: request))
        let response = session.handle(line).response
        let text = String(buffer: response)
        #expect(text.hasSuffix("\n") && text.dropLast().allSatisfy { $0 != "\n" })   // exactly one line
        return try #require(try JSONSerialization.jsonObject(with: Data(text.utf8)) as? [String: Any])
    }

    private func errorCode(_ answer: [String: Any]) -> String? { (answer["error"] as? [String: Any])?["code"] as? String }

    @Test(arguments: StoreBackend.allCases) func everyAnswerEchoesItsIdAndNothingRunsBeforeAuthentication(_ backend: StoreBackend) async throws {
        let fixture = try await ServiceFixture.make(backend: backend)
        defer { fixture.remove() }
        let session = JSONLinesSession(index: fixture.index, registry: fixture.registry, limiter: ConnectionLimiter())
        let ping = try ask(session, ["id": "p-1", "op": "ping"])
        #expect(ping["id"] as? String == "p-1")
        #expect((ping["result"] as? [String: Any])?["status"] as? String == "ready")
        let early = try ask(session, ["id": 7, "op": "resolve", "identifier": ["domain": "R1K", "value": "x"]])
        #expect(early["id"] as? Int == 7)
        #expect(errorCode(early) == "unauthenticated")
        #expect(errorCode(try ask(session, ["id": 8, "op": "authenticate", "token": "wrong"])) == "unauthenticated")
        let authenticated = try ask(session, ["id": 9, "op": "authenticate", "token": ServiceFixture.ehrToken])
        #expect((authenticated["result"] as? [String: Any])?["client"] as? String == "r1k-ehr")
        #expect(errorCode(try ask(session, ["id": 10, "op": "frobnicate"])) == "unknown_operation")
        #expect(errorCode(try ask(session, ["id": 11])) == "invalid_request")
        let notJSON = String(buffer: session.handle(ByteBuffer(string: "{nope")).response)
        #expect(notJSON.contains("invalid_request"))
    }

    @Test(arguments: StoreBackend.allCases) func resolveMatchRegisterAndMerge(_ backend: StoreBackend) async throws {
        let fixture = try await ServiceFixture.make(backend: backend)
        defer { fixture.remove() }
        let session = JSONLinesSession(index: fixture.index, registry: fixture.registry, limiter: ConnectionLimiter())
        _ = try ask(session, ["id": 0, "op": "authenticate", "token": ServiceFixture.ehrToken])
        let shared = try fixture.sharedPerson()

        let resolved = try ask(session, ["id": 1, "op": "resolve", "identifier": ["domain": "RYJ", "value": shared.ryj.recordId]])
        let person = try #require(((resolved["result"] as? [String: Any])?["persons"] as? [[String: Any]])?.first)
        #expect(person["enterpriseId"] as? String == shared.enterpriseId.description)
        #expect(errorCode(try ask(session, ["id": 2, "op": "resolve", "identifier": ["domain": "NOWHERE", "value": "1"]])) == "unknown_domain")
        #expect(errorCode(try ask(session, ["id": 3, "op": "resolve", "identifier": ["domain": "R1K", "value": "absent"]])) == "unknown_identifier")
        #expect(errorCode(try ask(session, ["id": 4, "op": "resolve", "identifier": ["domain": "MPI", "value": "0000-0000-X"]])) == "unknown_identifier")

        let date = try #require(shared.record.dateOfBirth?.date)
        let demographics: [String: Any] = ["given": shared.record.name.given, "family": shared.record.name.family,
                                           "dateOfBirth": String(format: "%04d-%02d-%02d", date.year, date.month, date.day)]
        let matched = try ask(session, ["id": 5, "op": "match", "demographics": demographics, "limit": 3])
        let best = try #require(((matched["result"] as? [String: Any])?["candidates"] as? [[String: Any]])?.first)
        #expect(best["enterpriseId"] as? String == shared.enterpriseId.description)
        #expect(["certain", "probable"].contains(best["grade"] as? String))
        #expect(((best["explanation"] as? [String: Any])?["steps"] as? [Any])?.isEmpty == false)

        // The same person arriving at R1K under a new number joins the existing person.
        var arriving = demographics
        arriving["nhsNumber"] = shared.record.nhsNumber?.digits ?? ""
        arriving["sex"] = shared.record.sex?.rawValue == "female" ? "F" : "M"
        arriving["postcode"] = shared.record.postcode?.description ?? ""
        let registered = try ask(session, ["id": 6, "op": "register", "source": "R1K", "recordId": "NEW-77", "demographics": arriving])
        let outcome = try #require(registered["result"] as? [String: Any])
        #expect(outcome["enterpriseId"] as? String == shared.enterpriseId.description, "\(outcome)")
        #expect(outcome["outcome"] as? String == "linked")
        let resend = try ask(session, ["id": 7, "op": "register", "source": "R1K", "recordId": "NEW-77", "demographics": arriving])
        #expect((resend["result"] as? [String: Any])?["outcome"] as? String == "unchanged")

        #expect(errorCode(try ask(session, ["id": 8, "op": "register", "source": "RYJ", "recordId": "Z", "demographics": arriving])) == "forbidden")
        #expect(errorCode(try ask(session, ["id": 9, "op": "update", "source": "R1K", "recordId": "NEVER-SEEN", "demographics": arriving]))
            == "unknown_identifier")

        let stranger = try ask(session, ["id": 10, "op": "register", "source": "R1K", "recordId": "NEW-78",
                                         "demographics": ["given": "Peregrine", "family": "Zanzibar-Quince", "dateOfBirth": "1921-02-03"]])
        #expect((stranger["result"] as? [String: Any])?["outcome"] as? String == "created")
        let merged = try ask(session, ["id": 11, "op": "merge", "source": "R1K", "survivor": "NEW-77", "retired": "NEW-78"])
        let mergedPerson = try #require((merged["result"] as? [String: Any])?["person"] as? [String: Any])
        #expect(mergedPerson["enterpriseId"] as? String == shared.enterpriseId.description)
        #expect(try fixture.store.auditTrail().contains { $0.action == "merge" && $0.actor == "r1k-ehr" })
    }

    @Test(arguments: StoreBackend.allCases) func aResolveOnlyClientCannotMatchOrRegister(_ backend: StoreBackend) async throws {
        let fixture = try await ServiceFixture.make(backend: backend)
        defer { fixture.remove() }
        let session = JSONLinesSession(index: fixture.index, registry: fixture.registry, limiter: ConnectionLimiter())
        _ = try ask(session, ["id": 0, "op": "authenticate", "token": ServiceFixture.labToken])
        #expect(errorCode(try ask(session, ["id": 1, "op": "match", "demographics": ["family": "SMITH"]])) == "forbidden")
        #expect(errorCode(try ask(session, ["id": 2, "op": "register", "source": "RYJ", "recordId": "1", "demographics": ["family": "X"]])) == "forbidden")
    }

    /// Every kind of refusal, on both protocols, is in the audit trail (`mpi audit`) with the client, or
    /// the sender the message claimed, and the reason; never a token or a demographic.
    @Test(arguments: StoreBackend.allCases) func refusalsAreAudited(_ backend: StoreBackend) async throws {
        let fixture = try await ServiceFixture.make(backend: backend)
        defer { fixture.remove() }
        let limiter = ConnectionLimiter()
        let session = JSONLinesSession(index: fixture.index, registry: fixture.registry, limiter: limiter)
        _ = try ask(session, ["id": 1, "op": "resolve", "identifier": ["domain": "R1K", "value": "x"]])      // not authenticated
        _ = try ask(session, ["id": 2, "op": "authenticate", "token": "not-a-token"])                          // unknown token
        _ = try ask(session, ["id": 3, "op": "authenticate", "token": ServiceFixture.ehrToken])
        _ = try ask(session, ["id": 4, "op": "register", "source": "RYJ", "recordId": "Z-1",
                              "demographics": ["given": "Refusia", "family": "Secretive"]])                    // another source's domain
        let lab = JSONLinesSession(index: fixture.index, registry: fixture.registry, limiter: limiter)
        _ = try ask(lab, ["id": 1, "op": "authenticate", "token": ServiceFixture.labToken])
        _ = try ask(lab, ["id": 2, "op": "match", "demographics": ["family": "Secretive"]])                  // not permitted
        let crowd = (0..<4).map { _ in JSONLinesSession(index: fixture.index, registry: fixture.registry, limiter: limiter) }
        for extra in crowd { _ = try ask(extra, ["id": 1, "op": "authenticate", "token": ServiceFixture.ehrToken]) }  // the fifth EHR connection

        let hl7 = HL7Session(index: fixture.index, registry: fixture.registry, limiter: ConnectionLimiter())
        _ = hl7.handle("MSH|^~\\&|WHO|KNOWS|MPI|NWL|20261207||QBP^Q23^QBP_Q21|R1|P|2.5\rQPD|IHE PIX Query|T1|1^^^R1K|\rRCP|I")
        _ = hl7.handle("MSH|^~\\&|LAB|RYJ|MPI|NWL|20261207||ADT^A04^ADT_A01|R2|P|2.5\rPID|||X-1^^^RYJ^MR||SECRETIVE^REFUSIA||19800101|F")
        let refused = hl7.handle("MSH|^~\\&|EHR|R1K|MPI|NWL|20261207||ADT^A04^ADT_A01|R3|P|2.5\rPID|||X-1^^^RYJ^MR||SECRETIVE^REFUSIA||19800101|F")
        #expect(refused.handled.refusal?.reason == .otherDomain && refused.handled.refusal?.actor == "r1k-ehr")

        try fixture.index.audit.flush()
        let entries = try fixture.store.auditTrail().filter { $0.action == "refused" }
        func has(_ actor: String, _ reason: String, _ protocolName: String) -> Bool {
            entries.contains { $0.actor == actor && $0.detail.contains("\"reason\":\"\(reason)\"") && $0.detail.contains("\"protocol\":\"\(protocolName)\"") }
        }
        #expect(entries.filter { $0.actor == "unauthenticated" }.count == 2, "\(entries)")
        #expect(has("r1k-ehr", "other_domain", "json") && has("ryj-lab", "forbidden", "json") && has("r1k-ehr", "too_many_connections", "json"))
        #expect(has("unknown sender", "unknown_sender", "hl7") && has("ryj-lab", "forbidden", "hl7") && has("r1k-ehr", "other_domain", "hl7"))
        #expect(entries.contains { $0.detail.contains("\"WHO\"") && $0.detail.contains("\"KNOWS\"") })                    // the sender the message claimed
        #expect(!entries.contains { $0.detail.contains("not-a-token") || $0.detail.uppercased().contains("SECRETIVE") })
    }

    @Test(arguments: StoreBackend.allCases) func lookupsAreAuditedWithTheClientAndNoDemographics(_ backend: StoreBackend) async throws {
        let fixture = try await ServiceFixture.make(backend: backend)
        defer { fixture.remove() }
        let session = JSONLinesSession(index: fixture.index, registry: fixture.registry, limiter: ConnectionLimiter())
        _ = try ask(session, ["id": 0, "op": "authenticate", "token": ServiceFixture.ehrToken])
        let shared = try fixture.sharedPerson()
        _ = try ask(session, ["id": 1, "op": "match", "demographics": ["given": shared.record.name.given, "family": shared.record.name.family]])
        _ = try ask(session, ["id": 2, "op": "resolve", "identifier": ["domain": "R1K", "value": shared.r1k.recordId]])
        try fixture.index.audit.flush()
        let entries = try fixture.store.auditTrail().filter { $0.actor == "r1k-ehr" }
        #expect(Set(entries.map(\.action)) == ["match", "resolve"])
        for entry in entries {
            #expect(!entry.detail.contains(shared.record.name.family))
            #expect(!entry.detail.contains(shared.record.name.given))
        }
    }

    @Test(arguments: StoreBackend.allCases) func connectionsPerClientAreLimited(_ backend: StoreBackend) async throws {
        let fixture = try await ServiceFixture.make(backend: backend)
        defer { fixture.remove() }
        let limiter = ConnectionLimiter()
        var sessions: [JSONLinesSession] = []
        for attempt in 0..<5 {
            let session = JSONLinesSession(index: fixture.index, registry: fixture.registry, limiter: limiter)
            let answer = try ask(session, ["id": attempt, "op": "authenticate", "token": ServiceFixture.ehrToken])
            #expect((answer["ok"] as? Bool) == (attempt < 4), "attempt \(attempt)")   // the EHR may hold 4
            sessions.append(session)
        }
        sessions.removeFirst()   // a connection closes
        let again = JSONLinesSession(index: fixture.index, registry: fixture.registry, limiter: limiter)
        #expect(try ask(again, ["id": 9, "op": "authenticate", "token": ServiceFixture.ehrToken])["ok"] as? Bool == true)
    }
}
