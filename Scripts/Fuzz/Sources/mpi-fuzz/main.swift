// A property-based fuzzer for everything a peer's bytes reach: the MLLP and JSON-lines framing, the
// HL7 v2 parser and the two protocol sessions (identity feed, PIX, PDQ; resolve, match, register,
// merge) over a small live index. Inputs are mutations of valid seed messages (byte flips,
// delimiter and framing bytes, deletions, duplications, splices, truncations, long runs), fed in
// random chunk sizes. Properties checked for every input: no crash or trap; every decoded message
// gets exactly one answer; an HL7 answer parses and carries an MSA segment; a JSON answer is one line
// holding a JSON object with an "ok" member. Deterministic for a seed.
import Foundation
import MPICore
import MPINormalize
import MPIProtocol
import MPIService
import MPIStore
import NIOCore

var inputs = 10_000_000
var seed: UInt64 = 1
var arguments = CommandLine.arguments.dropFirst().makeIterator()
while let argument = arguments.next() {
    switch argument {
    case "--inputs": inputs = Int(arguments.next() ?? "") ?? inputs
    case "--seed": seed = UInt64(arguments.next() ?? "") ?? seed
    default:
        FileHandle.standardError.write(Data("usage: mpi-fuzz [--inputs N] [--seed S]\n".utf8))
        exit(2)
    }
}

// MARK: a small live index to answer against

let directory = FileManager.default.temporaryDirectory.appendingPathComponent("mpi-fuzz-\(UUID().uuidString)")
try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
defer { try? FileManager.default.removeItem(at: directory) }
let store = try IdentityStore(path: directory.appendingPathComponent("fuzz.sqlite").path)
let header = ["ID", "GIVEN", "FAMILY", "DOB", "SEX", "NHS", "POSTCODE"]
let mapping = SourceMapping(code: "R1K", recordId: "ID",
                            columns: .init(givenName: "GIVEN", familyName: "FAMILY", nhsNumber: "NHS", dateOfBirth: "DOB", sex: "SEX", postcode: "POSTCODE"))
let normalizer = try RecordNormalizer(mapping: mapping, header: header, today: CalendarDate(year: 2026, month: 11, day: 28)!, transliterator: Transliterator())
normalizer.keepsRawValues = true
let rows = [["1", "Ann", "Smith", "1980-01-02", "F", "9434765919", "UB8 3NN"], ["2", "Ann", "Smith", "1980-01-02", "F", "", "UB8 3NN"],
            ["3", "Jon", "Khan", "1975-05-06", "M", "", "W2 1NY"], ["4", "Maria", "O'Brien", "2001-12-31", "F", "", "SW10 9NH"]]
var stored: [StoredRecord] = []
for (line, row) in rows.enumerated() {
    guard case .success(let normalized) = normalizer.normalize(fields: row, line: line + 1) else { fatalError("seed row \(line) did not normalise") }
    stored.append(StoredRecord(key: normalized.record.key, raw: normalized.raw, normalized: normalized.record))
}
_ = try store.importSource(code: "R1K", records: stored, fullExtract: false, actor: "fuzz")
let encoder = JSONEncoder()
let settings = LinkSettings(rules: BlockingRule.nhsDefaults, maximumBlockSize: 1_000, thresholds: .defaults)
_ = try store.applyPersons([[stored[0].key, stored[1].key], [stored[2].key], [stored[3].key]],
                           modelJSON: String(decoding: try encoder.encode(LinkageModel.untrained()), as: UTF8.self),
                           settingsJSON: String(decoding: try encoder.encode(settings), as: UTF8.self), reason: "fuzz", actor: "fuzz")
let variants = try ForenameVariants(csv: "group,name\n1,ANN\n1,ANNE\n")
let index = try IdentityIndex(store: store, builder: MatchRecordBuilder(variants: variants), today: CalendarDate(year: 2026, month: 11, day: 28)!)
let registry = ClientRegistry(
    domains: [IdentifierDomain(name: "R1K", universalId: "1.2.3", kind: .source), IdentifierDomain(name: "RYJ", kind: .source),
              IdentifierDomain(name: "NHS", universalId: "2.16.840.1.113883.2.1.4.1", kind: .nhsNumber), IdentifierDomain(name: "MPI", kind: .enterprise)],
    clients: [Client(name: "fuzz", tokenSHA256: ClientRegistry.tokenHash("t"), permissions: [.resolve, .match, .register], source: "R1K",
                     hl7Senders: [.init(application: "EHR", facility: "R1K")], maximumConnections: 1_000_000)])

// MARK: seeds and mutations

