/// What a command has finished with just before the process ends, left for the exit to free. A linkage
/// outcome at a million records is a million records of two dozen arrays each: releasing them one by one
/// took a third of a second after the last file was written, and the operating system takes the whole
/// memory back at once when the process exits.
enum LeftForExit {
    private final class Held<Value> {
        let value: Value
        init(_ value: Value) { self.value = value }
    }

    /// Keeps `value` alive until the process exits. Only for the end of a command: it is never freed.
    static func keep<Value>(_ value: Value) {
        _ = Unmanaged.passRetained(Held(value))
    }
}
