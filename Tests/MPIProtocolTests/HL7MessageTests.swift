import Foundation
import MPIProtocol
import Testing

private let admit = [
    "MSH|^~\\&|PAS|RQM|MPI|NWL|20261128101500||ADT^A04^ADT_A01|MSG0001|P|2.5.1",
    "EVN|A04|20261128101500",
    "PID|1||RQM1234567^^^RQM^MR~9434765919^^^NHS^NH||O\\S\\BRIEN^Siobhán^Mary^^Ms~KELLY^Siobhán^^^^^M||19851102|F|||14 Pield Heath Ave^Flat 3^Uxbridge^^UB8 3NN^GBR||07700 900123",
].joined(separator: "\r")

@Suite struct HL7MessageTests {
    @Test func parsesSegmentsAndTheMSHShift() throws {
        let message = try HL7Message(admit)
        #expect(message.segments.map(\.id) == ["MSH", "EVN", "PID"])
        let msh = try #require(message.segment("MSH"))
        #expect(msh[field: 1] == "|")
        #expect(msh[field: 2] == "^~\\&")
        #expect(msh[field: 9] == "ADT^A04^ADT_A01")
        #expect(msh[field: 10] == "MSG0001")
        #expect(message.component(msh[field: 9], 2) == "A04")
    }

    @Test func readsThePatient() throws {
        let message = try HL7Message(admit)
        let patient = PatientIdentity(pid: try #require(message.segment("PID")), in: message)
        #expect(patient.recordId(source: "RQM") == "RQM1234567")
        #expect(patient.nhsNumber == "9434765919")
        #expect(patient.family == "O^BRIEN")          // \S\ is an escaped component separator, not a split
        #expect(patient.given == "Siobhán")
        #expect(patient.middle == "Mary")
        #expect(patient.previousFamily == "KELLY")
        #expect(patient.dateOfBirth == "19851102")
        #expect(patient.sex == "F")
        #expect(patient.addressLines == ["14 Pield Heath Ave", "Flat 3", "Uxbridge"])
        #expect(patient.postcode == "UB8 3NN")
        #expect(patient.phone == "07700 900123")
    }

    @Test func honoursDeclaredEncodingCharacters() throws {
        let message = try HL7Message("MSH#:*!$#PAS\rPID#1##X1:::R1K:MR*9434765919:::NHS:NH##SMITH:JOHN")
        let patient = PatientIdentity(pid: try #require(message.segment("PID")), in: message)
        #expect(patient.recordId(source: "R1K") == "X1")
        #expect(patient.nhsNumber == "9434765919")
        #expect(patient.family == "SMITH" && patient.given == "JOHN")
    }

    @Test func unescapes() throws {
        let message = try HL7Message("MSH|^~\\&|A")
        #expect(message.text("A\\F\\B\\S\\C\\T\\D\\R\\E\\E\\") == "A|B^C&D~E\\")
        #expect(message.text("plain") == "plain")
        #expect(message.text("bold\\H\\text\\N\\") == "boldtext")
    }

    @Test func rejectsNonMessages() {
        #expect(throws: HL7Message.ParseError.missingMSH) { try HL7Message("PID|1||X") }
        #expect(throws: HL7Message.ParseError.shortMSH) { try HL7Message("MSH|^~") }
    }

    @Test func splitsAFileOfMessagesIncludingMLLPFrames() {
        let file = "\u{0B}" + admit + "\u{1C}\r\n" + admit.replacingOccurrences(of: "MSG0001", with: "MSG0002") + "\n\n"
        let messages = HL7Message.split(file)
        #expect(messages.count == 2)
        #expect(messages.map(\.line) == [1, 4])   // CR LF is one line break
        #expect(messages[1].text.contains("MSG0002"))
    }
}
