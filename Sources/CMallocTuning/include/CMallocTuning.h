#ifndef C_MALLOC_TUNING_H
#define C_MALLOC_TUNING_H

/// Caps glibc's malloc arenas (mallopt M_ARENA_MAX); returns 1 on success. Swift's Glibc module
/// does not expose mallopt.
int elasticc_limit_malloc_arenas(int arenas);

#endif
