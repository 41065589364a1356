/*
 * lock_local.c - the in-process lock backend: 1024 striped locks.  A stripe
 * is a flag under a mutex with a condition variable, not a bare mutex, so
 * that another thread may release it (lock.h).
 */
#include "engine/lock.h"

#include <pthread.h>
#include <stdbool.h>
#include <stdlib.h>

#define LOCK_STRIPES 1024

typedef struct stripe {
    pthread_mutex_t mu;
    pthread_cond_t freed;
    bool held;
} stripe;

typedef struct local_locks {
    stripe s[LOCK_STRIPES];
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

static int local_open(lock_backend *b, const char *url, pt_error *err)
{
    local_locks *l = malloc(sizeof *l);
    if (l == NULL)
        return pt_fail(err, PT_ERR_NOMEM, "locks: out of memory");
    for (int i = 0; i < LOCK_STRIPES; i++) {
        pthread_mutex_init(&l->s[i].mu, NULL);
        pthread_cond_init(&l->s[i].freed, NULL);
        l->s[i].held = false;
    }
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

static int local_acquire(lock_backend *b, const char *key, uint64_t *token, pt_error *err)
{
    local_locks *l = b->impl;
    uint64_t i = fnv1a(key) % LOCK_STRIPES;
    stripe *st = &l->s[i];
    pthread_mutex_lock(&st->mu);
    while (st->held)
        pthread_cond_wait(&st->freed, &st->mu);
    st->held = true;
    pthread_mutex_unlock(&st->mu);
    *token = i;
    return 0;
}

static void local_release(lock_backend *b, const char *key, uint64_t token)
{
    local_locks *l = b->impl;
    stripe *st = &l->s[token % LOCK_STRIPES];
    pthread_mutex_lock(&st->mu);
    st->held = false;
    pthread_cond_signal(&st->freed);
    pthread_mutex_unlock(&st->mu);
}

const lock_ops lock_local_ops = {
    .name = "local",
    .open = local_open,
    .close = local_close,
    .acquire = local_acquire,
    .release = local_release,
};
