import Foundation
import Hummingbird
import HummingbirdTesting
import MPICore
import MPIService
import MPIStore
import Testing

/// The FHIR API over HTTP (Hummingbird's test client, through the router): PIXm, PDQm, $match and
/// Patient read, bearer tokens and permissions, OperationOutcome errors. Every body the server returns
/// is saved and validated at the end by the `fhir.resources` models (Scripts/validate-fhir.py), a
/// client we did not write.
@Suite struct FHIRTests {
    /// The bodies the server returned, validated together at the end of each test.
    final class Responses: @unchecked Sendable {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("fhir-\(UUID().uuidString)")
        private var count = 0

        init() throws { try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true) }
        deinit { try? FileManager.default.removeItem(at: directory) }

        func keep(_ body: ByteBuffer) throws -> [String: Any] {
            count += 1
            let data = Data(body.readableBytesView)
            try data.write(to: directory.appendingPathComponent("\(count).json"))
            return try #require(try JSONSerialization.jsonObject(with: data) as? [String: Any])
        }

        /// Runs Scripts/validate-fhir.py on every body kept: its complaints, empty when all validate.
        func invalid() throws -> String {
            let root = PythonSubscriber.root
            let process = Process()
            process.executableURL = root.appendingPathComponent(".build-clients/bin/python")
            let files = try FileManager.default.contentsOfDirectory(atPath: directory.path).map { directory.appendingPathComponent($0).path }
            process.arguments = [root.appendingPathComponent("Scripts/validate-fhir.py").path] + files
            let pipe = Pipe()
            process.standardOutput = pipe
            try process.run()
            let output = String(decoding: pipe.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
            while process.isRunning { usleep(10_000) }
            return process.terminationStatus == 0 ? "" : output
        }
    }

    private static let nhsSystem = "https://fhir.nhs.uk/Id/nhs-number"
    private static let r1kSystem = "urn:oid:2.16.840.1.113883.2.1.3.2.4.18.24.1"

    private func withAPI(_ body: @Sendable (any TestClientProtocol, ServiceFixture, Responses) async throws -> Void) async throws {
        let fixture = try await ServiceFixture.make()
        defer { fixture.remove() }
        let responses = try Responses()
        let router = Router(context: FHIRRequestContext.self)
        FHIRAPI(index: fixture.index, registry: fixture.registry, base: "http://localhost/fhir").addRoutes(to: router)
        try await Application(router: router).test(.router) { client in try await body(client, fixture, responses) }
        let complaints = try responses.invalid()
        #expect(complaints.isEmpty, "\(complaints)")
    }

    private func get(_ client: any TestClientProtocol, _ uri: String, token: String? = ServiceFixture.ehrToken,
                     _ responses: Responses) async throws -> (HTTPResponse.Status, [String: Any]) {
        let headers: HTTPFields = token.map { [.authorization: "Bearer \($0)"] } ?? [:]
        let response = try await client.execute(uri: uri, method: .get, headers: headers, body: nil)
        #expect(response.headers[.contentType]?.hasPrefix("application/fhir+json") == true)
        return (response.status, try responses.keep(response.body))
    }

    private func issueCode(_ outcome: [String: Any]) -> String? {
        ((outcome["issue"] as? [[String: Any]])?.first?["code"]) as? String
    }

    @Test func metadataSaysWhatIsImplemented() async throws {
        try await withAPI { client, _, responses in
            let (status, statement) = try await get(client, "/fhir/metadata", token: nil, responses)
            #expect(status == .ok)
            #expect(statement["resourceType"] as? String == "CapabilityStatement" && statement["fhirVersion"] as? String == "4.0.1")
            let resource = try #require(((statement["rest"] as? [[String: Any]])?.first?["resource"] as? [[String: Any]])?.first)
            #expect(resource["type"] as? String == "Patient")
            #expect(Set((resource["operation"] as? [[String: Any]] ?? []).compactMap { $0["name"] as? String }) == ["ihe-pix", "match"])
            #expect(Set((resource["interaction"] as? [[String: Any]] ?? []).compactMap { $0["code"] as? String }) == ["read", "search-type"])
        }
    }

