/// A small read-only map from short upper-case words to values, for the vocabularies the normalisers
/// consult once or more per word (titles, particles, placeholder words, address abbreviations).
///
/// Words of up to eight bytes are packed into a `UInt64` and found by binary search in a sorted
/// array: no hashing and no allocation per lookup, which matters at hundreds of thousands of
/// records a second. Longer words, which are few, go to an ordinary dictionary.
struct WordTable<Value: Sendable>: Sendable {
    private let packedKeys: [UInt64]
    private let packedValues: [Value]
    private let longWords: [String: Value]

    init(_ entries: [String: Value]) {
        var packed: [(UInt64, Value)] = []
        var long: [String: Value] = [:]
        for (word, value) in entries {
            if let key = Self.pack(word) { packed.append((key, value)) } else { long[word] = value }
        }
        packed.sort { $0.0 < $1.0 }
        packedKeys = packed.map(\.0)
        packedValues = packed.map(\.1)
        longWords = long
    }

    subscript(word: String) -> Value? {
        guard let key = Self.pack(word) else { return longWords[word] }
        var low = 0, high = packedKeys.count
        while low < high {
            let middle = (low + high) / 2
            if packedKeys[middle] < key { low = middle + 1 } else { high = middle }
        }
        return low < packedKeys.count && packedKeys[low] == key ? packedValues[low] : nil
    }

    /// The word's bytes, big-endian, in one integer; nil past eight bytes, for the empty word, or when
    /// a byte is zero. Without zero bytes the packing is one-to-one: the highest non-zero byte marks
    /// the length.
    private static func pack(_ word: String) -> UInt64? {
        let bytes = word.utf8
        guard !bytes.isEmpty, bytes.count <= 8 else { return nil }
        var key: UInt64 = 0
        for byte in bytes {
            guard byte != 0 else { return nil }
            key = key << 8 | UInt64(byte)
        }
        return key
    }
}

/// A `WordTable` used as a set.
struct WordSet: Sendable {
    private let table: WordTable<Bool>

    init(_ words: Set<String>) {
        table = WordTable(Dictionary(uniqueKeysWithValues: words.map { ($0, true) }))
    }

    func contains(_ word: String) -> Bool { table[word] != nil }
}
