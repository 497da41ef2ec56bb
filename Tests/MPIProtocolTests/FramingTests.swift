import Foundation
import MPIProtocol
import NIOCore
import NIOEmbedded
import NIOTestUtils
import Testing

private func framed(_ text: String) -> ByteBuffer { MLLP.frame(text) }

@Suite struct MLLPFramingTests {
    @Test func framesSurviveDripFeedAndMerging() throws {
        let channel = EmbeddedChannel(handler: ByteToMessageHandler(MLLPFrameDecoder()))
        var bytes = framed("MSH|1")
        bytes.writeImmutableBuffer(framed("MSH|2\rPID|x"))
        while let one = bytes.readSlice(length: 1) { try channel.writeInbound(one) }
        #expect(try channel.readInbound(as: ByteBuffer.self) == ByteBuffer(string: "MSH|1"))
        #expect(try channel.readInbound(as: ByteBuffer.self) == ByteBuffer(string: "MSH|2\rPID|x"))
        #expect(try channel.readInbound(as: ByteBuffer.self) == nil)
        #expect(try channel.finish().isClean)
    }

    @Test func verifierFeedsOneByteAtATimeMergedAndShuffled() throws {
        try ByteToMessageDecoderVerifier.verifyDecoder(
            inputOutputPairs: [
                (framed("MSH|^~\\&|A"), [ByteBuffer(string: "MSH|^~\\&|A")]),
                (framed("B\u{1C}not the end"), [ByteBuffer(string: "B\u{1C}not the end")]),   // 0x1C not followed by 0x0D is data
                (framed(""), [ByteBuffer(string: "")]),
            ],
            decoderFactory: { MLLPFrameDecoder() })
    }

    @Test func aFrameOverTheLimitIsAnErrorBeforeItEnds() throws {
        let channel = EmbeddedChannel(handler: ByteToMessageHandler(MLLPFrameDecoder(maximumMessageSize: 16)))
        var bytes = ByteBuffer(bytes: [MLLP.startBlock])
        bytes.writeString(String(repeating: "x", count: 40))   // no end block: the limit alone must stop it
        #expect(throws: MLLPFramingError.messageTooLarge(limit: 16)) { try channel.writeInbound(bytes) }
        _ = try? channel.finish()
    }

    @Test func bytesOutsideAFrameAreRefusedButLineBreaksBetweenFramesAreNot() throws {
        var decoder = MLLPFrameDecoder()
        var tolerated = ByteBuffer(string: "\r\n")
        tolerated.writeImmutableBuffer(framed("MSH|ok"))
        #expect(try decoder.decode(buffer: &tolerated) == ByteBuffer(string: "MSH|ok"))
        var garbage = ByteBuffer(string: "GET / HTTP/1.1\r\n")
        #expect(throws: MLLPFramingError.bytesOutsideFrame) { try decoder.decode(buffer: &garbage) }
    }

    @Test func encoderWrapsAMessage() throws {
        let channel = EmbeddedChannel(handler: MessageToByteHandler(MLLPFrameEncoder()))
        try channel.writeOutbound(ByteBuffer(string: "MSH|x"))
        #expect(try channel.readOutbound(as: ByteBuffer.self) == framed("MSH|x"))
        #expect(try channel.finish().isClean)
    }
}

@Suite struct JSONLineFramingTests {
    @Test func linesSurviveDripFeedAndSkipBlanksAndCarriageReturns() throws {
        let channel = EmbeddedChannel(handler: ByteToMessageHandler(JSONLineDecoder()))
        var bytes = ByteBuffer(string: "{\"op\":\"ping\"}\r\n\n{\"id\":2}\n")
        while let one = bytes.readSlice(length: 1) { try channel.writeInbound(one) }
        #expect(try channel.readInbound(as: ByteBuffer.self) == ByteBuffer(string: "{\"op\":\"ping\"}"))
        #expect(try channel.readInbound(as: ByteBuffer.self) == ByteBuffer(string: "{\"id\":2}"))
        #expect(try channel.readInbound(as: ByteBuffer.self) == nil)
        #expect(try channel.finish().isClean)
    }

    @Test func verifier() throws {
        try ByteToMessageDecoderVerifier.verifyDecoder(
            inputOutputPairs: [(ByteBuffer(string: "a\nbb\n"), [ByteBuffer(string: "a"), ByteBuffer(string: "bb")])],
            decoderFactory: { JSONLineDecoder() })
    }

    @Test func aLineOverTheLimitIsAnError() throws {
        let channel = EmbeddedChannel(handler: ByteToMessageHandler(JSONLineDecoder(maximumLineLength: 8)))
        #expect(throws: JSONLineFramingError.lineTooLong(limit: 8)) { try channel.writeInbound(ByteBuffer(string: String(repeating: "x", count: 20))) }
        _ = try? channel.finish()
    }
}

