/*
 * lock_local.c - the in-process lock backend: 1024 stripes, each a mutex,
 * a condition variable and the set of keys locked in it.  A lock is an entry
 * in that set, not a held mutex, so that another thread may release it
 * (lock.h), and two sessions that share a stripe do not wait for each other.
 */
#include "engine/lock.h"

#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdlib.h>

#define LOCK_STRIPES 1024
#define STRIPE_SLOTS 8      /* keys held at once in one stripe */

/* A stripe holds the 64-bit hashes of the keys currently locked in it, so
 * two sessions that land in one stripe do not wait for each other; only the
 * same key (or, once in 2^64, the same hash) does.  A stripe whose slots are
 * all taken makes the next taker wait too, which only delays it. */
typedef struct stripe {
    pthread_mutex_t mu;
    pthread_cond_t freed;
    int held;                       /* used slots of key */
    int waiters;
    uint64_t key[STRIPE_SLOTS];
} stripe;

typedef struct local_locks {
    stripe s[LOCK_STRIPES];
    atomic_ulong waits;
} local_locks;

static uint64_t fnv1a(const char *s)
{
    uint64_t h = 1469598103934665603ull;
    for (; *s; s++) {
        h ^= (unsigned char)*s;
        h *= 1099511628211ull;
    }
    return h;
}

static bool stripe_busy(const stripe *st, uint64_t h)
{
    if (st->held == STRIPE_SLOTS)
        return true;
    for (int i = 0; i < st->held; i++)
        if (st->key[i] == h)
            return true;
    return false;
}

static int local_open(lock_backend *b, const char *url, pt_error *err)
{
    (void)url;
    local_locks *l = malloc(sizeof *l);
    if (l == NULL)
        return pt_fail(err, PT_ERR_NOMEM, "locks: out of memory");
    for (int i = 0; i < LOCK_STRIPES; i++) {
        pthread_mutex_init(&l->s[i].mu, NULL);
        pthread_cond_init(&l->s[i].freed, NULL);
        l->s[i].held = 0;
        l->s[i].waiters = 0;
    }
    atomic_init(&l->waits, 0);
    b->impl = l;
    return 0;
}

static void local_close(lock_backend *b)
{
    local_locks *l = b->impl;
    if (l == NULL)
        return;
    for (int i = 0; i < LOCK_STRIPES; i++) {
        pthread_cond_destroy(&l->s[i].freed);
        pthread_mutex_destroy(&l->s[i].mu);
    }
    free(l);
    b->impl = NULL;
}

/* The token is the key's hash: release finds the stripe and the slot by it. */
static int local_acquire(lock_backend *b, const char *key, uint64_t *token, pt_error *err)
{
    (void)err;
    local_locks *l = b->impl;
    uint64_t h = fnv1a(key);
    stripe *st = &l->s[h % LOCK_STRIPES];
    pthread_mutex_lock(&st->mu);
    if (stripe_busy(st, h))
        atomic_fetch_add_explicit(&l->waits, 1, memory_order_relaxed);
    while (stripe_busy(st, h)) {
        st->waiters++;
        pthread_cond_wait(&st->freed, &st->mu);
        st->waiters--;
    }
    st->key[st->held++] = h;
    pthread_mutex_unlock(&st->mu);
    *token = h;
    return 0;
}

static void local_release(lock_backend *b, const char *key, uint64_t token)
{
    (void)key;
    local_locks *l = b->impl;
    stripe *st = &l->s[token % LOCK_STRIPES];
    pthread_mutex_lock(&st->mu);
    for (int i = 0; i < st->held; i++) {
        if (st->key[i] == token) {
            st->key[i] = st->key[--st->held];
            break;
        }
    }
    /* Waiters of different keys share the condition: wake them all, each
     * checks its own key again. */
    if (st->waiters > 0)
        pthread_cond_broadcast(&st->freed);
    pthread_mutex_unlock(&st->mu);
}

static unsigned long local_waits(lock_backend *b)
{
    local_locks *l = b->impl;
    return l ? atomic_load_explicit(&l->waits, memory_order_relaxed) : 0;
}

const lock_ops lock_local_ops = {
    .name = "local",
    .open = local_open,
    .close = local_close,
    .acquire = local_acquire,
    .release = local_release,
    .waits = local_waits,
};
