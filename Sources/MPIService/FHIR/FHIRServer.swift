internal import Foundation
public import Hummingbird
public import HummingbirdAuth
public import Logging
import MPICore
import NIOCore

/// The request context of the FHIR API: the client its bearer token names (nil without one).
public struct FHIRRequestContext: AuthRequestContext, RequestContext {
    public var coreContext: CoreRequestContextStorage
    public var identity: Client?

    public init(source: Source) {
        coreContext = .init(source: source)
        identity = nil
    }
}

/// A FHIR error: the HTTP status and the OperationOutcome issue code.
struct FHIRError: Error {
    let status: HTTPResponse.Status
    let code: String
    let message: String
}

/// FHIR R4 over HTTP under `/fhir` (docs/protocol.md, "FHIR"): IHE PIXm (`$ihe-pix`, ITI-83), PDQm
/// (Patient search, ITI-78), `$match` (ITI-119) and Patient read, on Hummingbird. The same clients,
/// tokens (as bearer tokens), permissions and audit as the socket protocols; errors are
/// OperationOutcome with their HTTP status.
public struct FHIRAPI: Sendable {
    let index: IdentityIndex
    let registry: ClientRegistry
    let resources: FHIRResources

    public init(index: IdentityIndex, registry: ClientRegistry, base: String) {
        self.index = index
        self.registry = registry
        resources = FHIRResources(registry: registry, base: base)
    }

    /// The routes, on a router of the caller's (the service adds its own).
    public func addRoutes(to router: Router<FHIRRequestContext>) {
        let fhir = router.group("fhir")
            .add(middleware: ClosureAuthenticator { request, _ in
                request.headers.bearer.flatMap { registry.client(token: $0.token) }
            })
        fhir.get("metadata") { _, _ in Self.response(.ok, capabilityStatement) }
        fhir.get("Patient/$ihe-pix") { request, context in answer { try pix(request, context) } }
        fhir.get("Patient") { request, context in answer { try search(request, context) } }
        fhir.post("Patient/$match") { request, context in
            let body = try? await request.body.collect(upTo: 1 << 20)
            return answer { try match(body, context) }
        }
        fhir.get("Patient/:id") { _, context in answer { try read(context.parameters.get("id") ?? "", context) } }
        fhir.get("**") { request, _ in
            Self.response(.notFound, FHIRResources.outcome("not-supported", "\(request.uri.path) is not part of this server's API (see /fhir/metadata)"))
        }
    }

    // MARK: operations

    private func pix(_ request: Request, _ context: FHIRRequestContext) throws -> FHIRJSON {
        let client = try authorised(.resolve, context, operation: "pixm")
        guard let source = request.uri.queryParameters.get("sourceIdentifier") else {
            throw FHIRError(status: .badRequest, code: "required", message: "sourceIdentifier (system|value) is required")
        }
        let identifier = try self.identifier(source)
        let targets = request.uri.queryParameters.getAll("targetSystem").flatMap { $0.split(separator: ",").map(String.init) }
        for target in targets where registry.domain(system: target) == nil {
            // PIXm: a target system the manager does not know is 403.
            throw FHIRError(status: .forbidden, code: "code-invalid", message: "targetSystem \(target) is not a domain of this index")
        }
        guard let person = index.resolve(identifier, actor: client.name).first else {
            throw FHIRError(status: .notFound, code: "not-found", message: "no person holds that sourceIdentifier")
        }
        return resources.pixParameters(person, targetSystems: targets)
    }

