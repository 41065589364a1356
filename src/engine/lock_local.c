/*
 * lock_local.c - the in-process lock backend: 1024 striped mutexes.
 */
#include "engine/lock.h"

#include <pthread.h>
#include <stdlib.h>

#define LOCK_STRIPES 1024

typedef struct local_locks {
    pthread_mutex_t m[LOCK_STRIPES];
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
    for (int i = 0; i < LOCK_STRIPES; i++)
        pthread_mutex_init(&l->m[i], NULL);
    b->impl = l;
    return 0;
}

static void local_close(lock_backend *b)
{
    local_locks *l = b->impl;
    if (l == NULL)
        return;
    for (int i = 0; i < LOCK_STRIPES; i++)
        pthread_mutex_destroy(&l->m[i]);
    free(l);
    b->impl = NULL;
}

static int local_acquire(lock_backend *b, const char *key, uint64_t *token, pt_error *err)
{
    local_locks *l = b->impl;
    uint64_t stripe = fnv1a(key) % LOCK_STRIPES;
    pthread_mutex_lock(&l->m[stripe]);
    *token = stripe;
    return 0;
}

static void local_release(lock_backend *b, const char *key, uint64_t token)
{
    local_locks *l = b->impl;
    pthread_mutex_unlock(&l->m[token % LOCK_STRIPES]);
}

const lock_ops lock_local_ops = {
    .name = "local",
    .open = local_open,
    .close = local_close,
    .acquire = local_acquire,
    .release = local_release,
};
