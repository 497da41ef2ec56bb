/// Up to 16 bytes held inline (no heap allocation), for the short digit and letter runs that
/// identifiers and phone numbers reduce to. `count` goes on counting past the capacity, so callers can
/// report the true length of an over-long value.
struct ShortBytes {
    static let capacity = 16
    private var storage: (UInt64, UInt64) = (0, 0)
    private(set) var count = 0

    var isEmpty: Bool { count == 0 }
    var overflowed: Bool { count > Self.capacity }

    mutating func append(_ byte: UInt8) {
        if count < Self.capacity { withUnsafeMutableBytes(of: &storage) { $0[count] = byte } }
        count += 1
    }

    subscript(index: Int) -> UInt8 {
        withUnsafeBytes(of: storage) { $0[index] }
    }

    /// The bytes `range` as a string (at most 16 bytes: kept inline by Swift's small strings).
    func string(_ range: Range<Int>, prefix: UInt8? = nil) -> String {
        withUnsafeBytes(of: storage) { bytes in
            String(unsafeUninitializedCapacity: range.count + (prefix == nil ? 0 : 1)) { buffer in
                var written = 0
                if let prefix { buffer[0] = prefix; written = 1 }
                for index in range { buffer[written] = bytes[index]; written += 1 }
                return written
            }
        }
    }

    func starts(with first: UInt8, _ second: UInt8) -> Bool {
        count >= 2 && self[0] == first && self[1] == second
    }
}
