// What both fuzzers drive: a small live index with its clients, the two protocol sessions over it,
// and one function that feeds a byte stream through a framing decoder and a session and checks the
// properties every answer must have. `mpi-fuzz` feeds it mutations of valid messages (property-based,
// deterministic for a seed); `mpi-libfuzz` feeds it libFuzzer's coverage-guided inputs.
public import Foundation
import MPICore
import MPINormalize
import MPIProtocol
public import MPIService
import MPIStore
import NIOCore

public final class FuzzHarness {
    /// Valid messages to start from: an identity feed, an update, a merge, PIX and PDQ queries, and a
    /// message with unusual encoding characters.
    public static let hl7Seeds = [
        "MSH|^~\\&|EHR|R1K|MPI|NWL|20261128||ADT^A01^ADT_A01|C1|P|2.5\rEVN||20261128\rPID|||77^^^R1K^MR~9434765919^^^NHS^NH||O\\S\\BRIEN^Siobhán^Mary||19851102|F|||14 Pield Heath Ave^Flat 3^Uxbridge^^UB8 3NN||07700 900123\rPV1||I",
        "MSH|^~\\&|EHR|R1K|MPI|NWL|20261128||ADT^A08^ADT_A01|C2|P|2.3.1\rPID|||1^^^R1K^MR||SMITH^ANN||19800102|F",
        "MSH|^~\\&|EHR|R1K|MPI|NWL|20261128||ADT^A40^ADT_A39|C3|P|2.5\rPID|||1^^^R1K^MR||SMITH^ANN\rMRG|2^^^R1K",
        "MSH|^~\\&|EHR|R1K|MPI|NWL|20261128||QBP^Q23^QBP_Q21|C4|P|2.5\rQPD|IHE PIX Query|T1|1^^^R1K&1.2.3&ISO^MR|^^^MPI~^^^NHS\rRCP|I",
        "MSH|^~\\&|EHR|R1K|MPI|NWL|20261128||QBP^Q22^QBP_Q21|C5|P|2.5\rQPD|IHE PDQ Query|T2|@PID.5.1^SMITH~@PID.5.2^ANN~@PID.7^19800102\rRCP|I|1^RD",
        "MSH|#!@%$|EHR|R1K|MPI|NWL|20261128||ADT#A04#ADT_A01|C6|P|2.5\rPID###3^^^R1K^MR##KHAN!JON##19750506|M",
    ]
    public static let authenticate = #"{"id":1,"op":"authenticate","token":"t"}"#
    public static let jsonSeeds = [
        authenticate,
        #"{"id":2,"op":"resolve","identifier":{"domain":"R1K","value":"1"}}"#,
        #"{"id":"x","op":"match","limit":5,"demographics":{"given":"Ann","family":"Smith","dateOfBirth":"1980-01-02"}}"#,
        #"{"id":4,"op":"register","source":"R1K","recordId":"9","demographics":{"given":"Zoë","family":"Ng","dateOfBirth":"1990-02-03","nhsNumber":"943 476 5919","address":["1 Road"]}}"#,
        #"{"id":5,"op":"merge","source":"R1K","survivor":"1","retired":"2"}"#,
        #"{"id":6,"op":"resolve","identifier":{"domain":"MPI","value":"0000-0000-0"}}"#,
        #"{"id":7,"op":"ping"}"#,
    ]

    public struct Counts: Sendable {
        public var messages = 0
        public var framingErrors = 0
    }

    public private(set) var directory: URL
    public private(set) var index: IdentityIndex
    public var counts = Counts()
    private let registry: ClientRegistry
    private var hl7Session: HL7Session
    private var jsonSession: JSONLinesSession

    public init() throws {
        registry = ClientRegistry(
            domains: [IdentifierDomain(name: "R1K", universalId: "1.2.3", kind: .source), IdentifierDomain(name: "RYJ", kind: .source),
                      IdentifierDomain(name: "NHS", universalId: "2.16.840.1.113883.2.1.4.1", kind: .nhsNumber),
                      IdentifierDomain(name: "MPI", kind: .enterprise)],
            clients: [Client(name: "fuzz", tokenSHA256: ClientRegistry.tokenHash("t"), permissions: [.resolve, .match, .register], source: "R1K",
                             hl7Senders: [.init(application: "EHR", facility: "R1K")], maximumConnections: 1_000_000)])
        (directory, index) = try Self.makeIndex()
        hl7Session = HL7Session(index: index, registry: registry, limiter: ConnectionLimiter(defaultMaximum: 1_000_000))
        jsonSession = JSONLinesSession(index: index, registry: registry, limiter: ConnectionLimiter(defaultMaximum: 1_000_000))
    }

    deinit { try? FileManager.default.removeItem(at: directory) }

    /// A new store and index with four records in three persons. A long run starts afresh now and
    /// then: every registration it makes grows the blocks later inputs are matched against.
    public func rebuild() throws {
        try? index.audit.flush()
        try? FileManager.default.removeItem(at: directory)
        (directory, index) = try Self.makeIndex()
        startConnections(authenticated: true)
    }

