/*
 * store.c - picking a storage backend by URL, and the pool of handles that
 * worker threads share.
 *
 * store_open() reads the scheme of the URL and hands the rest to the
 * backend's ops table; it holds no SQL and knows nothing of any database.
 * store_pool is a fixed array of open handles guarded by a mutex and a
 * condition variable: a worker blocks in store_pool_get() until a handle is
 * free, uses it alone, and gives it back with store_pool_put().
 *
 * Not for: connection retries, health checks or anything a backend does
 * itself (migrations, write serialisation; see store_sqlite.c).
 */
#include "store/store.h"

#include <pthread.h>
#include <stdlib.h>
#include <string.h>

/* Which backend serves url.  0 and *ops set, or -PT_ERR_* with err set. */
static int backend_for(const char *url, const store_ops **ops, pt_error *err)
{
    *ops = NULL;
    if (url == NULL || url[0] == '\0')
        return pt_fail(err, PT_ERR_INVALID, "database url is empty");
    if (strncmp(url, "postgres://", 11) == 0 || strncmp(url, "postgresql://", 13) == 0)
        return pt_fail(err, PT_ERR_UNAVAILABLE,
                       "database url \"%.64s\": postgres backend not built yet", url);
    if (strncmp(url, "sqlite:", 7) != 0 && strstr(url, "://") != NULL)
        return pt_fail(err, PT_ERR_INVALID, "database url \"%.64s\": unknown scheme", url);
    *ops = &store_sqlite_ops;   /* "sqlite:PATH" or a plain path */
    return 0;
}

int store_open(const char *url, store **out, pt_error *err)
{
    int rc = 0;
    store *s = NULL;

    *out = NULL;
    const store_ops *ops = NULL;
    rc = backend_for(url, &ops, err);
    if (rc)
        goto done;
    s = calloc(1, sizeof *s);
    if (s == NULL) {
        rc = pt_fail(err, PT_ERR_NOMEM, "store handle: out of memory");
        goto done;
    }
    s->ops = ops;
    rc = ops->open(s, url, err);
    if (rc)
        goto done;
    *out = s;
    s = NULL;
done:
    free(s);   /* only when open failed; the backend left nothing behind */
    return rc;
}

void store_close(store *s)
{
    if (s == NULL)
        return;
    if (s->ops && s->impl)
        s->ops->close(s);
    free(s);
}

/* -- the pool -- */

struct store_pool {
    pthread_mutex_t mu;
    pthread_cond_t cv;
    int size;          /* handles opened */
    int nfree;         /* handles in free[0..nfree) */
    store **all;       /* every handle, owned */
    store **free;      /* a stack of the idle ones */
};

int store_pool_open(const char *url, int size, store_pool **out, pt_error *err)
{
    int rc = 0;
    store_pool *p = NULL;

    *out = NULL;
    if (size <= 0 || size > 1024) {
        rc = pt_fail(err, PT_ERR_INVALID, "store pool size %d: must be 1 to 1024", size);
        goto done;
    }
    p = calloc(1, sizeof *p);
    if (p == NULL) {
        rc = pt_fail(err, PT_ERR_NOMEM, "store pool: out of memory");
        goto done;
    }
    p->all = calloc((size_t)size, sizeof *p->all);
    p->free = calloc((size_t)size, sizeof *p->free);
    if (p->all == NULL || p->free == NULL) {
        rc = pt_fail(err, PT_ERR_NOMEM, "store pool: out of memory");
        goto done;
    }
    pthread_mutex_init(&p->mu, NULL);
    pthread_cond_init(&p->cv, NULL);
    for (int i = 0; i < size; i++) {
        rc = store_open(url, &p->all[i], err);
        if (rc)
            goto done;
        p->size++;
        p->free[p->nfree++] = p->all[i];
    }
    *out = p;
    p = NULL;
done:
    if (p) {
        if (p->all && p->free)
            store_pool_close(p);   /* closes what was opened */
        else {
            free(p->all);
            free(p->free);
            free(p);
        }
    }
    return rc;
}

store *store_pool_get(store_pool *p)
{
    pthread_mutex_lock(&p->mu);
    while (p->nfree == 0)
        pthread_cond_wait(&p->cv, &p->mu);
    store *s = p->free[--p->nfree];
    pthread_mutex_unlock(&p->mu);
    return s;
}

void store_pool_put(store_pool *p, store *s)
{
    if (s == NULL)
        return;
    /* A handle must come back clean: undo a turn or import its user left
     * open (a no-op when none is), so the next user starts idle. */
    s->ops->turn_rollback(s);
    pthread_mutex_lock(&p->mu);
    p->free[p->nfree++] = s;
    pthread_cond_signal(&p->cv);
    pthread_mutex_unlock(&p->mu);
}

void store_pool_close(store_pool *p)
{
    if (p == NULL)
        return;
    for (int i = 0; i < p->size; i++)
        store_close(p->all[i]);
    pthread_cond_destroy(&p->cv);
    pthread_mutex_destroy(&p->mu);
    free(p->all);
    free(p->free);
    free(p);
}
