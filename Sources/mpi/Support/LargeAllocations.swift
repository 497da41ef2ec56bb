import CMalloc

/// How the C allocator treats a large block: from 4 MB up, each is mapped on its own and given back
/// to the system when freed. Left to itself, glibc raises that size to the largest block freed so far
/// (up to 32 MB), so the pair arrays that parallel stages make in parts and then join were carved from
/// the heap and, once freed, stayed in the process. Measured on 1M-record links (docs/benchmarks.md):
/// peak memory 1.13 GB on the four trusts' extracts and 1.05 GB on the simple file with sixteen parts
/// per core, against 0.90-0.94 GB and 0.87-0.88 GB with the size held, in the same time. Blocks under
/// 4 MB (records, names) are not affected.
enum LargeAllocations {
    static let mappedFrom: Int32 = 4 << 20

    static func returnToTheSystemWhenFreed() {
        _ = mpi_map_allocations_from(mappedFrom)
    }
}
