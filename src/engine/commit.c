/*
 * commit.c - the group committer; see commit.h.
 *
 * The queue is an intrusive singly linked list of waiters, each on its
 * caller's stack: submitting allocates nothing.  The thread swaps the whole
 * list out under the mutex (at most max_batch turns), writes it with the
 * mutex released, and then marks each waiter done and wakes it.  Each waiter
 * has its own condition variable, so a commit wakes exactly the threads
 * whose turns it carried.
 */
#include "engine/commit.h"
#include "util/log.h"

#include <pthread.h>
#include <stdbool.h>
#include <stdlib.h>

typedef struct waiter {
    struct waiter *next;
    store_turn *turn;
    bool done;
    pthread_cond_t cv;
} waiter;

struct committer {
    store *store;               /* owned */
    int max_batch;
    pthread_t thread;
    pthread_mutex_t mu;
    pthread_cond_t work;        /* signalled when the queue becomes non-empty or on stop */
    waiter *head, *tail;        /* the queue, oldest first */
    bool stopping;
    unsigned long batches, turns;
    store_turn **batch;         /* max_batch slots, used by the thread only */
    waiter **batch_w;
};

static void *committer_main(void *arg)
{
    committer *c = arg;
    pthread_mutex_lock(&c->mu);
    for (;;) {
        while (c->head == NULL && !c->stopping)
            pthread_cond_wait(&c->work, &c->mu);
        if (c->head == NULL && c->stopping)
            break;
        int n = 0;
        while (c->head && n < c->max_batch) {
            waiter *w = c->head;
            c->head = w->next;
            c->batch_w[n] = w;
            c->batch[n++] = w->turn;
        }
        if (c->head == NULL)
            c->tail = NULL;
        pthread_mutex_unlock(&c->mu);

        pt_error err = {0};
        int rc = c->store->ops->turns_write(c->store, c->batch, n, &err);
        if (rc)
            log_error("group commit of %d turns failed: %s", n, err.msg);

        pthread_mutex_lock(&c->mu);
        c->batches++;
        c->turns += (unsigned long)n;
        for (int i = 0; i < n; i++) {
            c->batch_w[i]->done = true;
            pthread_cond_signal(&c->batch_w[i]->cv);
        }
    }
    pthread_mutex_unlock(&c->mu);
    return NULL;
}

int committer_start(store *s, int max_batch, committer **out, pt_error *err)
{
    int rc = 0;
    committer *c = calloc(1, sizeof *c);
    *out = NULL;
    if (c == NULL) {
        store_close(s);
        return pt_fail(err, PT_ERR_NOMEM, "committer: out of memory");
    }
    c->store = s;
    c->max_batch = max_batch > 0 ? max_batch : 256;
    c->batch = calloc((size_t)c->max_batch, sizeof *c->batch);
    c->batch_w = calloc((size_t)c->max_batch, sizeof *c->batch_w);
    if (c->batch == NULL || c->batch_w == NULL) {
        rc = pt_fail(err, PT_ERR_NOMEM, "committer: out of memory");
        goto fail;
    }
    pthread_mutex_init(&c->mu, NULL);
    pthread_cond_init(&c->work, NULL);
    if (pthread_create(&c->thread, NULL, committer_main, c) != 0) {
        pthread_cond_destroy(&c->work);
        pthread_mutex_destroy(&c->mu);
        rc = pt_fail(err, PT_ERR_INTERNAL, "committer: cannot start its thread");
        goto fail;
    }
    *out = c;
    return 0;
fail:
    free(c->batch);
    free(c->batch_w);
    store_close(c->store);
    free(c);
    return rc;
}

int committer_submit(committer *c, store_turn *t)
{
    waiter w = {.turn = t};
    pthread_cond_init(&w.cv, NULL);
    pthread_mutex_lock(&c->mu);
    if (c->stopping) {
        pthread_mutex_unlock(&c->mu);
        pthread_cond_destroy(&w.cv);
        return t->rc = pt_fail(&t->err, PT_ERR_UNAVAILABLE, "the server is shutting down");
    }
    if (c->tail)
        c->tail->next = &w;
    else
        c->head = &w;
    c->tail = &w;
    pthread_cond_signal(&c->work);
    while (!w.done)
        pthread_cond_wait(&w.cv, &c->mu);
    pthread_mutex_unlock(&c->mu);
    pthread_cond_destroy(&w.cv);
    return t->rc;
}

void committer_stop(committer *c)
{
    if (c == NULL)
        return;
    pthread_mutex_lock(&c->mu);
    c->stopping = true;
    pthread_cond_signal(&c->work);
    pthread_mutex_unlock(&c->mu);
    pthread_join(c->thread, NULL);
    pthread_cond_destroy(&c->work);
    pthread_mutex_destroy(&c->mu);
    store_close(c->store);
    free(c->batch);
    free(c->batch_w);
    free(c);
}

void committer_stats(committer *c, unsigned long *batches, unsigned long *turns)
{
    pthread_mutex_lock(&c->mu);
    *batches = c->batches;
    *turns = c->turns;
    pthread_mutex_unlock(&c->mu);
}
