internal import CICU

/// An ICU transliterator. Not Sendable: an ICU `UTransliterator` may be used by one thread at a
/// time, so each worker owns its own (make one with `copy()`).
public final class Transliterator {
    /// NFKC first (ligatures, full-width letters), then any script to Latin, Latin to ASCII, upper case.
    public static let toUpperASCII = "Any-NFKC; Any-Latin; Latin-ASCII; Any-Upper"

    private let handle: OpaquePointer
    public let id: String

    public init(id: String = Transliterator.toUpperASCII) throws(Rejection) {
        var status = U_ZERO_ERROR
        let utf16 = Array(id.utf16)
        let opened = utf16.withUnsafeBufferPointer { mpi_utrans_openU($0.baseAddress, Int32($0.count), &status) }
        guard mpi_u_failure(status) == 0, let opened else {
            throw Rejection(.icuOpenFailed, "ICU could not open the transliterator \(id) (status \(status.rawValue))")
        }
        handle = OpaquePointer(opened)
        self.id = id
    }

    private init(handle: OpaquePointer, id: String) {
        self.handle = handle
        self.id = id
    }

    /// An independent transliterator for another worker.
    public func copy() -> Transliterator {
        var status = U_ZERO_ERROR
        guard let cloned = mpi_utrans_clone(UnsafeMutablePointer(handle), &status), mpi_u_failure(status) == 0 else {
            // Cloning only fails when memory runs out; there is nothing sensible to continue with.
            fatalError("ICU could not clone a transliterator")
        }
        return Transliterator(handle: OpaquePointer(cloned), id: id)
    }

    deinit { mpi_utrans_close(UnsafeMutablePointer(handle)) }

    /// Transliterates `text`. The buffer starts at four times the input length, which covers every
    /// expansion seen in practice (one CJK character becomes a syllable); it grows and retries if not.
    public func transliterate(_ text: String) -> String {
        let source = Array(text.utf16)
        var capacity = max(16, source.count * 4)
        while true {
            var buffer = [UInt16](repeating: 0, count: capacity)
            var length = Int32(source.count)
            var status = U_ZERO_ERROR
            buffer.withUnsafeMutableBufferPointer { pointer in
                for (index, unit) in source.enumerated() { pointer[index] = unit }
                mpi_utrans_transUChars(UnsafeMutablePointer(handle), pointer.baseAddress, &length, Int32(capacity), &status)
            }
            if mpi_u_buffer_overflow(status) != 0 {
                capacity = Int(length) + 16
                continue
            }
            guard mpi_u_failure(status) == 0 else { return text }
            return String(decoding: buffer[0..<Int(length)], as: UTF16.self)
        }
    }
}
