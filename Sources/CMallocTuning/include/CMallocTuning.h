#ifndef C_MALLOC_TUNING_H
#define C_MALLOC_TUNING_H

/// Caps glibc's malloc arenas (mallopt M_ARENA_MAX); returns 1 on success. Swift's Glibc module
/// does not expose mallopt.
int elasticc_limit_malloc_arenas(int arenas);

/// Allocations of at least `bytes` are mapped on their own and unmapped when freed (mallopt
/// M_MMAP_THRESHOLD, which also stops glibc raising the threshold as large blocks are freed).
int elasticc_fix_mmap_threshold(int bytes);

/// Gives the free pages of every arena back to the system (malloc_trim(0)); returns 1 if any.
int elasticc_release_free_heap(void);

#endif