    @Test func pixmCrossReferencesAnIdentifierAndRefusesWhatItShould() async throws {
        try await withAPI { client, fixture, responses in
            let shared = try fixture.sharedPerson()
            let source = "\(Self.r1kSystem)|\(shared.r1k.recordId)"
            let (status, parameters) = try await get(client, "/fhir/Patient/$ihe-pix?sourceIdentifier=\(source)", responses)
            #expect(status == .ok && parameters["resourceType"] as? String == "Parameters")
            let parts = parameters["parameter"] as? [[String: Any]] ?? []
            let identifiers = parts.filter { $0["name"] as? String == "targetIdentifier" }.compactMap { $0["valueIdentifier"] as? [String: String] }
            #expect(identifiers.contains { $0["system"] == "urn:mpi:domain:RYJ" && $0["value"] == shared.ryj.recordId })
            #expect(identifiers.contains { $0["system"] == "urn:mpi:domain:MPI" && $0["value"] == shared.enterpriseId.description })
            let target = parts.first { $0["name"] as? String == "targetId" }?["valueReference"] as? [String: String]
            #expect(target?["reference"] == "Patient/" + String(shared.enterpriseId.description.prefix(9)))

            // Only the target systems asked for.
            let (_, onlyRYJ) = try await get(client, "/fhir/Patient/$ihe-pix?sourceIdentifier=\(source)&targetSystem=urn:mpi:domain:RYJ", responses)
            let systems = (onlyRYJ["parameter"] as? [[String: Any]] ?? []).compactMap { ($0["valueIdentifier"] as? [String: String])?["system"] }
            #expect(Set(systems) == ["urn:mpi:domain:RYJ"])

            // PIXm's error cases: unknown identifier 404, unknown source system 400, unknown target 403.
            var (code, outcome) = try await get(client, "/fhir/Patient/$ihe-pix?sourceIdentifier=\(Self.r1kSystem)|NO-SUCH-RECORD", responses)
            #expect(code == .notFound && issueCode(outcome) == "not-found")
            (code, outcome) = try await get(client, "/fhir/Patient/$ihe-pix?sourceIdentifier=urn:oid:1.2.3|X", responses)
            #expect(code == .badRequest && outcome["resourceType"] as? String == "OperationOutcome")
            (code, _) = try await get(client, "/fhir/Patient/$ihe-pix?sourceIdentifier=\(source)&targetSystem=urn:oid:9.9.9", responses)
            #expect(code == .forbidden)
            // No token: 401, and the refusal is audited.
            (code, outcome) = try await get(client, "/fhir/Patient/$ihe-pix?sourceIdentifier=\(source)", token: nil, responses)
            #expect(code == .unauthorized && issueCode(outcome) == "login")
            try fixture.index.audit.flush()
            #expect(try fixture.store.auditTrail().contains { $0.action == "refused" && $0.detail.contains("fhir") })
        }
    }

    @Test func patientReadGivesEveryIdentifierAndARetiredIdItsSuccessor() async throws {
        try await withAPI { client, fixture, responses in
            let shared = try fixture.sharedPerson()
            let id = String(shared.enterpriseId.description.prefix(9))
            let (status, patient) = try await get(client, "/fhir/Patient/\(id)", responses)
            #expect(status == .ok && patient["id"] as? String == id && patient["active"] as? Bool == true)
            let sex: String? = shared.record.sex?.rawValue
            let gender = patient["gender"] as? String
            #expect(sex == nil || gender == sex || gender == "other")
            let identifiers = patient["identifier"] as? [[String: Any]] ?? []
            #expect(identifiers.contains { $0["system"] as? String == Self.r1kSystem && $0["value"] as? String == shared.r1k.recordId })
            if let nhs = identifiers.first(where: { $0["system"] as? String == Self.nhsSystem }) {
                let extensions = nhs["extension"] as? [[String: Any]] ?? []
                #expect(extensions.first?["url"] as? String == "https://fhir.hl7.org.uk/StructureDefinition/Extension-UKCore-NHSNumberVerificationStatus")
            }

            // Two registrations of the PAS, then its merge: the retired id answers with replaced-by.
            var first = PatientDemographics(), second = PatientDemographics()
            (first.given, first.family, first.dateOfBirth) = ("Ottoline", "Quennell-Fhir", "1961-04-09")
            (second.given, second.family, second.dateOfBirth) = ("Bartholomew", "Zyx-Fhir", "1979-12-01")
            let kept = try fixture.index.register(source: "RAS", recordId: "FHIR-1", demographics: first, actor: "ras-pas")
            let gone = try fixture.index.register(source: "RAS", recordId: "FHIR-2", demographics: second, actor: "ras-pas")
            _ = try fixture.index.merge(survivor: RecordKey(source: "RAS", recordId: "FHIR-1"), retired: RecordKey(source: "RAS", recordId: "FHIR-2"),
                                        actor: "ras-pas")
            let survivorId = String(kept.enterpriseId.prefix(9)), retiredId = String(gone.enterpriseId.prefix(9))
            let (_, retired) = try await get(client, "/fhir/Patient/\(retiredId)", responses)
            #expect(retired["active"] as? Bool == false)
            let link = (retired["link"] as? [[String: Any]])?.first
            #expect(link?["type"] as? String == "replaced-by")
            #expect((link?["other"] as? [String: String])?["reference"] == "Patient/\(survivorId)")

            let (missing, outcome) = try await get(client, "/fhir/Patient/0000-0000", responses)
            #expect(missing == .notFound && issueCode(outcome) == "not-found")
        }
    }

