/*
 * listing_cache.h - decoded listings kept in memory across turns, by tenant
 * and id, in front of a store's listings_get_many.
 *
 * The dialog reads the listings a question is about on every such turn
 * (the ones shown, the one in focus).  Under chat load the store's page
 * cache is reset at nearly every read transaction (the committer commits
 * many times a second), so each read went through pread and a decode.  The
 * cache answers from memory instead, and stays correct by asking the store
 * once per call for the tenant's listing_version, which every update and
 * delete of a listing bumps (a trigger, so imports and admin edits by this
 * process or any other are seen; the store answers it from memory while no
 * proptalk process wrote the inventory, so an edit by another program is
 * seen within 250 ms: store.h): an entry is only served while the
 * version it was read under is the tenant's current one.  Only listings
 * that exist are kept (never that an id was missing), so an insert, which
 * leaves the version, cannot make an entry stale.
 *
 * Not for: searches (search/ runs its own queries), listings of backends
 * without listing_version (the cache then passes every call through).
 *
 * Thread-safe: one mutex, held only to look up or copy entries.  Memory is
 * bounded: a direct-mapped table of LISTING_CACHE_SLOTS entries, and an
 * entry over LISTING_CACHE_ENTRY_MAX bytes is not kept.
 */
#ifndef PT_LISTING_CACHE_H
#define PT_LISTING_CACHE_H

#include <stdbool.h>
#include <stdint.h>

#include "core/types.h"
#include "store/store.h"
#include "util/arena.h"
#include "util/error.h"

#define LISTING_CACHE_SLOTS 4096
#define LISTING_CACHE_ENTRY_MAX 16384

typedef struct listing_cache listing_cache;

/* A new empty cache, or NULL when out of memory.  Free with
 * listing_cache_close(). */
listing_cache *listing_cache_open(void);
void listing_cache_close(listing_cache *c);

/* What s->ops->listings_get_many(s, t, ids, n, a, out, found, err) gives
 * (found[i]: ids[i] exists; out[i]: it, strings in a), from memory where the
 * cached copy is current.  c NULL, or a store without listing_version: the
 * store is read directly.  n at most STORE_GET_MANY. */
int listing_cache_get_many(listing_cache *c, store *s, tenant_id t, const char *const *ids, int n,
                           arena *a, listing *out, bool *found, pt_error *err);

/* Counters for /metrics (any out-parameter may be NULL). */
void listing_cache_stats(listing_cache *c, unsigned long *hits, unsigned long *misses);

#endif
