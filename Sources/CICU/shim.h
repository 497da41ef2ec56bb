#ifndef MPI_CICU_SHIM_H
#define MPI_CICU_SHIM_H

// ICU renames every entry point with its major version (utrans_openU becomes utrans_openU_72),
// through macros Swift cannot import. These version-free wrappers are the only ICU surface
// the Swift code sees.
#include <unicode/utypes.h>
#include <unicode/utrans.h>

static inline UTransliterator *mpi_utrans_openU(const UChar *id, int32_t idLength, UErrorCode *status) {
    return utrans_openU(id, idLength, UTRANS_FORWARD, NULL, 0, NULL, status);
}

static inline UTransliterator *mpi_utrans_clone(const UTransliterator *transliterator, UErrorCode *status) {
    return utrans_clone(transliterator, status);
}

static inline void mpi_utrans_close(UTransliterator *transliterator) {
    utrans_close(transliterator);
}

// Transliterates text[0..<*length] in place. `capacity` is the buffer size in UTF-16 units;
// on return *length is the new length (it may exceed capacity: then U_BUFFER_OVERFLOW_ERROR).
static inline void mpi_utrans_transUChars(const UTransliterator *transliterator, UChar *text, int32_t *length,
                                          int32_t capacity, UErrorCode *status) {
    int32_t limit = *length;
    utrans_transUChars(transliterator, text, length, capacity, 0, &limit, status);
}

static inline int mpi_u_failure(UErrorCode code) { return U_FAILURE(code); }
static inline int mpi_u_buffer_overflow(UErrorCode code) { return code == U_BUFFER_OVERFLOW_ERROR; }

#endif