    private func search(_ request: Request, _ context: FHIRRequestContext) throws -> FHIRJSON {
        let parameters = request.uri.queryParameters
        if let identifier = parameters.get("identifier") {
            let client = try authorised(.resolve, context, operation: "pdqm")
            let persons = index.resolve(try self.identifier(identifier), actor: client.name)
            return resources.searchset(persons.compactMap { index.summaryCandidate(for: $0) }, explain: false)
        }
        let client = try authorised(.match, context, operation: "pdqm")
        var demographics = PatientDemographics()
        demographics.family = parameters.get("family")
        demographics.given = parameters.get("given")
        demographics.dateOfBirth = parameters.get("birthdate")
        demographics.sex = parameters.get("gender").map(Self.sex)
        demographics.postcode = parameters.get("address-postalcode")
        guard !demographics.isEmpty else {
            throw FHIRError(status: .badRequest, code: "required",
                            message: "search by identifier, or by family, given, birthdate, gender and address-postalcode")
        }
        let count = min(max(parameters.get("_count").flatMap(Int.init) ?? 10, 1), 100)
        return resources.searchset(try index.match(demographics, limit: count, actor: client.name), explain: false)
    }

    private func match(_ body: ByteBuffer?, _ context: FHIRRequestContext) throws -> FHIRJSON {
        let client = try authorised(.match, context, operation: "match")
        guard let body, let input = try? JSONDecoder().decode(MatchParameters.self, from: Data(body.readableBytesView)),
              input.resourceType == "Parameters", let patient = input.parameter.first(where: { $0.name == "resource" })?.resource else {
            throw FHIRError(status: .badRequest, code: "invalid", message: "$match takes a Parameters resource with a Patient in parameter \"resource\"")
        }
        let onlyCertain = input.parameter.first { $0.name == "onlyCertainMatches" }?.valueBoolean ?? false
        let count = min(max(input.parameter.first { $0.name == "count" }?.valueInteger ?? 10, 1), 100)
        var found = try index.match(patient.demographics(nhsSystem: registry.domains.first { $0.kind == .nhsNumber }?.system),
                                    limit: count, actor: client.name)
        if onlyCertain { found = found.filter { $0.grade == .certain } }
        return resources.searchset(found, explain: true)
    }

    private func read(_ id: String, _ context: FHIRRequestContext) throws -> FHIRJSON {
        let client = try authorised(.resolve, context, operation: "read")
        guard let enterpriseId = FHIRResources.enterpriseId(resourceId: id) else {
            throw FHIRError(status: .notFound, code: "not-found", message: "not an enterprise id of this index")
        }
        guard let person = index.resolve(.enterprise(enterpriseId), actor: client.name).first else {
            throw FHIRError(status: .notFound, code: "not-found", message: "no person has that id")
        }
        if person.redirectedFrom != nil { return resources.retiredPatient(enterpriseId.description, replacedBy: person) }
        return resources.patient(person, summary: index.summaryCandidate(for: person)?.demographics)
    }

    // MARK: helpers

    /// The client, when it may do `permission`; a refusal is audited, as on the socket protocols.
    private func authorised(_ permission: Permission, _ context: FHIRRequestContext, operation: String) throws -> Client {
        guard let client = context.identity else {
            index.audit.recordRefusal(actor: "unauthenticated", .unauthenticated, protocol: "fhir", detail: ["operation": operation])
            throw FHIRError(status: .unauthorized, code: "login", message: "a bearer token of a known client is required")
        }
        guard client.may(permission) else {
            index.audit.recordRefusal(actor: client.name, .forbidden, protocol: "fhir", detail: ["operation": operation, "permission": permission.rawValue])
            throw FHIRError(status: .forbidden, code: "forbidden", message: "client \(client.name) may not \(permission.rawValue)")
        }
        return client
    }

    /// "system|value" as an identifier of a configured domain.
    private func identifier(_ token: String) throws -> IdentityIndex.Identifier {
        guard let bar = token.firstIndex(of: "|") else {
            throw FHIRError(status: .badRequest, code: "invalid", message: "an identifier is system|value")
        }
        let system = String(token[..<bar]), value = String(token[token.index(after: bar)...])
        guard let domain = registry.domain(system: system) else {
            throw FHIRError(status: .badRequest, code: "code-invalid", message: "the identifier system \(system) is not a domain of this index")
        }
        switch domain.kind {
        case .source: return .record(RecordKey(source: domain.name, recordId: value))
        case .nhsNumber: return .nhsNumber(value)
        case .enterprise:
            guard let id = EnterpriseID(value) else { throw FHIRError(status: .notFound, code: "not-found", message: "not a valid enterprise id") }
            return .enterprise(id)
        }
    }

