/*
 * state_cache.h - the decoded conversation state of recent sessions and
 * buyers, kept in memory so a turn need not read and parse it again.
 *
 * The store stays the truth.  The engine reads here first and falls back to
 * the store; it puts a record only after the turn that wrote it committed,
 * so the cache never holds what the store does not.  It is valid because
 * one server process owns the conversations it serves (the per-session lock
 * is process-local too); a deployment of several instances shares state
 * through PROPTALK_REDIS instead and does not use this cache.
 *
 * Entries are fixed-size records (a session or profile struct), keyed by
 * (kind, tenant, id), evicted least recently used when the byte budget is
 * reached.  Thread-safe (one mutex; it guards only memcpy and pointer
 * work).
 *
 * Two ways to use it.  get/put copy a record out and in.  take/give hand
 * it over instead: take moves the record out of the cache to the caller,
 * who works on it in place and gives it back after the commit (or frees
 * it), so a turn copies nothing; a record read from the store is made in
 * a block from state_cache_alloc so that it can be given too.  While a
 * record is out the cache does not hold its key; the engine's locks (a
 * session's, then its buyer's) let no other turn read it meanwhile.
 */
#ifndef PT_STATE_CACHE_H
#define PT_STATE_CACHE_H

#include <stdbool.h>
#include <stddef.h>

#include "core/types.h"

typedef struct state_cache state_cache;

typedef enum state_kind { STATE_SESSION = 1, STATE_PROFILE = 2 } state_kind;

/* budget_bytes: the most memory entries may take (0: the cache is off and
 * every get misses).  NULL on out of memory. */
state_cache *state_cache_open(size_t budget_bytes);
void state_cache_close(state_cache *c);

/* Copies the record into out (size bytes) and returns true when present
 * with that size. */
bool state_cache_get(state_cache *c, state_kind kind, tenant_id t, const char *id, void *out,
                     size_t size);
/* Stores a copy of the record (replacing any).  Out of memory only skips it. */
void state_cache_put(state_cache *c, state_kind kind, tenant_id t, const char *id,
                     const void *rec, size_t size);
/* Takes the record of the key out of the cache: NULL when it is not held
 * with that size (a miss); else the record, size bytes, which is the
 * caller's until state_cache_give() or state_cache_free(). */
void *state_cache_take(state_cache *c, state_kind kind, tenant_id t, const char *id, size_t size);
/* A block for the record of the key (size bytes, uninitialised) that
 * state_cache_give() can take over; NULL when the cache is off or out of
 * memory (the caller then keeps the record elsewhere). */
void *state_cache_alloc(state_cache *c, state_kind kind, tenant_id t, const char *id, size_t size);
/* Hands rec (from take or alloc) back to the cache under its key, replacing
 * whatever the key holds; the cache owns it from here (and frees it when
 * it does not fit the budget). */
void state_cache_give(state_cache *c, void *rec);
/* Ends rec (from take or alloc) without giving it back: its block is kept
 * for a later record or freed.  NULL: no-op. */
void state_cache_free(state_cache *c, void *rec);
/* Forgets the record (after a failed write, to be safe). */
void state_cache_drop(state_cache *c, state_kind kind, tenant_id t, const char *id);

/* Entries and bytes held, hits and misses (for /metrics). */
void state_cache_stats(state_cache *c, size_t *entries, size_t *bytes, unsigned long *hits,
                       unsigned long *misses);

#endif
