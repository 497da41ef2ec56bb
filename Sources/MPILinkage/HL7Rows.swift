import MPICore
import MPINormalize
import MPIProtocol

/// Rows of a file of HL7 v2 messages: each message with a PID segment is one record, read through
/// `SourceMapping.hl7Columns`. A message that cannot be parsed, or has no PID or no identifier for the
/// source, is a row problem with the line where the message starts.
enum HL7Rows {
    /// The columns a message's values are laid out in for the normaliser.
    static func header(_ mapping: SourceMapping) -> [String] { [mapping.recordId] + mapping.columns.allColumns }

    /// One message (as `HL7Message.split` cuts a file), normalised by `normalizer`, which was made
    /// with `header(mapping)`.
    static func normalize(_ message: (line: Int, text: String), mapping: SourceMapping,
                          with normalizer: RecordNormalizer) -> Result<NormalizedRow, RowProblem> {
        let line = message.line
        let parsed: HL7Message
        do {
            parsed = try HL7Message(message.text)
        } catch {
            return .failure(RowProblem(line: line, code: "hl7_parse", message: error.description))
        }
        guard let pid = parsed.segment("PID") else {
            return .failure(RowProblem(line: line, code: "hl7_no_pid", message: "the message has no PID segment"))
        }
        let patient = PatientIdentity(pid: pid, in: parsed)
        guard let recordId = patient.recordId(source: mapping.code) else {
            return .failure(RowProblem(line: line, code: "hl7_no_identifier",
                                       message: "PID-3 has no identifier assigned by \(mapping.code) nor of type MR"))
        }
        let values: [String: String] = [
            SourceMapping.hl7RecordId: recordId, "PID-5.2": patient.given, "PID-5.3": patient.middle, "PID-5.1": patient.family,
            "PID-5.1(M)": patient.previousFamily, "PID-3(NHS)": patient.nhsNumber ?? "", "PID-7": patient.dateOfBirth,
            "PID-8": patient.sex, "PID-11.5": patient.postcode, "PID-13": patient.phone,
            "PID-11.1": patient.addressLines.count > 0 ? patient.addressLines[0] : "",
            "PID-11.2": patient.addressLines.count > 1 ? patient.addressLines[1] : "",
            "PID-11.3": patient.addressLines.count > 2 ? patient.addressLines[2] : "",
        ]
        return normalizer.normalize(fields: header(mapping).map { values[$0] ?? "" }, line: line)
    }
}