    static func sex(_ gender: String) -> String {
        switch gender {
        case "male": "M"
        case "female": "F"
        default: "U"
        }
    }

    private func answer(_ body: () throws -> FHIRJSON) -> Response {
        do {
            return Self.response(.ok, try body())
        } catch let error as FHIRError {
            return Self.response(error.status, FHIRResources.outcome(error.code, error.message))
        } catch let error as ServiceError {
            return Self.response(.badRequest, FHIRResources.outcome("invalid", error.message))
        } catch {
            return Self.response(.internalServerError, FHIRResources.outcome("exception", "the request could not be completed"))
        }
    }

    static func response(_ status: HTTPResponse.Status, _ resource: FHIRJSON) -> Response {
        Response(status: status, headers: [.contentType: "application/fhir+json; charset=utf-8"],
                 body: ResponseBody(byteBuffer: ByteBuffer(string: resource.text)))
    }

    /// What this server does, exactly: nothing is listed that is not implemented.
    var capabilityStatement: FHIRJSON {
        let searchParameters: [FHIRJSON] = [
            ("identifier", "token"), ("family", "string"), ("given", "string"), ("birthdate", "date"),
            ("gender", "token"), ("address-postalcode", "string"), ("_count", "number"),
        ].map { name, type in .object([("name", .string(name)), ("type", .string(type))]) }
        return .object([
            ("resourceType", "CapabilityStatement"),
            ("status", "active"),
            ("date", "2026-12-07"),
            ("kind", "instance"),
            ("software", .object([("name", "mpi")])),
            ("implementation", .object([("description", "Master patient index of the four North West London trusts"), ("url", .string(resources.base))])),
            ("fhirVersion", "4.0.1"),
            ("format", ["application/fhir+json"]),
            ("rest", [.object([
                ("mode", "server"),
                ("security", .object([("description", "Bearer tokens of the clients file; permissions resolve (PIXm, read, search by identifier) and match (search by demographics, $match)")])),
                ("resource", [.object([
                    ("type", "Patient"),
                    ("interaction", [.object([("code", "read")]), .object([("code", "search-type")])]),
                    ("searchParam", .array(searchParameters)),
                    ("operation", [
                        .object([("name", "ihe-pix"), ("definition", "https://profiles.ihe.net/ITI/PIXm/OperationDefinition/IHE.PIXm.pix")]),
                        .object([("name", "match"), ("definition", "http://hl7.org/fhir/OperationDefinition/Patient-match")]),
                    ]),
                ])]),
            ])]),
        ])
    }
}

/// The body of `$match`.
struct MatchParameters: Decodable {
    struct Parameter: Decodable {
        let name: String
        let resource: FHIRPatient?
        let valueBoolean: Bool?
        let valueInteger: Int?
    }

    let resourceType: String
    let parameter: [Parameter]
}

/// The parts of a Patient a match reads.
struct FHIRPatient: Decodable {
    struct Name: Decodable { let family: String?; let given: [String]? }
    struct Identifier: Decodable { let system: String?; let value: String? }
    struct Address: Decodable { let postalCode: String?; let line: [String]? }

    let name: [Name]?
    let birthDate: String?
    let gender: String?
    let identifier: [Identifier]?
    let address: [Address]?

    func demographics(nhsSystem: String?) -> PatientDemographics {
        var demographics = PatientDemographics()
        demographics.family = name?.first?.family
        demographics.given = name?.first?.given?.first
        demographics.middle = (name?.first?.given?.dropFirst()).map { $0.joined(separator: " ") }.flatMap { $0.isEmpty ? nil : $0 }
        demographics.dateOfBirth = birthDate
        demographics.sex = gender.map(FHIRAPI.sex)
        demographics.postcode = address?.first?.postalCode
        demographics.address = address?.first?.line
        demographics.nhsNumber = identifier?.first { $0.system == nhsSystem }?.value
        return demographics
    }
}
