/*
 * arena.c - chunked bump allocator; see arena.h.
 */
#include "util/arena.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define ARENA_ALIGN 16
#define ARENA_DEFAULT_CAP (64u << 20)
#define ARENA_CHUNK_MIN (16u << 10)

struct arena_chunk {
    arena_chunk *next;
    size_t size;
    size_t used;
    _Alignas(16) unsigned char data[];
};

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
        free(c);
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
        c = malloc(sizeof *c + size);
        if (c == NULL)
            return NULL;
        c->size = size;
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