let hl7Seeds = [
    "MSH|^~\\&|EHR|R1K|MPI|NWL|20261128||ADT^A01^ADT_A01|C1|P|2.5\rEVN||20261128\rPID|||77^^^R1K^MR~9434765919^^^NHS^NH||O\\S\\BRIEN^Siobhán^Mary||19851102|F|||14 Pield Heath Ave^Flat 3^Uxbridge^^UB8 3NN||07700 900123\rPV1||I",
    "MSH|^~\\&|EHR|R1K|MPI|NWL|20261128||ADT^A08^ADT_A01|C2|P|2.3.1\rPID|||1^^^R1K^MR||SMITH^ANN||19800102|F",
    "MSH|^~\\&|EHR|R1K|MPI|NWL|20261128||ADT^A40^ADT_A39|C3|P|2.5\rPID|||1^^^R1K^MR||SMITH^ANN\rMRG|2^^^R1K",
    "MSH|^~\\&|EHR|R1K|MPI|NWL|20261128||QBP^Q23^QBP_Q21|C4|P|2.5\rQPD|IHE PIX Query|T1|1^^^R1K&1.2.3&ISO^MR|^^^MPI~^^^NHS\rRCP|I",
    "MSH|^~\\&|EHR|R1K|MPI|NWL|20261128||QBP^Q22^QBP_Q21|C5|P|2.5\rQPD|IHE PDQ Query|T2|@PID.5.1^SMITH~@PID.5.2^ANN~@PID.7^19800102\rRCP|I|1^RD",
    "MSH|#!@%$|EHR|R1K|MPI|NWL|20261128||ADT#A04#ADT_A01|C6|P|2.5\rPID###3^^^R1K^MR##KHAN!JON##19750506|M",
]
let jsonSeeds = [
    #"{"id":1,"op":"authenticate","token":"t"}"#,
    #"{"id":2,"op":"resolve","identifier":{"domain":"R1K","value":"1"}}"#,
    #"{"id":"x","op":"match","limit":5,"demographics":{"given":"Ann","family":"Smith","dateOfBirth":"1980-01-02"}}"#,
    #"{"id":4,"op":"register","source":"R1K","recordId":"9","demographics":{"given":"Zoë","family":"Ng","dateOfBirth":"1990-02-03","nhsNumber":"943 476 5919","address":["1 Road"]}}"#,
    #"{"id":5,"op":"merge","source":"R1K","survivor":"1","retired":"2"}"#,
    #"{"id":6,"op":"resolve","identifier":{"domain":"MPI","value":"0000-0000-0"}}"#,
    #"{"id":7,"op":"ping"}"#,
]

var generator = SplitMix64(seed: seed)
@MainActor func random(_ bound: Int) -> Int { bound <= 0 ? 0 : Int(generator.next() % UInt64(bound)) }
let interesting: [UInt8] = Array("|^~\\&\r\n{}[]\":,@#0123456789-".utf8) + [0x0B, 0x1C, 0x0D, 0x00, 0xFF, 0xC3, 0xA9, 0xE2, 0x80]

@MainActor func mutate(_ input: [UInt8], seeds: [[UInt8]]) -> [UInt8] {
    var bytes = input
    for _ in 0..<(1 + random(6)) {
        switch random(9) {
        case 0 where !bytes.isEmpty: bytes[random(bytes.count)] ^= UInt8(1 << random(8))
        case 1: bytes.insert(interesting[random(interesting.count)], at: random(bytes.count + 1))
        case 2 where !bytes.isEmpty:
            let start = random(bytes.count)
            bytes.removeSubrange(start..<min(bytes.count, start + 1 + random(16)))
        case 3 where !bytes.isEmpty:
            let start = random(bytes.count), end = min(bytes.count, start + 1 + random(32))
            bytes.insert(contentsOf: bytes[start..<end], at: random(bytes.count + 1))
        case 4:
            let other = seeds[random(seeds.count)]
            let cut = random(bytes.count + 1), otherCut = random(other.count + 1)
            bytes = Array(bytes[..<cut]) + Array(other[otherCut...])
        case 5 where !bytes.isEmpty: bytes.removeLast(random(bytes.count))
        case 6: bytes.insert(contentsOf: Array(repeating: interesting[random(interesting.count)], count: random(300)), at: random(bytes.count + 1))
        case 7 where !bytes.isEmpty: bytes[random(bytes.count)] = UInt8(truncatingIfNeeded: random(256))
        case 8: bytes.insert(contentsOf: Array(String(generator.next()).utf8), at: random(bytes.count + 1))
        default: break
        }
    }
    return bytes
}

