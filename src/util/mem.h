/*
 * mem.h - giving the heap's free memory back to the system.
 *
 * glibc's malloc keeps one arena per thread (up to eight per core) and
 * keeps what is freed in each for the next allocation.  A server whose
 * HTTP workers, committer and checkpointer allocate and free turns of
 * 48-112 KB holds on to the high-water mark of every arena: under chat
 * load with connections coming and going (bench/chat_load.sh's windows),
 * resident memory rose from 51 MB to 82-100 MB while malloc held 39 MB in
 * use (BENCHMARKS.md, session 9).  mem_trim returns the free pages.
 * Fewer arenas instead (M_ARENA_MAX at one a core) kept it at 56-62 MB
 * but cost 5-8% more CPU a chat message, threads waiting on arena locks.
 */
#ifndef PT_MEM_H
#define PT_MEM_H

#include <stdbool.h>

/* Returns the pages of free heap memory to the system (glibc: malloc_trim,
 * which takes each arena's lock in turn); true when some went back.  A
 * no-op (false) with another C library. */
bool mem_trim(void);

#endif
