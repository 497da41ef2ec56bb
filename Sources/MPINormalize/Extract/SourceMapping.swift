/// How to read one source's extract: which column holds which field, and the source's conventions
/// (date format, sex codes, text encoding). The same object is a source entry of a linkage job file;
/// `docs/linkage-job.md` documents its JSON form.
public struct SourceMapping: Sendable, Hashable, Codable {
    /// The identifier domain: the authority that assigns `recordId`, e.g. a trust's ODS code ("R1K").
    /// Records are keyed by it, and `mpi resolve --source` asks by it.
    public var code: String
    /// The feed's own name, when one domain arrives in several feeds: Hillingdon's PAS extract and its
    /// emergency department's HL7 feed both carry RAS hospital numbers, so both have code "RAS" and
    /// the second is named, say, "RAS-ED". Rejections and row counts are reported by feed.
    public var feed: String?
    /// The name rejections and row counts are reported under: the feed, else the code.
    public var feedName: String { feed ?? code }
    /// The extract's path, relative to the job file.
    public var path: String?
    public var format: ExtractFormat
    public var encoding: TextEncoding
    /// The column holding the source's own record id (e.g. its hospital number).
    public var recordId: String
    public var columns: Columns
    public var dateFormat: DateFormat
    /// The source's own sex codes, over the defaults (see `SexNormalizer.defaultCodes`).
    public var sexCodes: [String: SexNormalizer.Meaning]
    /// The source stores an unknown day and month of birth as 1 January.
    public var unknownDayDefaultsToFirstJanuary: Bool

    public enum ExtractFormat: String, Sendable, Hashable, Codable {
        case csv, tsv
        /// One JSON object per line; keys are the column names, values strings or numbers.
        case jsonl
        /// A file of HL7 v2 ADT messages; each message's PID segment is one record (see `hl7Columns`).
        case hl7
    }

    /// Column names. Give the name either as `givenName` + `familyName` (with optional `middleNames`) or
    /// as one `fullName` column read according to `nameLayout`.
    public struct Columns: Sendable, Hashable, Codable {
        public var givenName: String?
        public var middleNames: String?
        public var familyName: String?
        public var fullName: String?
        public var nameLayout: NameLayout?
        public var preferredName: String?
        public var previousFamilyName: String?
        public var nhsNumber: String?
        public var nhsNumberStatus: String?
        public var dateOfBirth: String?
        public var sex: String?
        public var postcode: String?
        public var address: [String]?
        public var phone: String?
        /// Fields outside the NHS set, by the name they will have in the output.
        public var other: [String: String]?

        public init(givenName: String? = nil, middleNames: String? = nil, familyName: String? = nil,
                    fullName: String? = nil, nameLayout: NameLayout? = nil, preferredName: String? = nil,
                    previousFamilyName: String? = nil, nhsNumber: String? = nil, nhsNumberStatus: String? = nil,
                    dateOfBirth: String? = nil, sex: String? = nil, postcode: String? = nil, address: [String]? = nil,
                    phone: String? = nil, other: [String: String]? = nil) {
            self.givenName = givenName
            self.middleNames = middleNames
            self.familyName = familyName
            self.fullName = fullName
            self.nameLayout = nameLayout
            self.preferredName = preferredName
            self.previousFamilyName = previousFamilyName
            self.nhsNumber = nhsNumber
            self.nhsNumberStatus = nhsNumberStatus
            self.dateOfBirth = dateOfBirth
            self.sex = sex
            self.postcode = postcode
            self.address = address
            self.phone = phone
            self.other = other
        }

        /// Every column the mapping reads.
        public var allColumns: [String] {
            [givenName, middleNames, familyName, fullName, preferredName, previousFamilyName, nhsNumber,
             nhsNumberStatus, dateOfBirth, sex, postcode, phone].compactMap { $0 }
                + (address ?? []) + (other ?? [:]).values.sorted()
        }
    }

    public enum NameLayout: String, Sendable, Hashable, Codable {
        /// "SURNAME, Forename Middle".
        case familyFirst
        /// "Forename Middle Surname".
        case givenFirst
    }

    /// Values that mean "no value" in this source, compared without regard to case: a PAS export that
    /// writes NULL for a missing NHS number has not sent a bad NHS number.
    public var nullValues: [String]

    public static let defaultNullValues = ["NULL", "N/A", "-"]

