import CompressNIO
import NIOCore

/// gzip (RFC 1952) through zlib, for pairs.csv.gz.
public enum Gzip {
    /// `bytes` as one gzip member.
    public static func compress(_ bytes: [UInt8]) throws -> [UInt8] {
        var input = ByteBuffer(bytes: bytes)
        let output = try input.compress(with: .gzip())
        return Array(output.readableBytesView)
    }

    /// The text of every member of a gzip file, one after another (a file written in parallel chunks
    /// has one member per chunk).
    public static func decompress(_ bytes: [UInt8]) throws -> [UInt8] {
        var input = ByteBuffer(bytes: bytes)
        var text: [UInt8] = []
        while input.readableBytes > 0 {
            let left = input.readableBytes
            let member = try input.decompress(with: .gzip())
            text.append(contentsOf: member.readableBytesView)
            guard input.readableBytes < left else { throw LinkageError("a gzip member that does not end") }
        }
        return text
    }
}
