import MPICore

/// The FHIR R4 resources the API answers with, built from the index's persons and candidates.
/// Identifiers only from the clients file's domains; demographics only as a candidate's or a
/// person's best record holds them.
struct FHIRResources {
    let registry: ClientRegistry
    /// The base URL entries' fullUrl is made from, e.g. "http://127.0.0.1:8080/fhir".
    let base: String

    static let nhsNumberVerification = "https://fhir.hl7.org.uk/StructureDefinition/Extension-UKCore-NHSNumberVerificationStatus"
    static let nhsNumberVerificationCodes = "https://fhir.hl7.org.uk/CodeSystem/UKCore-NHSNumberVerificationStatusEngland"
    static let matchGrade = "http://hl7.org/fhir/StructureDefinition/match-grade"
    static let matchExplanation = "urn:mpi:StructureDefinition:match-explanation"

    // MARK: Patient

    /// A person's resource id: its enterprise id without the check symbol, which may be one of
    /// `*~$=` that FHIR ids do not allow. The Identifier in the enterprise domain keeps the whole id.
    static func resourceId(_ enterpriseId: String) -> String {
        EnterpriseID(enterpriseId) == nil ? enterpriseId : String(enterpriseId.prefix(9))
    }

    /// The enterprise id a resource id (or a whole enterprise id) names.
    static func enterpriseId(resourceId: String) -> EnterpriseID? {
        if let id = EnterpriseID(resourceId) { return id }
        guard resourceId.count == 9 else { return nil }
        // The check symbol is computed, not read: try each of the 37 until the id checks.
        return "0123456789ABCDEFGHJKMNPQRSTVWXYZ*~$=U".lazy.compactMap { EnterpriseID(resourceId + "-" + String($0)) }.first
    }

    /// A person as a Patient: its enterprise id as the resource id, every identifier of the
    /// configured domains, and the demographics of `summary` when given.
    func patient(_ person: IdentityIndex.Person, summary: IdentityIndex.RecordSummary?) -> FHIRJSON {
        .object(dropping: [
            ("resourceType", "Patient"),
            ("id", .string(Self.resourceId(person.enterpriseId))),
            ("identifier", .array(identifiers(person))),
            ("active", true),
            ("name", summary.flatMap(name).map { [$0] }),
            ("gender", summary?.sex.flatMap(Self.gender)),
            ("birthDate", summary?.dateOfBirth.map(FHIRJSON.string)),
            ("address", summary?.postcode.map { [.object([("postalCode", .string($0))])] }),
        ])
    }

    /// A retired enterprise id: an inactive Patient replaced by the person it was merged into.
    func retiredPatient(_ retired: String, replacedBy person: IdentityIndex.Person) -> FHIRJSON {
        .object([
            ("resourceType", "Patient"),
            ("id", .string(Self.resourceId(retired))),
            ("identifier", .array(enterpriseDomains.map { identifier($0, retired) })),
            ("active", false),
            ("link", [.object([("other", .object([("reference", .string("Patient/" + Self.resourceId(person.enterpriseId)))])),
                               ("type", "replaced-by")])]),
        ])
    }

    func identifiers(_ person: IdentityIndex.Person) -> [FHIRJSON] {
        var list: [FHIRJSON] = []
        for domain in registry.domains {
            switch domain.kind {
            case .enterprise: list.append(identifier(domain, person.enterpriseId, use: "official"))
            case .nhsNumber:
                for number in person.nhsNumbers {
                    // 01 when a source's record says the number was traced against PDS (NHS number status
                    // 01); otherwise 02: the index checked its modulus 11 digit, it did not trace it.
                    let verified = person.verifiedNHSNumbers.contains(number)
                    list.append(.object([
                        ("extension", [.object([
                            ("url", .string(Self.nhsNumberVerification)),
                            ("valueCodeableConcept", .object([("coding", [.object([
                                ("system", .string(Self.nhsNumberVerificationCodes)), ("code", verified ? "01" : "02"),
                                ("display", verified ? "Number present and verified" : "Number present but not traced"),
                            ])])])),
                        ])]),
                        ("system", .string(domain.system)), ("value", .string(number)),
                    ]))
                }
            case .source:
                for record in person.records where record.source == domain.name { list.append(identifier(domain, record.recordId, use: "usual")) }
            }
        }
        return list
    }