    @Test func pdqmAndMatchFindThePersonWithScoreAndGrade() async throws {
        try await withAPI { client, fixture, responses in
            let shared = try fixture.sharedPerson()
            let name = shared.record.name
            let birth = try #require(shared.record.dateOfBirth?.date)
            let date = String(format: "%04d-%02d-%02d", birth.year, birth.month, birth.day)
            let query = "family=\(name.family)&given=\(name.given)&birthdate=\(date)"
                .addingPercentEncoding(withAllowedCharacters: .urlQueryAllowed) ?? ""
            let (status, bundle) = try await get(client, "/fhir/Patient?\(query)", responses)
            #expect(status == .ok && bundle["type"] as? String == "searchset")
            let entries = bundle["entry"] as? [[String: Any]] ?? []
            let best = try #require(entries.first)
            #expect((best["resource"] as? [String: Any])?["id"] as? String == String(shared.enterpriseId.description.prefix(9)))
            #expect(((best["search"] as? [String: Any])?["score"] as? Double ?? 0) > 0.5)

            // By identifier.
            let (_, byIdentifier) = try await get(client, "/fhir/Patient?identifier=\(Self.r1kSystem)|\(shared.r1k.recordId)", responses)
            #expect((byIdentifier["entry"] as? [[String: Any]])?.count == 1)

            // $match with a Patient.
            let patient = """
                {"resourceType":"Parameters","parameter":[{"name":"resource","resource":{"resourceType":"Patient",
                 "name":[{"family":"\(name.family)","given":["\(name.given)"]}],"birthDate":"\(date)"}},
                 {"name":"count","valueInteger":3}]}
                """
            let response = try await client.execute(uri: "/fhir/Patient/$match", method: .post,
                                                    headers: [.authorization: "Bearer \(ServiceFixture.ehrToken)", .contentType: "application/fhir+json"],
                                                    body: ByteBuffer(string: patient))
            #expect(response.status == .ok)
            let matched = try responses.keep(response.body)
            let first = try #require((matched["entry"] as? [[String: Any]])?.first)
            let search = first["search"] as? [String: Any] ?? [:]
            let extensions = search["extension"] as? [[String: Any]] ?? []
            #expect(extensions.contains { $0["url"] as? String == "http://hl7.org/fhir/StructureDefinition/match-grade" && $0["valueCode"] != nil })
            #expect(extensions.contains { $0["url"] as? String == "urn:mpi:StructureDefinition:match-explanation" })
            #expect((matched["entry"] as? [[String: Any]])?.count ?? 0 <= 3)

            // The lab may resolve but not match: 403, audited.
            let (forbidden, outcome) = try await get(client, "/fhir/Patient?\(query)", token: ServiceFixture.labToken, responses)
            #expect(forbidden == .forbidden && issueCode(outcome) == "forbidden")
            // Not a Parameters: 400 with an OperationOutcome.
            let bad = try await client.execute(uri: "/fhir/Patient/$match", method: .post,
                                               headers: [.authorization: "Bearer \(ServiceFixture.ehrToken)"], body: ByteBuffer(string: "{}"))
            #expect(bad.status == .badRequest)
            _ = try responses.keep(bad.body)
        }
    }
}
