public import NIOCore

/// MLLP (the Minimal Lower Layer Protocol of HL7 v2): each message travels as
/// 0x0B, the message bytes, 0x1C 0x0D.
public enum MLLP {
    public static let startBlock: UInt8 = 0x0B
    public static let endBlock: UInt8 = 0x1C
    public static let carriageReturn: UInt8 = 0x0D

    /// Frames one message for the wire.
    public static func frame(_ message: String, allocator: ByteBufferAllocator = ByteBufferAllocator()) -> ByteBuffer {
        var buffer = allocator.buffer(capacity: message.utf8.count + 3)
        buffer.writeInteger(startBlock)
        buffer.writeString(message)
        buffer.writeInteger(endBlock)
        buffer.writeInteger(carriageReturn)
        return buffer
    }
}

public enum MLLPFramingError: Error, Hashable, CustomStringConvertible {
    /// A frame grew past the size limit before its end block arrived.
    case messageTooLarge(limit: Int)
    /// Bytes outside a frame that are not white space: the peer does not speak MLLP.
    case bytesOutsideFrame

    public var description: String {
        switch self {
        case .messageTooLarge(let limit): "an MLLP frame exceeded the \(limit)-byte message limit"
        case .bytesOutsideFrame: "bytes arrived outside an MLLP frame"
        }
    }
}

/// Cuts a byte stream into HL7 messages (the bytes between 0x0B and 0x1C 0x0D). Frames may arrive
/// split across reads or several in one read. A frame longer than `maximumMessageSize` is an error
/// as soon as the limit is passed, so a peer cannot make the server buffer without bound.
public struct MLLPFrameDecoder: ByteToMessageDecoder {
    public typealias InboundOut = ByteBuffer

    public let maximumMessageSize: Int
    /// How far into the current frame the end block has already been looked for.
    private var scanned = 0

    public init(maximumMessageSize: Int = 1 << 20) {
        self.maximumMessageSize = maximumMessageSize
    }

    public mutating func decode(context: ChannelHandlerContext, buffer: inout ByteBuffer) throws -> DecodingState {
        try decode(buffer: &buffer).map { context.fireChannelRead(Self.wrapInboundOut($0)) } == nil ? .needMoreData : .continue
    }

    public mutating func decodeLast(context: ChannelHandlerContext, buffer: inout ByteBuffer, seenEOF: Bool) throws -> DecodingState {
        try decode(context: context, buffer: &buffer)
    }

    /// The next whole message, or nil when more bytes are needed. Usable without a channel (fuzzing).
    public mutating func decode(buffer: inout ByteBuffer) throws -> ByteBuffer? {
        // Line breaks and spaces between frames are tolerated (some senders add them); anything else is not.
        while let byte = buffer.getInteger(at: buffer.readerIndex, as: UInt8.self), byte != MLLP.startBlock {
            guard byte == 0x0A || byte == 0x0D || byte == 0x20 else { throw MLLPFramingError.bytesOutsideFrame }
            buffer.moveReaderIndex(forwardBy: 1)
        }
        guard buffer.readableBytes > 0 else { return nil }
        let body = buffer.readerIndex + 1
        let view = buffer.readableBytesView
        var index = view.startIndex + 1 + scanned
        while index < view.endIndex {
            if view[index] == MLLP.endBlock {
                guard index + 1 < view.endIndex else { break }   // the carriage return has not arrived yet
                guard view[index + 1] == MLLP.carriageReturn else { index += 1; continue }
                let length = index - view.startIndex - 1
                guard length <= maximumMessageSize else { throw MLLPFramingError.messageTooLarge(limit: maximumMessageSize) }
                let message = buffer.getSlice(at: body, length: length)!
                buffer.moveReaderIndex(forwardBy: length + 3)
                scanned = 0
                return message
            }
            index += 1
        }
        scanned = index - view.startIndex - 1
        if scanned > maximumMessageSize + 1 { throw MLLPFramingError.messageTooLarge(limit: maximumMessageSize) }
        return nil
    }
}

/// Frames outgoing messages (their text) for the wire.
public struct MLLPFrameEncoder: MessageToByteEncoder {
    public typealias OutboundIn = ByteBuffer

    public init() {}

    public func encode(data: ByteBuffer, out: inout ByteBuffer) throws {
        out.writeInteger(MLLP.startBlock)
        out.writeImmutableBuffer(data)
        out.writeInteger(MLLP.endBlock)
        out.writeInteger(MLLP.carriageReturn)
    }
}