@Suite struct HL7WriterTests {
    @Test(arguments: ["O|BRIEN", "A^B~C\\D&E", "plain", "two\rlines"])
    func escapedValuesReadBackUnchanged(value: String) throws {
        var writer = HL7Writer()
        writer.header(["A", "B", "C", "D", "20261128", "", "ADT^A01", "1", "P", "2.5"])
        writer.segment("PID", ["", "", writer.identifier(value: value, namespace: "R1K", universalId: "1.2.3", type: "MR"), "",
                               writer.field([value, "GIVEN"])])
        let message = try HL7Message(writer.text)
        let pid = try #require(message.segment("PID"))
        let expected = value.replacingOccurrences(of: "\r", with: " ")
        #expect(message.component(pid[field: 5], 1) == expected)
        #expect(message.component(pid[field: 5], 2) == "GIVEN")
        let identifier = IdentifierReference(cx: pid[field: 3], in: message)
        #expect(identifier == IdentifierReference(value: expected, namespace: "R1K", universalId: "1.2.3", type: "MR"))
    }

    @Test func acknowledgementSwapsSenderAndReceiverAndEchoesTheControlId() throws {
        let request = try HL7Message("MSH|^~\\&|EHR|R1K|MPI|NWL|20261128||ADT^A08^ADT_A01|CTRL-9|P|2.3.1\rPID|||1^^^R1K")
        let header = HL7ResponseHeader(request: request, controlId: "OUR-1", timestamp: "20261128120000")
        let ack = try HL7Message(header.acknowledgement(.error, errors: [HL7Error(.requiredFieldMissing, at: ["PID", "1", "3"], "PID-3 missing")],
                                                        encoding: request.encoding))
        let msh = try #require(ack.segment("MSH"))
        #expect([msh[field: 3], msh[field: 4], msh[field: 5], msh[field: 6]] == ["MPI", "NWL", "EHR", "R1K"])
        #expect(msh[field: 9] == "ACK^A08^ACK")
        #expect(msh[field: 12] == "2.3.1")
        #expect(ack.segment("MSA")?[field: 1] == "AE")
        #expect(ack.segment("MSA")?[field: 2] == "CTRL-9")
        #expect(ack.segment("ERR")?[field: 2] == "PID^1^3")
        #expect(ack.component(ack.segment("ERR")?[field: 3] ?? "", 1) == "101")
    }
}

@Suite struct PatientQueryTests {
    @Test func pixQueryReadsIdentifierAndDomains() throws {
        let message = try HL7Message("MSH|^~\\&|LAB|RYJ|MPI|NWL|20261128||QBP^Q23^QBP_Q21|Q1|P|2.5\rQPD|IHE PIX Query|TAG1|123^^^R1K&1.2.3&ISO^MR|^^^NHS~^^^MPI\rRCP|I")
        let query = try PatientQuery(message)
        #expect(query == .identifiers(tag: "TAG1", identifier: IdentifierReference(value: "123", namespace: "R1K", universalId: "1.2.3", type: "MR"),
                                      domains: [IdentifierReference(value: "", namespace: "NHS"), IdentifierReference(value: "", namespace: "MPI")]))
    }

    @Test func pdqQueryReadsParametersLimitAndContinuation() throws {
        let message = try HL7Message("MSH|^~\\&|EHR|R1K|MPI|NWL|20261128||QBP^Q22^QBP_Q21|Q2|P|2.5\rQPD|IHE PDQ Query|T2|@PID.5.1^SMITH~@PID.7^19800101\rRCP|I|5^RD\rDSC|ptr-1|I")
        guard case .demographics(let tag, let parameters, _, let quantity, let continuation) = try PatientQuery(message) else {
            Issue.record("not a PDQ query")
            return
        }
        #expect(tag == "T2")
        #expect(parameters == [.init(field: "PID.5.1", value: "SMITH"), .init(field: "PID.7", value: "19800101")])
        #expect(quantity == 5)
        #expect(continuation == "ptr-1")
    }

    @Test func aPixQueryWithoutAnIdentifierNamesTheField() throws {
        let message = try HL7Message("MSH|^~\\&|EHR|R1K|MPI|NWL|20261128||QBP^Q23^QBP_Q21|Q3|P|2.5\rQPD|IHE PIX Query|T3|\rRCP|I")
        #expect(throws: HL7Error(.requiredFieldMissing, at: ["QPD", "1", "3", "1", "1"], "QPD-3 must give the identifier to cross-reference")) {
            try PatientQuery(message)
        }
    }
}

@Suite struct EncodingCharacterTests {
    /// Found by the fuzzer: an answer is written in the request's delimiters, so delimiters that are
    /// letters, repeated or missing must make the message unreadable rather than the answer garbled.
    @Test(arguments: ["MSHA01|CADT_A01|C2|P|2.3.1", "MSH|^^\\&|A|B", "MSH|^~\\|x", "MSH 12345|A"])
    func unusableDelimitersAreRefused(header: String) {
        #expect(throws: HL7Message.ParseError.self) { try HL7Message(header) }
    }
}