@MainActor func fail(_ what: String, _ input: [UInt8]) -> Never {
    let path = directory.deletingLastPathComponent().appendingPathComponent("mpi-fuzz-failure-\(seed).bin").path
    FileManager.default.createFile(atPath: path, contents: Data(input))
    FileManager.default.createFile(atPath: path + ".txt", contents: Data(what.utf8))
    print("property violated: \(what); input written to \(path)")
    exit(1)
}

// MARK: the loop

let hl7SeedBytes = hl7Seeds.map { Array($0.utf8) }
let jsonSeedBytes = jsonSeeds.map { Array($0.utf8) }
var hl7Session = HL7Session(index: index, registry: registry, limiter: ConnectionLimiter(defaultMaximum: 1_000_000))
var jsonSession = JSONLinesSession(index: index, registry: registry, limiter: ConnectionLimiter(defaultMaximum: 1_000_000))
_ = jsonSession.handle(ByteBuffer(string: jsonSeeds[0]))
var counts = (messages: 0, framingErrors: 0, answers: 0)
let started = Date()

for number in 0..<inputs {
    if number % 5_000 == 0 {
        hl7Session = HL7Session(index: index, registry: registry, limiter: ConnectionLimiter(defaultMaximum: 1_000_000))
        jsonSession = JSONLinesSession(index: index, registry: registry, limiter: ConnectionLimiter(defaultMaximum: 1_000_000))
        if random(4) > 0 { _ = jsonSession.handle(ByteBuffer(string: jsonSeeds[0])) }   // mostly authenticated
    }
    if number % 1_000_000 == 0, number > 0 {
        // Written unbuffered, so progress shows when the output goes to a file.
        FileHandle.standardOutput.write(Data("\(number) inputs, \(counts.messages) messages answered, \(counts.framingErrors) framing errors, \(Int(Date().timeIntervalSince(started))) s\n".utf8))
        try? index.audit.flush()
    }
    let isHL7 = number % 2 == 0
    let seedBytes = isHL7 ? hl7SeedBytes : jsonSeedBytes
    var body = mutate(seedBytes[random(seedBytes.count)], seeds: seedBytes)
    if random(8) == 0 { body = mutate(body, seeds: seedBytes) }
    // The stream: usually a proper frame or line, sometimes raw bytes, sometimes two messages.
    var stream: [UInt8]
    switch (isHL7, random(5)) {
    case (true, 0): stream = body
    case (true, 1): stream = [MLLP.startBlock] + body + [MLLP.endBlock, MLLP.carriageReturn] + [MLLP.startBlock] + body + [MLLP.endBlock, MLLP.carriageReturn]
    case (true, _): stream = [MLLP.startBlock] + body + [MLLP.endBlock, MLLP.carriageReturn]
    case (false, 0): stream = body
    case (false, _): stream = body + [0x0A]
    }
    var buffer = ByteBuffer()
    var mllp = MLLPFrameDecoder(maximumMessageSize: 4_096)
    var lines = JSONLineDecoder(maximumLineLength: 4_096)
    var offset = 0
    do {
        while offset < stream.count {
            let chunk = 1 + random(min(64, stream.count - offset) + (random(2) == 0 ? stream.count : 0))
            buffer.writeBytes(stream[offset..<min(stream.count, offset + chunk)])
            offset += chunk
            while true {
                if isHL7 {
                    guard let frame = try mllp.decode(buffer: &buffer) else { break }
                    counts.messages += 1
                    let (response, _) = hl7Session.handle(String(buffer: frame))
                    guard let answer = try? HL7Message(response), answer.segment("MSA") != nil else { fail("HL7 answer without MSA: \(response)", body) }
                } else {
                    guard let line = try lines.decode(buffer: &buffer) else { break }
                    counts.messages += 1
                    let (response, _) = jsonSession.handle(line)
                    let text = String(buffer: response)
                    guard text.hasSuffix("\n"), text.dropLast().firstIndex(of: "\n") == nil,
                          let object = try? JSONSerialization.jsonObject(with: Data(text.utf8)) as? [String: Any], object["ok"] is Bool else {
                        fail("JSON answer is not one object line: \(text)", body)
                    }
                }
            }
        }
    } catch is MLLPFramingError {
        counts.framingErrors += 1
    } catch is JSONLineFramingError {
        counts.framingErrors += 1
    } catch {
        fail("unexpected error \(error)", body)
    }
}
try? index.audit.flush()
print("done: \(inputs) inputs, \(counts.messages) messages answered, \(counts.framingErrors) framing errors, no crash, in \(Int(Date().timeIntervalSince(started))) s (seed \(seed))")
