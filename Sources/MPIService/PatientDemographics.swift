import MPICore
import MPINormalize
import Synchronization

/// Demographics as a client sends them (a PID segment, a JSON object), before normalisation.
public struct PatientDemographics: Sendable, Hashable, Codable {
    public var given: String?
    public var middle: String?
    public var family: String?
    public var previousFamily: String?
    /// ISO 8601 (yyyy-MM-dd) from JSON; HL7 TS (yyyyMMdd, or partial) from HL7.
    public var dateOfBirth: String?
    public var sex: String?
    public var nhsNumber: String?
    public var postcode: String?
    public var address: [String]?
    public var phone: String?

    public init(given: String? = nil, middle: String? = nil, family: String? = nil, previousFamily: String? = nil,
                dateOfBirth: String? = nil, sex: String? = nil, nhsNumber: String? = nil, postcode: String? = nil,
                address: [String]? = nil, phone: String? = nil) {
        self.given = given
        self.middle = middle
        self.family = family
        self.previousFamily = previousFamily
        self.dateOfBirth = dateOfBirth
        self.sex = sex
        self.nhsNumber = nhsNumber
        self.postcode = postcode
        self.address = address
        self.phone = phone
    }

    /// True when no field that matching reads is given.
    public var isEmpty: Bool {
        [given, family, dateOfBirth, nhsNumber, postcode].allSatisfy { ($0 ?? "").isEmpty }
    }

    /// The demographics a row registered through this service carried, read back from its stored raw
    /// columns (`DemographicsNormalizer.header`); nil for a row of another layout (an imported
    /// extract's own columns).
    init?(registeredRow raw: [String: String]) {
        let header = Set(DemographicsNormalizer.header)
        guard !raw.isEmpty, raw.keys.allSatisfy(header.contains), raw["FAMILY"] != nil || raw["GIVEN"] != nil else { return nil }
        func value(_ column: String) -> String? { raw[column].flatMap { $0.isEmpty ? nil : $0 } }
        let address = ["ADDRESS1", "ADDRESS2", "ADDRESS3"].compactMap(value)
        self.init(given: value("GIVEN"), middle: value("MIDDLE"), family: value("FAMILY"), previousFamily: value("PREVIOUS"),
                  dateOfBirth: value("DOB"), sex: value("SEX"), nhsNumber: value("NHS"), postcode: value("POSTCODE"),
                  address: address.isEmpty ? nil : address, phone: value("PHONE"))
    }

    /// A stored record's normalised values, for a record whose raw columns this service cannot read.
    init(normalized record: NormalizedRecord) {
        let date = record.dateOfBirth?.date
        self.init(given: record.name.given.isEmpty ? nil : record.name.given,
                  middle: record.name.middle.isEmpty ? nil : record.name.middle.joined(separator: " "),
                  family: record.name.family.isEmpty ? nil : record.name.family,
                  dateOfBirth: date.map { date in [date.year, date.month, date.day].map { $0 < 10 ? "0\($0)" : "\($0)" }.joined() },
                  sex: record.sex?.rawValue, nhsNumber: record.nhsNumber?.digits, postcode: record.postcode?.unit,
                  address: record.address.map(\.lines), phone: record.phone?.number)
    }

    /// The fields as columns of a row, in the order of `DemographicsNormalizer.header`.
    var row: [String] {
        let lines = address ?? []
        return [given ?? "", middle ?? "", family ?? "", previousFamily ?? "", nhsNumber ?? "", dateOfBirth ?? "", sex ?? "",
                postcode ?? "", lines.count > 0 ? lines[0] : "", lines.count > 1 ? lines[1] : "", lines.count > 2 ? lines[2] : "",
                phone ?? ""]
    }
}

/// Normalises demographics from clients with the same normalisers as an extract, one mapping per
/// source and date format. ICU transliterators may be used by one thread at a time, so normalisation
/// is serialised here (it takes a few microseconds).
final class DemographicsNormalizer: Sendable {
    static let header = ["ID", "GIVEN", "MIDDLE", "FAMILY", "PREVIOUS", "NHS", "DOB", "SEX", "POSTCODE", "ADDRESS1", "ADDRESS2", "ADDRESS3", "PHONE"]

    private struct Normalizers: ~Copyable {
        var bySource: [String: RecordNormalizer] = [:]
        var transliterator: Transliterator
    }
    private let normalizers: Mutex<Normalizers>
    private let today: CalendarDate

    init(today: CalendarDate) throws {
        normalizers = Mutex(Normalizers(transliterator: try Transliterator()))
        self.today = today
    }

    /// The normalised record and the fields that were rejected (kept out of the record, with why).
    func normalize(_ demographics: PatientDemographics, source: String, recordId: String,
                   dateFormat: DateFormat) throws -> NormalizedRow {
        let fields = [recordId] + demographics.row
        return try normalizers.withLock { state throws -> NormalizedRow in
            let cacheKey = "\(source)\u{1F}\(dateFormat.rawValue)"
            let normalizer: RecordNormalizer
            if let cached = state.bySource[cacheKey] {
                normalizer = cached
            } else {
                let mapping = SourceMapping(
                    code: source, recordId: "ID",
                    columns: .init(givenName: "GIVEN", middleNames: "MIDDLE", familyName: "FAMILY", previousFamilyName: "PREVIOUS",
                                   nhsNumber: "NHS", dateOfBirth: "DOB", sex: "SEX", postcode: "POSTCODE",
                                   address: ["ADDRESS1", "ADDRESS2", "ADDRESS3"], phone: "PHONE"),
                    dateFormat: dateFormat)
                normalizer = try RecordNormalizer(mapping: mapping, header: Self.header, today: today,
                                                  transliterator: state.transliterator.copy())
                normalizer.keepsRawValues = true
                state.bySource[cacheKey] = normalizer
            }
            switch normalizer.normalize(fields: fields, line: 1) {
            case .success(let row): return row
            case .failure(let problem): throw ServiceError(.invalidRequest, problem.message)
            }
        }
    }
}