    /// New sessions, as a new connection would get; the JSON one authenticated unless told otherwise.
    public func startConnections(authenticated: Bool) {
        hl7Session = HL7Session(index: index, registry: registry, limiter: ConnectionLimiter(defaultMaximum: 1_000_000))
        jsonSession = JSONLinesSession(index: index, registry: registry, limiter: ConnectionLimiter(defaultMaximum: 1_000_000))
        if authenticated { _ = jsonSession.handle(ByteBuffer(string: Self.authenticate)) }
    }

    /// Feeds `stream` to an MLLP (HL7) or JSON-lines decoder in chunks of `chunkSize(remaining)` bytes,
    /// answers every decoded message through the session, and checks each answer: an HL7 answer parses
    /// and carries an MSA segment; a JSON answer is one line holding an object with a boolean `ok`. A
    /// framing error ends the stream, as it ends a connection. Returns what was violated, or nil.
    public func feed(_ stream: [UInt8], isHL7: Bool, chunkSize: (Int) -> Int) -> String? {
        var buffer = ByteBuffer()
        var mllp = MLLPFrameDecoder(maximumMessageSize: 4_096)
        var lines = JSONLineDecoder(maximumLineLength: 4_096)
        var offset = 0
        do {
            while offset < stream.count {
                let chunk = max(1, min(chunkSize(stream.count - offset), stream.count - offset))
                buffer.writeBytes(stream[offset..<offset + chunk])
                offset += chunk
                while true {
                    if isHL7 {
                        guard let frame = try mllp.decode(buffer: &buffer) else { break }
                        counts.messages += 1
                        let (response, _) = hl7Session.handle(String(buffer: frame))
                        guard let answer = try? HL7Message(response), answer.segment("MSA") != nil else { return "HL7 answer without MSA: \(response)" }
                    } else {
                        guard let line = try lines.decode(buffer: &buffer) else { break }
                        counts.messages += 1
                        let (response, _) = jsonSession.handle(line)
                        let text = String(buffer: response)
                        guard text.hasSuffix("\n"), text.dropLast().firstIndex(of: "\n") == nil,
                              let object = try? JSONSerialization.jsonObject(with: Data(text.utf8)) as? [String: Any], object["ok"] is Bool else {
                            return "JSON answer is not one object line: \(text)"
                        }
                    }
                }
            }
        } catch is MLLPFramingError {
            counts.framingErrors += 1
        } catch is JSONLineFramingError {
            counts.framingErrors += 1
        } catch {
            return "unexpected error \(error)"
        }
        return nil
    }

    /// A message framed as a client sends it: MLLP start block, message, end block and carriage
    /// return; or a JSON line.
    public static func framed(_ message: [UInt8], isHL7: Bool) -> [UInt8] {
        isHL7 ? [MLLP.startBlock] + message + [MLLP.endBlock, MLLP.carriageReturn] : message + [0x0A]
    }

    private static func makeIndex() throws -> (URL, IdentityIndex) {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("mpi-fuzz-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        let store = try IdentityStore(path: directory.appendingPathComponent("fuzz.sqlite").path)
        let header = ["ID", "GIVEN", "FAMILY", "DOB", "SEX", "NHS", "POSTCODE"]
        let mapping = SourceMapping(code: "R1K", recordId: "ID", columns: .init(givenName: "GIVEN", familyName: "FAMILY", nhsNumber: "NHS",
                                                                                  dateOfBirth: "DOB", sex: "SEX", postcode: "POSTCODE"))
        let today = CalendarDate(year: 2026, month: 11, day: 28)!
        let normalizer = try RecordNormalizer(mapping: mapping, header: header, today: today, transliterator: Transliterator())
        normalizer.keepsRawValues = true
        let rows = [["1", "Ann", "Smith", "1980-01-02", "F", "9434765919", "UB8 3NN"], ["2", "Ann", "Smith", "1980-01-02", "F", "", "UB8 3NN"],
                    ["3", "Jon", "Khan", "1975-05-06", "M", "", "W2 1NY"], ["4", "Maria", "O'Brien", "2001-12-31", "F", "", "SW10 9NH"]]
        var stored: [StoredRecord] = []
        for (line, row) in rows.enumerated() {
            guard case .success(let normalized) = normalizer.normalize(fields: row, line: line + 1) else { fatalError("seed row \(line) did not normalise") }
            stored.append(StoredRecord(key: normalized.record.key, raw: normalized.raw, normalized: normalized.record))
        }
        _ = try store.importSource(code: "R1K", records: stored, fullExtract: false, actor: "fuzz")
        let settings = LinkSettings(rules: BlockingRule.nhsDefaults, maximumBlockSize: 1_000, thresholds: .defaults)
        _ = try store.applyPersons([[stored[0].key, stored[1].key], [stored[2].key], [stored[3].key]], model: LinkageModel.untrained(),
                                   settings: settings, reason: "fuzz", actor: "fuzz")
        let variants = try ForenameVariants(csv: "group,name\n1,ANN\n1,ANNE\n")
        return (directory, try IdentityIndex(store: store, builder: MatchRecordBuilder(variants: variants), today: today))
    }
}
