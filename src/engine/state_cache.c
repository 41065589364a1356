/*
 * state_cache.c - see state_cache.h.
 *
 * A chained hash table (power-of-two buckets, a word-at-a-time multiply
 * hash over kind, tenant and id; each entry knows what points to it, so it
 * leaves its bucket without a walk) with an intrusive doubly linked LRU
 * list.  Each entry is one block:
 * the header, the id (beside the header: a lookup reads both), a pointer
 * back to the header, then the record, so a record handed out by take or
 * alloc finds its header again.  The bucket array is sized at open for the
 * budget and never resized.
 *
 * Blocks are recycled.  Once the budget is reached (a busy server reaches
 * it in minutes), every new conversation's two records evict two others;
 * freeing those (on the committer's thread, which gives records back) and
 * allocating theirs (on an HTTP thread) went to malloc's slow path each
 * time, blocks of ~2 KB being past its per-thread caches, with a fastbin
 * consolidation before most allocations: ~1% of the server's CPU under
 * chat load (perf, session 11).  So an evicted or freed block is kept, up
 * to SPARES_MAX of them (outside the budget: ~70 KB), and the next entry
 * of its block size takes it.  Block sizes are rounded up to
 * BLOCK_ALIGN bytes, so ids of different lengths share blocks.
 */
#include "engine/state_cache.h"
#include "util/hash.h"

#include <pthread.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#define SPARES_MAX 32        /* blocks kept for reuse */
#define BLOCK_ALIGN 128      /* block sizes are multiples of this */

typedef struct entry {
    struct entry *chain;            /* next in bucket */
    struct entry **pprev;           /* what points to this entry in its bucket */
    struct entry *prev, *next;      /* LRU list; head is the most recent */
    uint64_t hash;
    state_kind kind;
    tenant_id tenant;
    size_t id_len, size;
    size_t cap;                     /* bytes of this block (what the budget counts) */
    char *id;                       /* points into this allocation: (char *)(e + 1) */
    unsigned char *rec;             /* likewise, after the id and the pointer back */
} entry;

struct state_cache {
    pthread_mutex_t mu;
    entry **buckets;
    size_t mask;
    entry *head, *tail;
    size_t budget, bytes, entries;
    unsigned long hits, misses;
    entry *spares;                  /* blocks for reuse, linked by chain */
    int n_spares;
};

/* The key's hash: kind and tenant mixed into the seed (util/hash.h; was
 * FNV-1a a byte at a time, ~4 instructions a byte). */
static uint64_t hash_key(state_kind kind, tenant_id t, const char *id, size_t len)
{
    return hash_words((uint64_t)kind << 56 ^ (uint64_t)t, id, len);
}

state_cache *state_cache_open(size_t budget_bytes)
{
    state_cache *c = calloc(1, sizeof *c);
    if (c == NULL)
        return NULL;
    size_t n = 64;
    while (n < budget_bytes / 2048 && n < ((size_t)1 << 24))
        n <<= 1;
    c->buckets = calloc(n, sizeof *c->buckets);
    if (c->buckets == NULL) {
        free(c);
        return NULL;
    }
    c->mask = n - 1;
    c->budget = budget_bytes;
    pthread_mutex_init(&c->mu, NULL);
    return c;
}

void state_cache_close(state_cache *c)
{
    if (c == NULL)
        return;
    for (entry *e = c->head, *next; e; e = next) {
        next = e->next;
        free(e);
    }
    for (entry *e = c->spares, *next; e; e = next) {
        next = e->chain;
        free(e);
    }
    free(c->buckets);
    pthread_mutex_destroy(&c->mu);
    free(c);
}

static entry **find(state_cache *c, uint64_t h, state_kind kind, tenant_id t, const char *id,
                    size_t len)
{
    entry **pp = &c->buckets[h & c->mask];
    for (; *pp; pp = &(*pp)->chain) {
        entry *e = *pp;
        if (e->hash == h && e->kind == kind && e->tenant == t && e->id_len == len &&
            memcmp(e->id, id, len) == 0)
            break;
    }
    return pp;
}

static void lru_unlink(state_cache *c, entry *e)
{
    if (e->prev)
        e->prev->next = e->next;
    else
        c->head = e->next;
    if (e->next)
        e->next->prev = e->prev;
    else
        c->tail = e->prev;
    e->prev = e->next = NULL;
}

