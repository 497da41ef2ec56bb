// The coverage-guided fuzzer: libFuzzer (`swiftc -sanitize=fuzzer`) calls `LLVMFuzzerTestOneInput`
// with inputs it evolves towards new coverage of the decoders and sessions. The first byte of an input
// chooses the protocol (bit 0: HL7 over MLLP, else JSON lines), whether the JSON connection is
// authenticated (bit 7 clear) and the chunk size the stream arrives in (bits 1-6; 0: all at once); the
// rest is the byte stream a client sends. A broken property is a trap, which libFuzzer reports with
// the input that caused it. Build and run: docs/protocol.md, "Fuzzing".
import FuzzHarness

nonisolated(unsafe) private var harness: FuzzHarness?
nonisolated(unsafe) private var inputsSinceRebuild = 0

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzOneInput(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
    guard let data, size > 0 else { return 0 }
    if harness == nil { harness = try! FuzzHarness() }
    let fuzz = harness!
    inputsSinceRebuild += 1
    if inputsSinceRebuild >= 100_000 {   // keep the index small: registrations accumulate
        try! fuzz.rebuild()
        inputsSinceRebuild = 0
    }
    let control = data[0]
    let stream = Array(UnsafeBufferPointer(start: data + 1, count: size - 1))
    let isHL7 = control & 1 == 1
    let chunk = Int((control >> 1) & 0x3F)
    fuzz.startConnections(authenticated: control & 0x80 == 0)
    if let violation = fuzz.feed(stream, isHL7: isHL7, chunkSize: { remaining in chunk == 0 ? remaining : chunk }) {
        fatalError("property violated: \(violation)")
    }
    return 0
}

// SwiftPM links an executable with its entry point renamed to `<module>_main`; with
// -parse-as-library there is no Swift `main`, so this one hands control to libFuzzer's driver.
@_silgen_name("LLVMFuzzerRunDriver")
private func runLibFuzzer(_ argc: UnsafeMutablePointer<CInt>,
                          _ argv: UnsafeMutablePointer<UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?>,
                          _ testOneInput: @convention(c) (UnsafePointer<UInt8>?, Int) -> CInt) -> CInt

@_cdecl("mpi_libfuzz_main")
public func libFuzzMain(_ argc: CInt, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?) -> CInt {
    var count = argc
    var arguments = argv
    return runLibFuzzer(&count, &arguments, fuzzOneInput)
}
