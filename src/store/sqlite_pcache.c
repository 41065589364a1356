/*
 * sqlite_pcache.c - the default page cache, forwarded, with a bound of the
 * keys present that lets xTruncate be skipped; see sqlite_pcache.h for why.
 *
 * The bound.  Each cache keeps hi and a few "parked" keys such that every
 * page present has a key <= hi or a parked key:
 *   - a page xFetch returns (made now or found) has its key: above hi and
 *     not parked, it raises hi;
 *   - xRekey(old -> new): old is gone (unparked if it was parked); new, when
 *     above hi, is parked, so that a balance's detour through a far key
 *     (262145 and back) does not raise hi; when the parked set is full,
 *     everything folds into hi (still sound, only looser);
 *   - pages that leave otherwise (xUnpin with discard, eviction, recycling
 *     by another cache of the group) only make the bound looser;
 *   - xTruncate(limit): skipped when hi and every parked key are below limit
 *     (then no page can be at or past it); otherwise forwarded, after which
 *     no page is at or past limit: hi = min(hi, limit - 1) and parked keys
 *     >= limit are dropped.
 * The bound never depends on what the default cache does inside; it only
 * relies on the interface's contract: a page's key is the one it was
 * fetched or last rekeyed with.
 *
 * SQLite gives each cache to one connection at a time (the connection's
 * mutex, or the store's one-thread-per-handle use), so a cache's fields
 * need no lock; the counters are shared and atomic.
 */
#include "store/sqlite_pcache.h"

#include <sqlite3.h>
#include <stdatomic.h>
#include <stdlib.h>

#define PC_PARKED 4   /* a balance parks one page at a time */

typedef struct pc_cache {
    sqlite3_pcache *inner;        /* the default cache's, owned: destroyed with this */
    unsigned hi;                  /* every key present is <= hi, or parked */
    int n_parked;
    unsigned parked[PC_PARKED];   /* keys above hi that a rekey made */
} pc_cache;

static sqlite3_pcache_methods2 pc_def;   /* the default cache's methods */
static atomic_ulong pc_skipped, pc_forwarded;

static int pc_init(void *arg)
{
    (void)arg;
    return pc_def.xInit ? pc_def.xInit(pc_def.pArg) : SQLITE_OK;
}

static void pc_shutdown(void *arg)
{
    (void)arg;
    if (pc_def.xShutdown)
        pc_def.xShutdown(pc_def.pArg);
}

static sqlite3_pcache *pc_create(int page_size, int extra_size, int purgeable)
{
    pc_cache *c = sqlite3_malloc(sizeof *c);
    if (c == NULL)
        return NULL;
    *c = (pc_cache){0};
    c->inner = pc_def.xCreate(page_size, extra_size, purgeable);
    if (c->inner == NULL) {
        sqlite3_free(c);
        return NULL;
    }
    return (sqlite3_pcache *)c;
}

static void pc_cachesize(sqlite3_pcache *p, int n)
{
    pc_def.xCachesize(((pc_cache *)p)->inner, n);
}

static int pc_pagecount(sqlite3_pcache *p)
{
    return pc_def.xPagecount(((pc_cache *)p)->inner);
}

/* The index of key among c's parked keys, or -1. */
static int pc_parked_at(const pc_cache *c, unsigned key)
{
    for (int i = 0; i < c->n_parked; i++)
        if (c->parked[i] == key)
            return i;
    return -1;
}

static sqlite3_pcache_page *pc_fetch(sqlite3_pcache *p, unsigned key, int create)
{
    pc_cache *c = (pc_cache *)p;
    sqlite3_pcache_page *pg = pc_def.xFetch(c->inner, key, create);
    if (pg && key > c->hi && pc_parked_at(c, key) < 0)
        c->hi = key;
    return pg;
}

static void pc_unpin(sqlite3_pcache *p, sqlite3_pcache_page *pg, int discard)
{
    pc_def.xUnpin(((pc_cache *)p)->inner, pg, discard);
}

static void pc_rekey(sqlite3_pcache *p, sqlite3_pcache_page *pg, unsigned old_key,
                     unsigned new_key)
{
    pc_cache *c = (pc_cache *)p;
    pc_def.xRekey(c->inner, pg, old_key, new_key);
    int i = pc_parked_at(c, old_key);
    if (i >= 0)
        c->parked[i] = c->parked[--c->n_parked];
    if (new_key <= c->hi || pc_parked_at(c, new_key) >= 0)
        return;
    if (c->n_parked < PC_PARKED) {
        c->parked[c->n_parked++] = new_key;
        return;
    }
    /* full: fold every parked key into hi */
    c->hi = new_key;
    for (i = 0; i < c->n_parked; i++)
        if (c->parked[i] > c->hi)
            c->hi = c->parked[i];
    c->n_parked = 0;
}

static void pc_truncate(sqlite3_pcache *p, unsigned limit)
{
    pc_cache *c = (pc_cache *)p;
    unsigned bound = c->hi;
    for (int i = 0; i < c->n_parked; i++)
        if (c->parked[i] > bound)
            bound = c->parked[i];
    if (bound < limit) {
        atomic_fetch_add_explicit(&pc_skipped, 1, memory_order_relaxed);
        return;   /* no page is at or past limit */
    }
    pc_def.xTruncate(c->inner, limit);
    atomic_fetch_add_explicit(&pc_forwarded, 1, memory_order_relaxed);
    if (limit == 0) {
        c->hi = 0;
        c->n_parked = 0;
        return;
    }
    if (c->hi >= limit)
        c->hi = limit - 1;
    for (int i = 0; i < c->n_parked;)
        if (c->parked[i] >= limit)
            c->parked[i] = c->parked[--c->n_parked];
        else
            i++;
}

static void pc_destroy(sqlite3_pcache *p)
{
    pc_cache *c = (pc_cache *)p;
    pc_def.xDestroy(c->inner);
    sqlite3_free(c);
}

static void pc_shrink(sqlite3_pcache *p)
{
    pc_def.xShrink(((pc_cache *)p)->inner);
}

bool pt_sqlite_pcache_install(void)
{
    static const sqlite3_pcache_methods2 methods = {
        .iVersion = 1,
        .xInit = pc_init,
        .xShutdown = pc_shutdown,
        .xCreate = pc_create,
        .xCachesize = pc_cachesize,
        .xPagecount = pc_pagecount,
        .xFetch = pc_fetch,
        .xUnpin = pc_unpin,
        .xRekey = pc_rekey,
        .xTruncate = pc_truncate,
        .xDestroy = pc_destroy,
        .xShrink = pc_shrink,
    };
    sqlite3_pcache_methods2 def = {0};
    if (sqlite3_config(SQLITE_CONFIG_GETPCACHE2, &def) != SQLITE_OK || def.xCreate == NULL ||
        def.xCreate == pc_create)
        return false;   /* initialised already, or installed */
    pc_def = def;
    if (sqlite3_config(SQLITE_CONFIG_PCACHE2, &methods) != SQLITE_OK)
        return false;
    return true;
}

void pt_sqlite_pcache_stats(unsigned long *skipped, unsigned long *forwarded)
{
    *skipped = atomic_load(&pc_skipped);
    *forwarded = atomic_load(&pc_forwarded);
}
