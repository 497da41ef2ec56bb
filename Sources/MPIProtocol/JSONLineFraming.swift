public import NIOCore

public enum JSONLineFramingError: Error, Hashable, CustomStringConvertible {
    case lineTooLong(limit: Int)

    public var description: String {
        switch self {
        case .lineTooLong(let limit): "a request line exceeded the \(limit)-byte limit"
        }
    }
}

/// Cuts a byte stream into lines ending in "\n" (a trailing "\r" is dropped). A line longer than
/// `maximumLineLength` is an error as soon as the limit is passed; empty lines are skipped.
public struct JSONLineDecoder: ByteToMessageDecoder {
    public typealias InboundOut = ByteBuffer

    public let maximumLineLength: Int
    private var scanned = 0

    public init(maximumLineLength: Int = 1 << 20) {
        self.maximumLineLength = maximumLineLength
    }

    public mutating func decode(context: ChannelHandlerContext, buffer: inout ByteBuffer) throws -> DecodingState {
        try decode(buffer: &buffer).map { context.fireChannelRead(Self.wrapInboundOut($0)) } == nil ? .needMoreData : .continue
    }

    public mutating func decodeLast(context: ChannelHandlerContext, buffer: inout ByteBuffer, seenEOF: Bool) throws -> DecodingState {
        try decode(context: context, buffer: &buffer)
    }

    /// The next non-empty line, or nil when more bytes are needed.
    public mutating func decode(buffer: inout ByteBuffer) throws -> ByteBuffer? {
        while true {
            let view = buffer.readableBytesView
            guard let newline = view[(view.startIndex + scanned)...].firstIndex(of: 0x0A) else {
                scanned = view.count
                if scanned > maximumLineLength { throw JSONLineFramingError.lineTooLong(limit: maximumLineLength) }
                return nil
            }
            scanned = 0
            var length = newline - view.startIndex
            let line = buffer.readSlice(length: length)!
            buffer.moveReaderIndex(forwardBy: 1)
            if length > 0, line.getInteger(at: line.readerIndex + length - 1, as: UInt8.self) == 0x0D { length -= 1 }
            guard length <= maximumLineLength else { throw JSONLineFramingError.lineTooLong(limit: maximumLineLength) }
            if length > 0 { return line.getSlice(at: line.readerIndex, length: length) }
        }
    }
}
