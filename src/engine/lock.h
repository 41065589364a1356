/*
 * lock.h - per-conversation locks, behind a table of function pointers so a
 * Redis backend (locks shared by many instances) is one more file.
 *
 * "local" keeps the locked keys of (tenant, session) in 1024 stripes:
 * messages of one session are handled one at a time and in the order they
 * asked; two sessions wait for each other only if their 64-bit key hashes
 * are equal (or a stripe already holds eight keys), which only serialises
 * them, never mixes them.
 *
 * A lock is not owned by a thread: the thread that handles a turn takes it,
 * and the committer's thread gives it back once the turn is durable.  A
 * taker that must wait holds no thread either (enqueue): the lock is handed
 * to it by whoever releases it, through its grant callback.
 */
#ifndef PT_LOCK_H
#define PT_LOCK_H

#include <stdint.h>

#include "util/error.h"

typedef struct lock_backend lock_backend;

/* A taker queued for a key, owned by the caller until granted.  grant runs
 * once, on the releasing thread, with the lock already held for the waiter
 * (token as for acquire); it must only wake its owner up. */
typedef struct lock_waiter lock_waiter;
struct lock_waiter {
    void (*grant)(lock_waiter *w, uint64_t token);
    void *ctx;
    /* the backend's, while queued */
    lock_waiter *next;
    uint64_t hash;
};

/* At most this many takers wait for one key: one conversation cannot tie up
 * the server's memory or its turn order with a flood of messages. */
#define LOCK_MAX_WAITING 64

typedef struct lock_ops {
    const char *name;   /* "local" */
    int (*open)(lock_backend *b, const char *url, pt_error *err);
    void (*close)(lock_backend *b);
    /* Without blocking: 1 and *token (for release) when the lock is held at
     * once; 0 when w is queued (w->grant follows, in the order takers of key
     * asked); PT_ERR_RATE_LIMITED when LOCK_MAX_WAITING already wait for
     * key.  A caller that would rather block waits for its own grant. */
    int (*enqueue)(lock_backend *b, const char *key, lock_waiter *w, uint64_t *token,
                   pt_error *err);
    /* From any thread (see above).  Hands the lock to the key's first
     * waiter, if any, and calls its grant before returning. */
    void (*release)(lock_backend *b, const char *key, uint64_t token);
    /* Takers that had to wait for another turn of the same key (or a full
     * stripe) since open: a load where one conversation has several messages
     * in flight at once shows here. */
    unsigned long (*waits)(lock_backend *b);
} lock_ops;

struct lock_backend {
    const lock_ops *ops;
    void *impl;
};

extern const lock_ops lock_local_ops;

#endif
