/*
 * arena.c - chunked bump allocator; see arena.h.
 *
 * A chat turn outgrows the inline chunk (it takes 20-60 KB) and used to
 * malloc and free two or three chunks of 16-64 KB per request, each a trip
 * through glibc's bins.  arena_release now keeps chunks per thread (chunks
 * of at most ARENA_SPARE_CHUNK_MAX, ARENA_SPARE_MAX bytes in all) for the
 * thread's next arena, which takes the smallest that fits before it asks
 * malloc.  The spares are the thread's: a pthread key's destructor frees
 * them when the thread ends.
 *
 * An HTTP worker holds ~12 chat turns in flight under load (each suspended
 * until its commit, with its arena: 48-112 KB), so the budget is 1 MiB a
 * thread: at 256 KiB a third of the chunks went back to malloc (perf under
 * chat load: malloc and free of chunks 2.2% of the server's CPU, 0.9%
 * with 1 MiB).  The spares sit in bins by size class (16, 32, 64, 128 KiB
 * and up), so taking one does not walk the others.
 */
#include "util/arena.h"

#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define ARENA_ALIGN 16
#define ARENA_DEFAULT_CAP (64u << 20)
#define ARENA_CHUNK_MIN (16u << 10)
#define ARENA_SPARE_MAX (1024u << 10)   /* spare chunk bytes kept per thread */
#define ARENA_SPARE_CHUNK_MAX (128u << 10)   /* a bigger chunk is not kept */

struct arena_chunk {
    arena_chunk *next;
    size_t size;
    size_t used;
    _Alignas(16) unsigned char data[];
};

/* This thread's spare chunks, most recently released first.  `registered`:
 * the key's value is set, so the destructor runs when the thread ends. */
#define SPARE_BINS 4   /* [16, 32), [32, 64), [64, 128) KiB, 128 KiB */
typedef struct spare_list {
    arena_chunk *bin[SPARE_BINS];   /* most recently released first */
    size_t bytes;
    bool registered;
} spare_list;

/* The bin of a chunk of size bytes (ARENA_CHUNK_MIN .. ARENA_SPARE_CHUNK_MAX). */
static int spare_bin(size_t size)
{
    int b = 0;
    for (size_t s = ARENA_CHUNK_MIN * 2; s <= size && b < SPARE_BINS - 1; s *= 2)
        b++;
    return b;
}

static _Thread_local spare_list spares;
static pthread_key_t spare_key;
static pthread_once_t spare_once = PTHREAD_ONCE_INIT;
static bool spare_key_ok;

static void spare_free(void *arg)
{
    spare_list *l = arg;
    for (int b = 0; b < SPARE_BINS; b++) {
        arena_chunk *c = l->bin[b];
        while (c) {
            arena_chunk *next = c->next;
            free(c);
            c = next;
        }
        l->bin[b] = NULL;
    }
    l->bytes = 0;
    l->registered = false;
}

static void spare_key_init(void)
{
    spare_key_ok = pthread_key_create(&spare_key, spare_free) == 0;
}

/* Keeps c for this thread's next arena, or frees it. */
static void spare_put(arena_chunk *c)
{
    spare_list *l = &spares;
    if (!l->registered) {
        pthread_once(&spare_once, spare_key_init);
        l->registered = spare_key_ok && pthread_setspecific(spare_key, l) == 0;
    }
    if (!l->registered || c->size > ARENA_SPARE_CHUNK_MAX || c->size > ARENA_SPARE_MAX - l->bytes) {
        free(c);
        return;
    }
    int b = spare_bin(c->size);
    c->next = l->bin[b];
    l->bin[b] = c;
    l->bytes += c->size;
}

/* The smallest spare chunk of at least size bytes, or NULL: a small need
 * taking a big chunk would make the arena's next chunk (twice the last)
 * bigger than the spares, and the spares would churn through malloc. */
static arena_chunk *spare_take(size_t size)
{
    spare_list *l = &spares;
    arena_chunk **best = NULL;
    if (size > ARENA_SPARE_CHUNK_MAX)
        return NULL;
    /* the smallest that fits in the first bin that has one (a bin's chunks
     * are all smaller than the next bin's) */
    for (int b = spare_bin(size); b < SPARE_BINS && best == NULL; b++)
        for (arena_chunk **pc = &l->bin[b]; *pc; pc = &(*pc)->next)
            if ((*pc)->size >= size && (best == NULL || (*pc)->size < (*best)->size)) {
                best = pc;
                if ((*pc)->size == size)
                    break;   /* none fits better: stop here, each header is a cache miss */
            }
    if (best == NULL)
        return NULL;
    arena_chunk *c = *best;
    *best = c->next;
    l->bytes -= c->size;
    return c;
}