static void lru_push(state_cache *c, entry *e)
{
    e->prev = NULL;
    e->next = c->head;
    if (c->head)
        c->head->prev = e;
    c->head = e;
    if (c->tail == NULL)
        c->tail = e;
}

/* Where the record starts in an entry whose id has len bytes: after the
 * header, the id, its NUL and the pointer back, 16-byte aligned. */
static size_t rec_offset(size_t len)
{
    return (sizeof(entry) + len + 1 + sizeof(entry *) + 15) & ~(size_t)15;
}

/* The block size of an entry whose id has len bytes and whose record has
 * size bytes. */
static size_t block_bytes(size_t len, size_t size)
{
    return (rec_offset(len) + size + BLOCK_ALIGN - 1) & ~(size_t)(BLOCK_ALIGN - 1);
}

static size_t entry_bytes(const entry *e)
{
    return e->cap;
}

/* Keeps e's block (unlinked) for a later entry, or frees it.  Under mu. */
static void spare_put(state_cache *c, entry *e)
{
    if (c->n_spares >= SPARES_MAX) {
        free(e);
        return;
    }
    e->chain = c->spares;
    c->spares = e;
    c->n_spares++;
}

/* A kept block of exactly cap bytes, or NULL.  Under mu. */
static entry *spare_take(state_cache *c, size_t cap)
{
    for (entry **pp = &c->spares; *pp; pp = &(*pp)->chain)
        if ((*pp)->cap == cap) {
            entry *e = *pp;
            *pp = e->chain;
            c->n_spares--;
            return e;
        }
    return NULL;
}

/* A new entry (not linked) for the key in block e of cap bytes (from
 * spare_take or malloc; NULL: out of memory, returned as is), with room
 * for a record of size bytes (uninitialised). */
static entry *entry_new(entry *e, size_t cap, state_kind kind, tenant_id t, const char *id,
                        size_t len, uint64_t h, size_t size)
{
    if (e == NULL)
        return NULL;
    memset(e, 0, sizeof *e);
    e->cap = cap;
    e->hash = h;
    e->kind = kind;
    e->tenant = t;
    e->id_len = len;
    e->size = size;
    e->id = (char *)(e + 1);
    memcpy(e->id, id, len);
    e->id[len] = '\0';
    e->rec = (unsigned char *)e + rec_offset(len);
    memcpy(e->rec - sizeof e, &e, sizeof e);
    return e;
}

/* The entry of a record handed out by take or alloc. */
static entry *entry_of(void *rec)
{
    entry *e;
    memcpy(&e, (unsigned char *)rec - sizeof e, sizeof e);
    return e;
}

/* Links e at the head of its bucket. */
static void chain_link(state_cache *c, entry *e)
{
    entry **pp = &c->buckets[e->hash & c->mask];
    e->chain = *pp;
    if (e->chain)
        e->chain->pprev = &e->chain;
    e->pprev = pp;
    *pp = e;
}

/* Unlinks e from its bucket, without walking it. */
static void chain_unlink(entry *e)
{
    *e->pprev = e->chain;
    if (e->chain)
        e->chain->pprev = e->pprev;
    e->chain = NULL;
    e->pprev = NULL;
}

/* Unlinks e (from its bucket and the LRU) and keeps or frees its block. */
static void remove_entry(state_cache *c, entry *e)
{
    chain_unlink(e);
    lru_unlink(c, e);
    c->bytes -= entry_bytes(e);
    c->entries--;
    spare_put(c, e);
}

bool state_cache_get(state_cache *c, state_kind kind, tenant_id t, const char *id, void *out,
                     size_t size)
{
    if (c == NULL || id == NULL)
        return false;
    size_t len = strlen(id);
    uint64_t h = hash_key(kind, t, id, len);
    bool found = false;
    pthread_mutex_lock(&c->mu);
    entry *e = *find(c, h, kind, t, id, len);
    if (e && e->size == size) {
        memcpy(out, e->rec, size);
        lru_unlink(c, e);
        lru_push(c, e);
        found = true;
        c->hits++;
    } else {
        c->misses++;
    }
    pthread_mutex_unlock(&c->mu);
    return found;
}

