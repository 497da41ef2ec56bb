import Benchmark
import MPIProtocol

/// 10,000 ADT^A04 messages as the emergency department's feed sends them (MSH, EVN, PID, PV1; NHS
/// number and hospital number in PID-3, an escaped apostrophe now and then, a few accented names).
/// Deterministic.
private func admissions(count: Int) -> [String] {
    let surnames = ["SMITH", "PATEL", "O\\S\\BRIEN", "KHAN", "NGUYEN", "KOWALSKI", "WILLIAMS", "OKAFOR", "BEGUM", "MÜLLER", "GARCÍA"]
    let forenames = ["John", "Mary", "Mohammed", "Siobhán", "Ravi", "Aisha", "Wojciech", "Zoë", "Hassan", "Olivia"]
    return (0..<count).map { index in
        let surname = surnames[index % surnames.count], forename = forenames[(index / 3) % forenames.count]
        return [
            "MSH|^~\\&|ED|RAS|MPI|NWL|20261128101500||ADT^A04^ADT_A01|ED\(index)|P|2.5",
            "EVN|A04|20261128101500",
            "PID|1||RAS\(100_000 + index)^^^RAS^MR~9434765919^^^NHS^NH||\(surname)^\(forename)^^^Ms||1985\(format2(index % 12 + 1))\(format2(index % 28 + 1))|F|||\(index) Pield Heath Ave^Flat 3^Uxbridge^^UB8 3NN^GBR||07700 900\(100 + index % 800)",
            "PV1|1|E",
        ].joined(separator: "\r")
    }
}

private func format2(_ value: Int) -> String { value < 10 ? "0\(value)" : "\(value)" }

let benchmarks: @Sendable () -> Void = {
    Benchmark.defaultConfiguration = .init(
        metrics: [.wallClock, .throughput, .mallocCountTotal],
        timeUnits: .milliseconds,
        maxDuration: .seconds(5)
    )
    let messages = admissions(count: 10_000)
    let file = messages.map { "\u{0B}" + $0 + "\u{1C}\r\n" }.joined()

    // What `mpi link` does per message of an HL7 extract, and the service per identity-feed message:
    // parse, find PID, read the patient.
    Benchmark("Parse ADT message and read PID x10000") { benchmark in
        for _ in benchmark.scaledIterations {
            for text in messages {
                let message = try HL7Message(text)
                if let pid = message.segment("PID") { blackHole(PatientIdentity(pid: pid, in: message)) }
            }
        }
    }

    Benchmark("Parse ADT message x10000") { benchmark in
        for _ in benchmark.scaledIterations {
            for text in messages { blackHole(try HL7Message(text)) }
        }
    }

    Benchmark("Split a file of 10000 framed messages") { benchmark in
        for _ in benchmark.scaledIterations { blackHole(HL7Message.split(file)) }
    }
}
