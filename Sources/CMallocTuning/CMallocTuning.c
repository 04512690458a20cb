#include "CMallocTuning.h"
#include <malloc.h>

int elasticc_limit_malloc_arenas(int arenas) {
    return mallopt(M_ARENA_MAX, arenas);
}