void state_cache_put(state_cache *c, state_kind kind, tenant_id t, const char *id,
                     const void *rec, size_t size)
{
    if (c == NULL || id == NULL || c->budget == 0)
        return;
    size_t len = strlen(id);
    uint64_t h = hash_key(kind, t, id, len);
    pthread_mutex_lock(&c->mu);
    entry **pp = find(c, h, kind, t, id, len);
    if (*pp && (*pp)->size == size) {
        /* same shape: overwrite in place */
        memcpy((*pp)->rec, rec, size);
        lru_unlink(c, *pp);
        lru_push(c, *pp);
        goto done;
    }
    if (*pp)
        remove_entry(c, *pp);
    size_t need = block_bytes(len, size);
    if (need > c->budget)
        goto done;
    while (c->bytes + need > c->budget && c->tail)
        remove_entry(c, c->tail);
    entry *block = spare_take(c, need);
    entry *e = entry_new(block ? block : malloc(need), need, kind, t, id, len, h, size);
    if (e == NULL)
        goto done;
    memcpy(e->rec, rec, size);
    chain_link(c, e);
    lru_push(c, e);
    c->bytes += need;
    c->entries++;
done:
    pthread_mutex_unlock(&c->mu);
}

void *state_cache_take(state_cache *c, state_kind kind, tenant_id t, const char *id, size_t size)
{
    if (c == NULL || id == NULL)
        return NULL;
    size_t len = strlen(id);
    uint64_t h = hash_key(kind, t, id, len);
    void *rec = NULL;
    pthread_mutex_lock(&c->mu);
    entry **pp = find(c, h, kind, t, id, len);
    entry *e = *pp;
    if (e && e->size == size) {
        chain_unlink(e);
        lru_unlink(c, e);
        c->bytes -= entry_bytes(e);
        c->entries--;
        c->hits++;
        rec = e->rec;
    } else {
        c->misses++;
    }
    pthread_mutex_unlock(&c->mu);
    return rec;
}

void *state_cache_alloc(state_cache *c, state_kind kind, tenant_id t, const char *id, size_t size)
{
    if (c == NULL || id == NULL || c->budget == 0)
        return NULL;
    size_t len = strlen(id), need = block_bytes(len, size);
    if (need > c->budget)
        return NULL;
    pthread_mutex_lock(&c->mu);
    entry *block = spare_take(c, need);
    pthread_mutex_unlock(&c->mu);
    entry *e = entry_new(block ? block : malloc(need), need, kind, t, id, len,
                         hash_key(kind, t, id, len), size);
    return e ? e->rec : NULL;
}

void state_cache_give(state_cache *c, void *rec)
{
    if (rec == NULL)
        return;
    entry *e = entry_of(rec);
    size_t need = entry_bytes(e);
    pthread_mutex_lock(&c->mu);
    entry **pp = find(c, e->hash, e->kind, e->tenant, e->id, e->id_len);
    if (*pp)
        remove_entry(c, *pp);
    while (c->bytes + need > c->budget && c->tail)
        remove_entry(c, c->tail);
    if (c->bytes + need > c->budget) {   /* cannot happen: alloc checked the budget */
        spare_put(c, e);
        pthread_mutex_unlock(&c->mu);
        return;
    }
    chain_link(c, e);
    lru_push(c, e);
    c->bytes += need;
    c->entries++;
    pthread_mutex_unlock(&c->mu);
}

void state_cache_free(state_cache *c, void *rec)
{
    if (rec == NULL)
        return;
    if (c == NULL) {   /* cannot be: rec came from c */
        free(entry_of(rec));
        return;
    }
    pthread_mutex_lock(&c->mu);
    spare_put(c, entry_of(rec));
    pthread_mutex_unlock(&c->mu);
}

void state_cache_drop(state_cache *c, state_kind kind, tenant_id t, const char *id)
{
    if (c == NULL || id == NULL)
        return;
    size_t len = strlen(id);
    uint64_t h = hash_key(kind, t, id, len);
    pthread_mutex_lock(&c->mu);
    entry **pp = find(c, h, kind, t, id, len);
    if (*pp)
        remove_entry(c, *pp);
    pthread_mutex_unlock(&c->mu);
}

void state_cache_stats(state_cache *c, size_t *entries, size_t *bytes, unsigned long *hits,
                       unsigned long *misses)
{
    pthread_mutex_lock(&c->mu);
    *entries = c->entries;
    *bytes = c->bytes;
    *hits = c->hits;
    *misses = c->misses;
    pthread_mutex_unlock(&c->mu);
}
