/*
 * lock_local.c - the in-process lock backend: 1024 stripes, each a mutex,
 * the set of keys locked in it and a queue of the takers waiting in it.  A
 * lock is an entry in that set, not a held mutex, so that another thread
 * may release it (lock.h), and two sessions that share a stripe do not wait
 * for each other.  A release hands the lock straight to the first waiter
 * that may have it, so takers of one key get it in the order they asked.
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
 * all taken makes the next taker wait too, which only delays it.
 *
 * Invariant, under mu: a waiter is queued only while its key is held or the
 * stripe is full, so a taker that finds its key free and a slot open may
 * take it without looking at the queue. */
typedef struct stripe {
    pthread_mutex_t mu;
    int held;                       /* used slots of key */
    uint64_t key[STRIPE_SLOTS];
    lock_waiter *first, *last;      /* FIFO; each waiter is its taker's */
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
        l->s[i].held = 0;
        l->s[i].first = l->s[i].last = NULL;
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
    for (int i = 0; i < LOCK_STRIPES; i++)
        pthread_mutex_destroy(&l->s[i].mu);
    free(l);
    b->impl = NULL;
}

/* The token is the key's hash: release finds the stripe and the slot by it. */
static int local_enqueue(lock_backend *b, const char *key, lock_waiter *w, uint64_t *token,
                         pt_error *err)
{
    local_locks *l = b->impl;
    uint64_t h = fnv1a(key);
    stripe *st = &l->s[h % LOCK_STRIPES];
    pthread_mutex_lock(&st->mu);
    if (!stripe_busy(st, h)) {
        st->key[st->held++] = h;
        pthread_mutex_unlock(&st->mu);
        *token = h;
        return 1;
    }
    int waiting = 0;
    for (const lock_waiter *q = st->first; q; q = q->next)
        waiting += q->hash == h;
    if (waiting >= LOCK_MAX_WAITING) {
        pthread_mutex_unlock(&st->mu);
        return pt_fail(err, PT_ERR_RATE_LIMITED, "%d takers are already waiting for this key",
                       waiting);
    }
    w->hash = h;
    w->next = NULL;
    if (st->last)
        st->last->next = w;
    else
        st->first = w;
    st->last = w;
    pthread_mutex_unlock(&st->mu);
    atomic_fetch_add_explicit(&l->waits, 1, memory_order_relaxed);
    return 0;
}

static void local_release(lock_backend *b, const char *key, uint64_t token)
{
    (void)key;
    local_locks *l = b->impl;
    stripe *st = &l->s[token % LOCK_STRIPES];
    lock_waiter *next = NULL;
    pthread_mutex_lock(&st->mu);
    for (int i = 0; i < st->held; i++) {
        if (st->key[i] == token) {
            st->key[i] = st->key[--st->held];
            break;
        }
    }
    /* One slot is free: the first waiter that may now have it gets it (the
     * released key's next taker, or one that waited for a full stripe). */
    for (lock_waiter **p = &st->first, *prev = NULL; *p; prev = *p, p = &(*p)->next) {
        if (!stripe_busy(st, (*p)->hash)) {
            next = *p;
            *p = next->next;
            if (st->last == next)
                st->last = prev;
            st->key[st->held++] = next->hash;
            break;
        }
    }
    pthread_mutex_unlock(&st->mu);
    if (next)
        next->grant(next, next->hash);
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
    .enqueue = local_enqueue,
    .release = local_release,
    .waits = local_waits,
};
