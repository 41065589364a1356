/*
 * commit.c - the group committer; see commit.h.
 *
 * The queue is an intrusive singly linked list of commit_req, each owned by
 * its submitter (on the stack of a blocking committer_submit, in the request
 * arena of an asynchronous one): submitting allocates nothing.  The thread
 * swaps the whole list out under the mutex (at most max_batch turns), writes
 * it with the mutex released, and then calls each request's done callback,
 * still without the mutex.  A blocking submitter's callback wakes exactly
 * that thread (its own condition variable).
 *
 * When the committer is idle (nothing queued, no batch being written) a
 * submitted turn is written on the submitter's own thread instead: a batch
 * of one either way, but without two thread hand-offs (waking the
 * committer, then the committer waking the channel), each of which waits
 * for the CPU when the core is busy with something else.  `busy` keeps the
 * handle to one writer at a time: the thread does not take a batch while
 * a submitter writes, and a submitter does not write while anything is
 * queued or being written, so turns are still written in submission order.
 */
#include "engine/commit.h"
#include "util/log.h"

#include <pthread.h>
#include <stdbool.h>
#include <stdlib.h>

struct committer {
    store *store;               /* owned */
    int max_batch;
    pthread_t thread;
    pthread_mutex_t mu;
    pthread_cond_t work;        /* signalled when the queue becomes non-empty or on stop */
    commit_req *head, *tail;    /* the queue, oldest first */
    bool busy;                  /* a batch (the thread's or a submitter's) is being written */
    bool stopping;
    unsigned long batches, turns;
    store_turn **batch;         /* max_batch slots, used by the thread only */
    commit_req **batch_q;
};

static void *committer_main(void *arg)
{
    committer *c = arg;
    pthread_setname_np(pthread_self(), "pt-commit");   /* top -H, perf: at most 15 bytes */
    pthread_mutex_lock(&c->mu);
    for (;;) {
        while ((c->head == NULL && !c->stopping) || c->busy)
            pthread_cond_wait(&c->work, &c->mu);
        if (c->head == NULL && c->stopping)
            break;
        c->busy = true;
        int n = 0;
        while (c->head && n < c->max_batch) {
            commit_req *q = c->head;
            c->head = q->next;
            c->batch_q[n] = q;
            c->batch[n++] = q->turn;
        }
        if (c->head == NULL)
            c->tail = NULL;
        c->batches++;
        c->turns += (unsigned long)n;
        pthread_mutex_unlock(&c->mu);

        pt_error err = {0};
        int rc = c->store->ops->turns_write(c->store, c->batch, n, &err);
        if (rc)
            log_error("group commit of %d turns failed: %s", n, err.msg);
        /* a request may be freed by its callback: nothing of it is read after */
        for (int i = 0; i < n; i++) {
            commit_req *q = c->batch_q[i];
            q->done(q->turn, q->ctx);
        }
        pthread_mutex_lock(&c->mu);
        c->busy = false;
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
    c->batch_q = calloc((size_t)c->max_batch, sizeof *c->batch_q);
    if (c->batch == NULL || c->batch_q == NULL) {
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
    free(c->batch_q);
    store_close(c->store);
    free(c);
    return rc;
}

void committer_submit_async(committer *c, commit_req *q)
{
    q->next = NULL;
    pthread_mutex_lock(&c->mu);
    if (c->stopping) {
        pthread_mutex_unlock(&c->mu);
        q->turn->rc = pt_fail(&q->turn->err, PT_ERR_UNAVAILABLE, "the server is shutting down");
        q->done(q->turn, q->ctx);
        return;
    }
    if (!c->busy && c->head == NULL) {
        /* idle: this thread writes the turn (see the top of the file) */
        c->busy = true;
        c->batches++;
        c->turns++;
        pthread_mutex_unlock(&c->mu);
        pt_error err = {0};
        store_turn *batch[1] = {q->turn};
        if (c->store->ops->turns_write(c->store, batch, 1, &err))
            log_error("commit of a turn failed: %s", err.msg);
        /* as the thread's batches: the callback runs before the handle
         * is given back, so whatever it submits is queued behind */
        q->done(q->turn, q->ctx);
        pthread_mutex_lock(&c->mu);
        c->busy = false;
        /* the thread may wait for the handle (turns queued meanwhile, or
         * committer_stop) */
        pthread_cond_broadcast(&c->work);
        pthread_mutex_unlock(&c->mu);
        return;
    }
    if (c->tail)
        c->tail->next = q;
    else
        c->head = q;
    c->tail = q;
    pthread_cond_signal(&c->work);
    pthread_mutex_unlock(&c->mu);
}

/* A blocking submitter, waiting on its own condition variable. */
typedef struct sync_wait {
    pthread_mutex_t mu;
    pthread_cond_t cv;
    bool done;
} sync_wait;

static void sync_done(store_turn *t, void *ctx)
{
    sync_wait *w = ctx;
    pthread_mutex_lock(&w->mu);
    w->done = true;
    pthread_cond_signal(&w->cv);
    pthread_mutex_unlock(&w->mu);
}

int committer_submit(committer *c, store_turn *t)
{
    sync_wait w = {.done = false};
    commit_req q = {.turn = t, .done = sync_done, .ctx = &w};
    pthread_mutex_init(&w.mu, NULL);
    pthread_cond_init(&w.cv, NULL);
    committer_submit_async(c, &q);
    pthread_mutex_lock(&w.mu);
    while (!w.done)
        pthread_cond_wait(&w.cv, &w.mu);
    pthread_mutex_unlock(&w.mu);
    pthread_cond_destroy(&w.cv);
    pthread_mutex_destroy(&w.mu);
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
    pthread_mutex_lock(&c->mu);
    while (c->busy)   /* a submitter still writing on its own thread */
        pthread_cond_wait(&c->work, &c->mu);
    pthread_mutex_unlock(&c->mu);
    pthread_cond_destroy(&c->work);
    pthread_mutex_destroy(&c->mu);
    store_close(c->store);
    free(c->batch);
    free(c->batch_q);
    free(c);
}

void committer_stats(committer *c, unsigned long *batches, unsigned long *turns)
{
    pthread_mutex_lock(&c->mu);
    *batches = c->batches;
    *turns = c->turns;
    pthread_mutex_unlock(&c->mu);
}
