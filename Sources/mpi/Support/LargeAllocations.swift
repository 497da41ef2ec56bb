#if canImport(Glibc)
import Glibc
#endif

/// How the C allocator treats a large block: from 4 MB up, each is mapped on its own and given back
/// to the system when freed. Left to itself, glibc raises that size to the largest block freed so far
/// (up to 32 MB), so the pair arrays that parallel stages make in parts and then join were carved from
/// the heap and, once freed, stayed in the process. Measured on 1M-record links (docs/benchmarks.md):
/// peak memory 1.08 GiB on the four trusts' extracts and 1.01 GiB on the simple file with sixteen
/// parts per core, against 0.86-0.89 GiB and 0.83-0.84 GiB with the size held, in the same time. Blocks under
/// 4 MB (records, names) are not affected.
enum LargeAllocations {
    static let mappedFrom: Int32 = 4 << 20

    static func returnToTheSystemWhenFreed() {
        #if canImport(Glibc)
        // `mallopt` is declared in malloc.h, which Swift's Glibc module leaves out, and a module map of
        // our own for it clashed with Foundation's copy of ICU in the test build: it is looked up by
        // name instead. M_MMAP_THRESHOLD is -3 in every glibc (malloc.h).
        typealias Mallopt = @convention(c) (Int32, Int32) -> Int32
        guard let symbol = dlsym(UnsafeMutableRawPointer(bitPattern: 0), "mallopt") else { return }
        let mmapThreshold: Int32 = -3
        _ = unsafeBitCast(symbol, to: Mallopt.self)(mmapThreshold, mappedFrom)
        #endif
    }
}
