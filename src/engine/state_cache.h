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
 * Entries are copies of fixed-size records (a session or profile struct),
 * keyed by (kind, tenant, id), evicted least recently used when the byte
 * budget is reached.  Thread-safe (one mutex; it guards only memcpy and
 * pointer work).
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
/* Forgets the record (after a failed write, to be safe). */
void state_cache_drop(state_cache *c, state_kind kind, tenant_id t, const char *id);

/* Entries and bytes held, hits and misses (for /metrics). */
void state_cache_stats(state_cache *c, size_t *entries, size_t *bytes, unsigned long *hits,
                       unsigned long *misses);

#endif
