// A property-based fuzzer for everything a peer's bytes reach: the MLLP and JSON-lines framing, the
// HL7 v2 parser and the two protocol sessions (identity feed, PIX, PDQ; resolve, match, register,
// merge) over a small live index (`FuzzHarness`). Inputs are mutations of valid seed messages (byte flips,
// delimiter and framing bytes, deletions, duplications, splices, truncations, long runs), fed in
// random chunk sizes. Properties checked for every input: no crash or trap; every decoded message
// gets exactly one answer; an HL7 answer parses and carries an MSA segment; a JSON answer is one line
// holding a JSON object with an "ok" member. Deterministic for a seed.
import Foundation
import FuzzHarness
import MPICore

var inputs = 10_000_000
var seed: UInt64 = 1
var corpusDirectory: String?
var arguments = CommandLine.arguments.dropFirst().makeIterator()
while let argument = arguments.next() {
    switch argument {
    case "--inputs": inputs = Int(arguments.next() ?? "") ?? inputs
    case "--seed": seed = UInt64(arguments.next() ?? "") ?? seed
    case "--write-corpus": corpusDirectory = arguments.next()
    default:
        FileHandle.standardError.write(Data("usage: mpi-fuzz [--inputs N] [--seed S] | --write-corpus DIR\n".utf8))
        exit(2)
    }
}

let harness = try FuzzHarness()
if let corpus = corpusDirectory {
    // libFuzzer's starting corpus: each seed framed, behind the control byte `mpi-libfuzz` reads.
    try FileManager.default.createDirectory(atPath: corpus, withIntermediateDirectories: true)
    for (number, message) in FuzzHarness.hl7Seeds.enumerated() {
        let input = [UInt8(1)] + FuzzHarness.framed(Array(message.utf8), isHL7: true)
        _ = FileManager.default.createFile(atPath: "\(corpus)/hl7-\(number)", contents: Data(input))
    }
    for (number, message) in FuzzHarness.jsonSeeds.enumerated() {
        let input = [UInt8(0)] + FuzzHarness.framed(Array(message.utf8), isHL7: false)
        _ = FileManager.default.createFile(atPath: "\(corpus)/json-\(number)", contents: Data(input))
    }
    print("wrote \(FuzzHarness.hl7Seeds.count + FuzzHarness.jsonSeeds.count) seed inputs to \(corpus)")
    exit(0)
}

// MARK: seeds and mutations

let hl7Seeds = FuzzHarness.hl7Seeds
let jsonSeeds = FuzzHarness.jsonSeeds
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
    let path = harness.directory.deletingLastPathComponent().appendingPathComponent("mpi-fuzz-failure-\(seed).bin").path
    FileManager.default.createFile(atPath: path, contents: Data(input))
    FileManager.default.createFile(atPath: path + ".txt", contents: Data(what.utf8))
    print("property violated: \(what); input written to \(path)")
    exit(1)
}

// MARK: the loop

let hl7SeedBytes = hl7Seeds.map { Array($0.utf8) }
let jsonSeedBytes = jsonSeeds.map { Array($0.utf8) }
let started = Date()

for number in 0..<inputs {
    if number % 100_000 == 0, number > 0 { try harness.rebuild() }   // registrations accumulate: start afresh
    if number % 5_000 == 0 { harness.startConnections(authenticated: random(4) > 0) }   // mostly authenticated
    if number % 1_000_000 == 0, number > 0 {
        // Written unbuffered, so progress shows when the output goes to a file.
        FileHandle.standardOutput.write(Data("\(number) inputs, \(harness.counts.messages) messages answered, \(harness.counts.framingErrors) framing errors, \(Int(Date().timeIntervalSince(started))) s\n".utf8))
        try? harness.index.audit.flush()
    }
    let isHL7 = number % 2 == 0
    let seedBytes = isHL7 ? hl7SeedBytes : jsonSeedBytes
    var body = mutate(seedBytes[random(seedBytes.count)], seeds: seedBytes)
    if random(8) == 0 { body = mutate(body, seeds: seedBytes) }
    // The stream: usually a proper frame or line, sometimes raw bytes, sometimes two messages.
    var stream: [UInt8]
    switch (isHL7, random(5)) {
    case (_, 0): stream = body
    case (true, 1): stream = FuzzHarness.framed(body, isHL7: true) + FuzzHarness.framed(body, isHL7: true)
    case (let hl7, _): stream = FuzzHarness.framed(body, isHL7: hl7)
    }
    if let violation = harness.feed(stream, isHL7: isHL7, chunkSize: { remaining in 1 + random(min(64, remaining) + (random(2) == 0 ? remaining : 0)) }) {
        fail(violation, body)
    }
}
try? harness.index.audit.flush()
print("done: \(inputs) inputs, \(harness.counts.messages) messages answered, \(harness.counts.framingErrors) framing errors, no crash, in \(Int(Date().timeIntervalSince(started))) s (seed \(seed))")
