#include "CMallocTuning.h"
#include <malloc.h>

int elasticc_limit_malloc_arenas(int arenas) {
    return mallopt(M_ARENA_MAX, arenas);
}

int elasticc_fix_mmap_threshold(int bytes) {
    return mallopt(M_MMAP_THRESHOLD, bytes);
}

int elasticc_release_free_heap(void) {
    return malloc_trim(0);
}
