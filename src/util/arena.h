/*
 * arena.h - a per-request bump allocator (after h2o's mem_pool).
 *
 * Parsing, NLU, dialog and reply building allocate from one arena and the
 * whole request is released at once with arena_release().  Allocations are
 * 16-byte aligned and never freed one by one.  An arena has a cap on its
 * total size so no request can take unbounded memory; past the cap every
 * allocation returns NULL (callers report PT_ERR_NOMEM / PT_ERR_TOO_LARGE).
 *
 * Not thread-safe: one arena belongs to one request on one thread.
 */
#ifndef PT_ARENA_H
#define PT_ARENA_H

#include <stddef.h>
#include <stdarg.h>

typedef struct arena_chunk arena_chunk;

typedef struct arena {
    arena_chunk *head;    /* current chunk; older chunks linked behind it */
    size_t used_total;    /* bytes handed out, for the cap */
    size_t cap;           /* 0 = default cap (64 MiB) */
    char first[2048];     /* inline first chunk: small requests never malloc */
    size_t first_used;
} arena;

/* Prepares a in place. cap is the most bytes it will hand out (0: 64 MiB). */
void arena_init(arena *a, size_t cap);

/* Frees every chunk; a can be reused after arena_init() or directly (it is
 * left initialised and empty). */
void arena_release(arena *a);

/* n bytes, uninitialised / zeroed.  NULL when past the cap or out of memory. */
void *arena_alloc(arena *a, size_t n);
void *arena_zalloc(arena *a, size_t n);

/* Copies: a NUL-terminated copy of s (or of its first n bytes). NULL-safe:
 * arena_strdup(a, NULL) returns NULL. */
char *arena_strdup(arena *a, const char *s);
char *arena_strndup(arena *a, const char *s, size_t n);

/* printf into the arena. */
char *arena_printf(arena *a, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
char *arena_vprintf(arena *a, const char *fmt, va_list ap) __attribute__((format(printf, 2, 0)));

/* x + sep + y in a (what arena_printf("%s%s%s") gives, without printf's
 * cost on long texts).  NULL parts count as "". */
char *arena_join(arena *a, const char *x, const char *sep, const char *y);

#endif
