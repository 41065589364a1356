/*
 * lock.h - per-conversation locks, behind a table of function pointers so a
 * Redis backend (locks shared by many instances) is one more file.
 *
 * "local" keeps the locked keys of (tenant, session) in 1024 stripes:
 * messages of one session are handled one at a time; two sessions wait for
 * each other only if their 64-bit key hashes are equal (or a stripe already
 * holds eight keys), which only serialises them, never mixes them.
 *
 * A lock is not owned by a thread: the thread that handles a turn takes it,
 * and the committer's thread gives it back once the turn is durable.
 */
#ifndef PT_LOCK_H
#define PT_LOCK_H

#include <stdint.h>

#include "util/error.h"

typedef struct lock_backend lock_backend;

typedef struct lock_ops {
    const char *name;   /* "local" */
    int (*open)(lock_backend *b, const char *url, pt_error *err);
    void (*close)(lock_backend *b);
    /* Blocks until the lock of key is held.  Returns a token for release. */
    int (*acquire)(lock_backend *b, const char *key, uint64_t *token, pt_error *err);
    /* From any thread (see above). */
    void (*release)(lock_backend *b, const char *key, uint64_t token);
    /* Acquires that had to wait for another turn of the same key (or a full
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