void arena_init(arena *a, size_t cap)
{
    a->head = NULL;
    a->used_total = 0;
    a->cap = cap ? cap : ARENA_DEFAULT_CAP;
    a->first_used = 0;
}

void arena_release(arena *a)
{
    arena_chunk *c = a->head;
    while (c) {
        arena_chunk *next = c->next;
        spare_put(c);
        c = next;
    }
    a->head = NULL;
    a->used_total = 0;
    a->first_used = 0;
}

static size_t align_up(size_t n)
{
    return (n + ARENA_ALIGN - 1) & ~(size_t)(ARENA_ALIGN - 1);
}

void *arena_alloc(arena *a, size_t n)
{
    if (n == 0)
        n = 1;
    if (n > a->cap || a->used_total > a->cap - n)
        return NULL;
    size_t need = align_up(n);

    /* inline first chunk */
    uintptr_t base = (uintptr_t)a->first;
    size_t pad = (size_t)(align_up(base + a->first_used) - (base + a->first_used));
    if (a->head == NULL && a->first_used + pad + n <= sizeof a->first) {
        void *p = a->first + a->first_used + pad;
        a->first_used += pad + need;
        if (a->first_used > sizeof a->first)
            a->first_used = sizeof a->first;
        a->used_total += n;
        return p;
    }
    arena_chunk *c = a->head;
    if (c == NULL || c->size - c->used < need) {
        size_t size = need > ARENA_CHUNK_MIN ? need : ARENA_CHUNK_MIN;
        if (c && size < c->size * 2 && c->size * 2 <= (1u << 20))
            size = c->size * 2;
        arena_chunk *got = spare_take(size);
        if (got == NULL) {
            got = malloc(sizeof *got + size);
            if (got == NULL)
                return NULL;
            got->size = size;
        }
        c = got;
        c->used = 0;
        c->next = a->head;
        a->head = c;
    }
    void *p = c->data + c->used;
    c->used += need;
    a->used_total += n;
    return p;
}

void *arena_zalloc(arena *a, size_t n)
{
    void *p = arena_alloc(a, n);
    if (p)
        memset(p, 0, n);
    return p;
}

char *arena_strndup(arena *a, const char *s, size_t n)
{
    if (s == NULL)
        return NULL;
    char *p = arena_alloc(a, n + 1);
    if (p) {
        memcpy(p, s, n);
        p[n] = '\0';
    }
    return p;
}

char *arena_strdup(arena *a, const char *s)
{
    return s ? arena_strndup(a, s, strlen(s)) : NULL;
}

char *arena_vprintf(arena *a, const char *fmt, va_list ap)
{
    /* most texts are short: formatted once, on the stack, then copied */
    char tmp[512];
    va_list ap2;
    va_copy(ap2, ap);
    int n = vsnprintf(tmp, sizeof tmp, fmt, ap2);
    va_end(ap2);
    if (n < 0)
        return NULL;
    if ((size_t)n < sizeof tmp)
        return arena_strndup(a, tmp, (size_t)n);
    char *p = arena_alloc(a, (size_t)n + 1);
    if (p)
        vsnprintf(p, (size_t)n + 1, fmt, ap);
    return p;
}

char *arena_join(arena *a, const char *x, const char *sep, const char *y)
{
    size_t nx = x ? strlen(x) : 0, ns = sep ? strlen(sep) : 0, ny = y ? strlen(y) : 0;
    char *p = arena_alloc(a, nx + ns + ny + 1);
    if (p == NULL)
        return NULL;
    memcpy(p, x ? x : "", nx);
    memcpy(p + nx, sep ? sep : "", ns);
    memcpy(p + nx + ns, y ? y : "", ny);
    p[nx + ns + ny] = '\0';
    return p;
}

char *arena_printf(arena *a, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    char *p = arena_vprintf(a, fmt, ap);
    va_end(ap);
    return p;
}