    func identifier(_ domain: IdentifierDomain, _ value: String, use: String? = nil) -> FHIRJSON {
        .object(dropping: [("use", use.map(FHIRJSON.string)), ("system", .string(domain.system)), ("value", .string(value))])
    }

    private var enterpriseDomains: [IdentifierDomain] { registry.domains.filter { $0.kind == .enterprise } }

    private func name(_ summary: IdentityIndex.RecordSummary) -> FHIRJSON? {
        guard !summary.family.isEmpty || !summary.given.isEmpty else { return nil }
        return .object(dropping: [
            ("family", summary.family.isEmpty ? nil : .string(summary.family)),
            ("given", summary.given.isEmpty ? nil : .array(summary.given.split(separator: " ").map { .string(String($0)) })),
        ])
    }

    /// FHIR's administrative gender of a record's sex (`Sex`'s raw value).
    static func gender(_ sex: String) -> FHIRJSON? {
        switch Sex(rawValue: sex) {
        case .male: "male"
        case .female: "female"
        case .indeterminate, .other: "other"
        default: "unknown"
        }
    }

    // MARK: Bundle, Parameters, OperationOutcome

    /// A searchset Bundle of candidates, best first, each with its score and match grade; with
    /// `explain`, the comparisons behind the score as an extension (data, not prose).
    func searchset(_ candidates: [IdentityIndex.Candidate], explain: Bool) -> FHIRJSON {
        .object([
            ("resourceType", "Bundle"),
            ("type", "searchset"),
            ("total", .integer(candidates.count)),
            ("entry", .array(candidates.map { candidate in
                var extensions: [FHIRJSON] = [.object([("url", .string(Self.matchGrade)), ("valueCode", .string(candidate.grade.rawValue))])]
                if explain { extensions.append(explanation(candidate.explanation)) }
                return .object([
                    ("fullUrl", .string("\(base)/Patient/\(Self.resourceId(candidate.enterpriseId))")),
                    ("resource", patient(candidate.person, summary: candidate.demographics)),
                    ("search", .object([("extension", .array(extensions)), ("mode", "match"), ("score", .decimal(candidate.probability))])),
                ])
            })),
        ])
    }

    /// Why a candidate scored as it did: the prior weight and each comparison's level and weight in
    /// bits, as nested extensions.
    func explanation(_ explanation: Explanation) -> FHIRJSON {
        var parts: [FHIRJSON] = [
            .object([("url", "priorWeight"), ("valueDecimal", .decimal(explanation.priorWeight))]),
            .object([("url", "matchWeight"), ("valueDecimal", .decimal(explanation.matchWeight))]),
        ]
        for step in explanation.steps {
            parts.append(.object([
                ("url", "comparison"),
                ("extension", [
                    .object([("url", "name"), ("valueString", .string(step.comparison))]),
                    .object([("url", "level"), ("valueString", .string(step.label))]),
                    .object([("url", "weight"), ("valueDecimal", .decimal(step.weight + step.termFrequencyAdjustment))]),
                ]),
            ]))
        }
        return .object([("url", .string(Self.matchExplanation)), ("extension", .array(parts))])
    }

    /// PIXm's answer: the person's identifiers in the target systems, and the Patient it is.
    func pixParameters(_ person: IdentityIndex.Person, targetSystems: [String]) -> FHIRJSON {
        let wanted = identifiers(person).filter { identifier in
            guard !targetSystems.isEmpty, case .string(let system)? = identifier["system"] else { return true }
            return targetSystems.contains(system)
        }
        var parameters: [FHIRJSON] = wanted.map { .object([("name", "targetIdentifier"), ("valueIdentifier", Self.plainIdentifier($0))]) }
        parameters.append(.object([("name", "targetId"), ("valueReference", .object([("reference", .string("Patient/" + Self.resourceId(person.enterpriseId)))]))]))
        return .object([("resourceType", "Parameters"), ("parameter", .array(parameters))])
    }

    /// An Identifier without its extensions (a Parameters value carries system and value only).
    private static func plainIdentifier(_ identifier: FHIRJSON) -> FHIRJSON {
        .object(dropping: [("use", identifier["use"]), ("system", identifier["system"]), ("value", identifier["value"])])
    }

    static func outcome(_ code: String, _ diagnostics: String) -> FHIRJSON {
        .object([
            ("resourceType", "OperationOutcome"),
            ("issue", [.object([("severity", "error"), ("code", .string(code)), ("diagnostics", .string(diagnostics))])]),
        ])
    }
}
