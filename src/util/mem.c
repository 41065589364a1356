/*
 * mem.c - see mem.h.
 */
#include "util/mem.h"

#ifdef __GLIBC__
#include <malloc.h>
#endif

bool mem_trim(void)
{
#ifdef __GLIBC__
    return malloc_trim(0) != 0;
#else
    return false;
#endif
}