    public init(code: String, path: String? = nil, format: ExtractFormat = .csv, encoding: TextEncoding = .utf8,
                recordId: String, columns: Columns, dateFormat: DateFormat = .iso,
                sexCodes: [String: SexNormalizer.Meaning] = [:], unknownDayDefaultsToFirstJanuary: Bool = false,
                nullValues: [String] = SourceMapping.defaultNullValues, feed: String? = nil) {
        self.nullValues = nullValues
        self.code = code
        self.feed = feed
        self.path = path
        self.format = format
        self.encoding = encoding
        self.recordId = recordId
        self.columns = columns
        self.dateFormat = dateFormat
        self.sexCodes = sexCodes
        self.unknownDayDefaultsToFirstJanuary = unknownDayDefaultsToFirstJanuary
    }

    private enum CodingKeys: String, CodingKey, CaseIterable {
        case code, feed, path, format, encoding, recordId, columns, dateFormat, sexCodes, unknownDayDefaultsToFirstJanuary, nullValues
    }

    /// Every key a source entry may have in JSON.
    public static let jsonKeys = Set(CodingKeys.allCases.map(\.rawValue))

    /// Only `code`, `recordId` and `columns` are required; the rest have defaults.
    /// The fixed columns an HL7 v2 source is read through: the PID fields, named by their position.
    /// The record id is the PID-3 identifier whose assigning authority is the source's code (else the
    /// first of type MR); the NHS number the one of authority NHS or type NH.
    public static let hl7Columns = Columns(
        givenName: "PID-5.2", middleNames: "PID-5.3", familyName: "PID-5.1", previousFamilyName: "PID-5.1(M)",
        nhsNumber: "PID-3(NHS)", dateOfBirth: "PID-7", sex: "PID-8", postcode: "PID-11.5",
        address: ["PID-11.1", "PID-11.2", "PID-11.3"], phone: "PID-13")
    public static let hl7RecordId = "PID-3"

    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        code = try container.decode(String.self, forKey: .code)
        feed = try container.decodeIfPresent(String.self, forKey: .feed)
        path = try container.decodeIfPresent(String.self, forKey: .path)
        format = try container.decodeIfPresent(ExtractFormat.self, forKey: .format) ?? .csv
        encoding = try container.decodeIfPresent(TextEncoding.self, forKey: .encoding) ?? .utf8
        nullValues = try container.decodeIfPresent([String].self, forKey: .nullValues) ?? Self.defaultNullValues
        if format == .hl7 {
            // HL7 v2 says where everything is; a mapping may still override the columns.
            recordId = try container.decodeIfPresent(String.self, forKey: .recordId) ?? Self.hl7RecordId
            columns = try container.decodeIfPresent(Columns.self, forKey: .columns) ?? Self.hl7Columns
            dateFormat = try container.decodeIfPresent(DateFormat.self, forKey: .dateFormat) ?? .hl7
            sexCodes = try container.decodeIfPresent([String: SexNormalizer.Meaning].self, forKey: .sexCodes) ?? [:]
            unknownDayDefaultsToFirstJanuary = try container.decodeIfPresent(Bool.self, forKey: .unknownDayDefaultsToFirstJanuary) ?? false
            return
        }
        recordId = try container.decode(String.self, forKey: .recordId)
        columns = try container.decode(Columns.self, forKey: .columns)
        dateFormat = try container.decodeIfPresent(DateFormat.self, forKey: .dateFormat) ?? .iso
        sexCodes = try container.decodeIfPresent([String: SexNormalizer.Meaning].self, forKey: .sexCodes) ?? [:]
        unknownDayDefaultsToFirstJanuary = try container.decodeIfPresent(Bool.self, forKey: .unknownDayDefaultsToFirstJanuary) ?? false
    }

    /// Checks the mapping against itself; returns problems as sentences naming the key.
    public func validate() -> [String] {
        var problems: [String] = []
        if code.isEmpty { problems.append("code: a source needs a short code, e.g. its ODS code") }
        if feed?.isEmpty == true { problems.append("feed: a feed name cannot be empty; leave it out when the source is one feed") }
        let c = columns
        if c.fullName == nil, c.givenName == nil, c.familyName == nil {
            problems.append("columns: name the person's name as givenName and familyName, or as fullName")
        }
        if c.fullName != nil, c.givenName != nil || c.familyName != nil {
            problems.append("columns.fullName: give either fullName or givenName/familyName, not both")
        }
        if c.nhsNumberStatus != nil, c.nhsNumber == nil {
            problems.append("columns.nhsNumberStatus: a status column needs an nhsNumber column")
        }
        return problems
    }
}
