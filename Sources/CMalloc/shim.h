#ifndef MPI_CMALLOC_SHIM_H
#define MPI_CMALLOC_SHIM_H

// glibc's allocator settings (mallopt), which Swift's Glibc module does not bring in. Elsewhere the
// call does nothing.
#if defined(__GLIBC__) || __has_include(<malloc.h>)
#include <malloc.h>
#endif

/// Allocations of at least `bytes` are mapped on their own and given back to the system when freed,
/// whatever was freed before (glibc otherwise raises the size as large blocks are freed). Returns 1
/// when the allocator took the setting.
static inline int mpi_map_allocations_from(int bytes) {
#if defined(M_MMAP_THRESHOLD)
    return mallopt(M_MMAP_THRESHOLD, bytes);
#else
    (void)bytes;
    return 0;
#endif
}

#endif
