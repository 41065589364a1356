/*
 * pipe.c - the chunks between reading and writing, and the writer; see
 * pipe.h.
 *
 * A chunk is an array of ops and one byte buffer holding every string they
 * point to, so a chunk moves between threads whole and is reused without
 * freeing.  The pool holds IMPORT_QUEUE + 2 chunks: the reader's, the
 * writer's, and the queue.  One mutex and one condition variable guard the
 * queue, the spare chunks and the two flags (the reader closed, the writer
 * stopped); the chunk contents are only ever touched by the side that holds
 * the chunk.
 *
 * Not here: parsing and validation (import.c), SQL (store).
 */
#include "import/pipe.h"

#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

typedef enum { IOP_UPSERT, IOP_REMOVE, IOP_REJECT } iop_kind;

typedef struct iop {
    iop_kind kind;
    long line;
    listing l;               /* upsert; a removal uses l.id */
    const char *message;     /* reject */
} iop;

typedef struct chunk {
    iop *ops;                /* IMPORT_CHUNK of them */
    int n;
    char *bytes;
    size_t used, size;
} chunk;

#define POOL (IMPORT_QUEUE + 2)

struct import_pipe {
    /* the writer (the opening thread) */
    store *s;
    const tenant *t;
    import_report *rep;
    pt_error *err;
    int pending;             /* upserts in the open batch */
    int batch_ops;           /* upserts and removals in the open batch */
    bool in_batch;
    bool bulk;               /* the store is in bulk-load mode */
    /* the chunks */
    chunk pool[POOL];
    chunk *cur;              /* the reader's, being filled */
    chunk *spare[POOL];
    int n_spare;
    chunk *full[POOL];       /* ring: sent, not yet applied */
    int full_head, n_full;
    bool threaded;
    pthread_mutex_t mu;
    pthread_cond_t cv;
    bool closed;             /* the reader sent its last chunk */
    bool stopped;            /* the writer failed; the reader stops */
    int wrc;                 /* the writer's failure */
    /* the reader's run */
    int (*read)(void *ctx, pt_error *read_err);
    void *read_ctx;
    int rrc;
    pt_error rerr;
};

/* ---- the writer ----------------------------------------------------------- */

static void report_reject(import_report *r, long line, const char *message)
{
    r->rejected++;
    if (r->n_errors >= IMPORT_MAX_ERRORS)
        return;
    import_error *e = &r->errors[r->n_errors++];
    e->line = line;
    import_text_clean(e->message, sizeof e->message, message);
}

static int batch_begin(import_pipe *p)
{
    if (p->in_batch)
        return 0;
    int rc = p->s->ops->import_begin(p->s, p->err);
    if (rc == 0)
        p->in_batch = true;
    return rc;
}

static int batch_commit(import_pipe *p)
{
    int rc = 0;
    if (!p->in_batch)
        return 0;
    rc = p->s->ops->import_commit(p->s, p->err);
    p->in_batch = false;
    if (rc == 0)
        p->rep->imported += p->pending;
    else
        p->s->ops->import_rollback(p->s);
    p->pending = 0;
    p->batch_ops = 0;
    return rc;
}

/* batch_commit() when the batch is full and more may follow; then the
 * writer pauses IMPORT_YIELD_MS, so that the other writers of the database
 * get in between two batches: this process's chat turns, queued on the
 * store's writer mutex, and another process's, polling in the store's busy
 * handler.  Without the pause the next batch took the lock again at once
 * and they waited for the whole import (or gave up after 5 s).  It costs
 * 20 ms a batch, 2% of a 50,000-row batch. */
static int batch_commit_full(import_pipe *p)
{
    int rc = batch_commit(p);
    if (rc == 0) {
        struct timespec ts = {0, IMPORT_YIELD_MS * 1000000L};
        nanosleep(&ts, NULL);
    }
    return rc;
}

static void batch_rollback(import_pipe *p)
{
    if (p->in_batch)
        p->s->ops->import_rollback(p->s);
    p->in_batch = false;
    p->pending = 0;
    p->batch_ops = 0;
}

/* A store error about the row itself rejects the row; others end the import. */
static bool row_level_error(int rc)
{
    int code = rc < 0 ? -rc : rc;
    return code == PT_ERR_INVALID || code == PT_ERR_MISSING || code == PT_ERR_UNPROCESSABLE ||
           code == PT_ERR_CONFLICT || code == PT_ERR_TOO_LARGE;
}

/* Applies one op.  0, or the error that ends the import. */
static int apply_op(import_pipe *p, const iop *op)
{
    pt_error e = {0};
    int rc = 0;

    if (op->kind == IOP_REJECT) {
        report_reject(p->rep, op->line, op->message);
        return 0;
    }
    rc = batch_begin(p);
    if (rc)
        return rc;
    if (op->kind == IOP_REMOVE) {
        rc = p->s->ops->listing_delete(p->s, p->t->id, op->l.id, &e);
        if (rc == 0)
            p->rep->removed++;
        else if (rc == -PT_ERR_NOT_FOUND)
            rc = 0;
        else
            return pt_fail(p->err, rc, "line %ld: %s", op->line, e.msg);
    } else {
        rc = p->s->ops->listing_upsert(p->s, p->t->id, &op->l, &e);
        if (rc && row_level_error(rc)) {
            report_reject(p->rep, op->line, e.msg[0] ? e.msg : pt_err_name(rc));
            return 0;
        }
        if (rc)
            return pt_fail(p->err, rc, "line %ld: %s", op->line, e.msg);
        p->pending++;
    }
    if (++p->batch_ops >= IMPORT_BATCH)
        rc = batch_commit_full(p);
    return rc;
}

/* Upserts a run of n upsert ops within one batch through the store's
 * listing_upsert_many: rows the store turns down on their own are
 * rejected, the others go on. */
static int apply_upserts(import_pipe *p, const iop *ops, const listing **run, int n)
{
    int rc = batch_begin(p);
    int k = 0;
    while (rc == 0 && k < n) {
        pt_error e = {0};
        int done = 0;
        rc = p->s->ops->listing_upsert_many(p->s, p->t->id, run + k, n - k, &done, &e);
        p->pending += done;
        p->batch_ops += done;
        k += done;
        if (rc && row_level_error(rc) && k < n) {
            report_reject(p->rep, ops[k].line, e.msg[0] ? e.msg : pt_err_name(rc));
            k++;
            rc = 0;
        } else if (rc) {
            rc = pt_fail(p->err, rc, "line %ld: %s", ops[k < n ? k : n - 1].line, e.msg);
        }
    }
    if (rc == 0 && p->batch_ops >= IMPORT_BATCH)
        rc = batch_commit_full(p);
    return rc;
}

/* Applies a chunk: runs of upserts (cut where a batch ends) in one store
 * call each when the store can, everything else op by op. */
static int apply_chunk(import_pipe *p, const chunk *c)
{
    const listing *run[IMPORT_CHUNK];
    int rc = 0, i = 0;
    while (rc == 0 && i < c->n) {
        const iop *op = &c->ops[i];
        if (op->kind != IOP_UPSERT || p->s->ops->listing_upsert_many == NULL) {
            rc = apply_op(p, op);
            i++;
            continue;
        }
        int n = 0, room = IMPORT_BATCH - p->batch_ops;
        while (i + n < c->n && n < room && c->ops[i + n].kind == IOP_UPSERT) {
            run[n] = &c->ops[i + n].l;
            n++;
        }
        rc = apply_upserts(p, op, run, n);
        i += n;
    }
    return rc;
}

/* ---- the queue -------------------------------------------------------- */

static void chunk_clear(chunk *c)
{
    c->n = 0;
    c->used = 0;
}

/* Hands the reader's chunk to the writer (threaded: waits for room in
 * the queue; otherwise applies it here).  0, or the writer's failure. */
static int send_chunk(import_pipe *p)
{
    chunk *c = p->cur;
    int rc = 0;
    p->cur = NULL;
    if (!p->threaded) {
        if (p->wrc == 0 && (rc = apply_chunk(p, c)) != 0)
            p->wrc = rc;
        chunk_clear(c);
        p->spare[p->n_spare++] = c;
        return p->wrc;
    }
    pthread_mutex_lock(&p->mu);
    while (p->n_full == IMPORT_QUEUE && !p->stopped)
        pthread_cond_wait(&p->cv, &p->mu);
    if (p->stopped) {
        chunk_clear(c);
        p->spare[p->n_spare++] = c;
        rc = p->wrc;
    } else {
        p->full[(p->full_head + p->n_full) % POOL] = c;
        p->n_full++;
        pthread_cond_broadcast(&p->cv);
    }
    pthread_mutex_unlock(&p->mu);
    return rc;
}

/* A spare chunk for the reader.  0, the writer's failure, or NOMEM. */
static int take_spare(import_pipe *p)
{
    int rc = 0;
    if (p->threaded)
        pthread_mutex_lock(&p->mu);
    while (p->threaded && p->n_spare == 0 && !p->stopped)
        pthread_cond_wait(&p->cv, &p->mu);
    if (p->stopped)
        rc = p->wrc;
    else if (p->n_spare > 0)
        p->cur = p->spare[--p->n_spare];
    else
        rc = -PT_ERR_INTERNAL;          /* unreachable: a chunk is always spare */
    if (p->threaded)
        pthread_mutex_unlock(&p->mu);
    if (rc == 0 && p->cur->ops == NULL) {
        p->cur->ops = malloc(IMPORT_CHUNK * sizeof *p->cur->ops);
        if (p->cur->ops == NULL)
            rc = -PT_ERR_NOMEM;
    }
    return rc;
}

/* The next op of the reader's chunk with room for `need` more bytes;
 * sends a full chunk first.  *op is zeroed. */
static int next_op(import_pipe *p, size_t need, iop **op)
{
    int rc = 0;
    chunk *c = p->cur;
    if (c && (c->n == IMPORT_CHUNK || (c->n > 0 && c->used + need > c->size))) {
        rc = send_chunk(p);
        if (rc)
            return rc;
        c = NULL;
    }
    if (c == NULL) {
        rc = take_spare(p);
        if (rc)
            return rc;
        c = p->cur;
    }
    if (c->used + need > c->size) {
        /* only an empty chunk grows, so no op points into the old bytes */
        size_t size = need > IMPORT_CHUNK_BYTES ? need : IMPORT_CHUNK_BYTES;
        char *b = realloc(c->bytes, size);
        if (b == NULL)
            return -PT_ERR_NOMEM;
        c->bytes = b;
        c->size = size;
    }
    *op = &c->ops[c->n++];
    memset(*op, 0, sizeof **op);
    return 0;
}

/* Copies s into the reader's chunk (room reserved by next_op). */
static const char *copy_str(import_pipe *p, const char *s)
{
    if (s == NULL)
        return NULL;
    chunk *c = p->cur;
    size_t n = strlen(s) + 1;
    char *d = c->bytes + c->used;
    memcpy(d, s, n);
    c->used += n;
    return d;
}

static size_t str_size(const char *s)
{
    return s ? strlen(s) + 1 : 0;
}

int import_pipe_upsert(import_pipe *p, long line, const listing *l)
{
    iop *op = NULL;
    size_t need = str_size(l->id) + str_size(l->title) + str_size(l->project) +
                  str_size(l->developer) + str_size(l->city) + str_size(l->locality) +
                  str_size(l->completion_date) + str_size(l->amenities) +
                  str_size(l->description) + str_size(l->attributes_json);
    int rc = next_op(p, need, &op);
    if (rc)
        return rc;
    op->kind = IOP_UPSERT;
    op->line = line;
    op->l = *l;
    op->l.id = copy_str(p, l->id);
    op->l.title = copy_str(p, l->title);
    op->l.project = copy_str(p, l->project);
    op->l.developer = copy_str(p, l->developer);
    op->l.city = copy_str(p, l->city);
    op->l.locality = copy_str(p, l->locality);
    op->l.completion_date = copy_str(p, l->completion_date);
    op->l.amenities = copy_str(p, l->amenities);
    op->l.description = copy_str(p, l->description);
    op->l.attributes_json = copy_str(p, l->attributes_json);
    return 0;
}

int import_pipe_remove(import_pipe *p, long line, const char *id)
{
    iop *op = NULL;
    int rc = next_op(p, str_size(id), &op);
    if (rc)
        return rc;
    op->kind = IOP_REMOVE;
    op->line = line;
    op->l.id = copy_str(p, id);
    return 0;
}

int import_pipe_reject(import_pipe *p, long line, const char *message)
{
    iop *op = NULL;
    char m[sizeof ((import_error *)0)->message];
    snprintf(m, sizeof m, "%s", message);
    int rc = next_op(p, strlen(m) + 1, &op);
    if (rc)
        return rc;
    op->kind = IOP_REJECT;
    op->line = line;
    op->message = copy_str(p, m);
    return 0;
}

/* The reader is done: its last chunk goes to the writer (even after a
 * reading error: what was read before it is applied, as it would have been
 * row by row). */
static void close_reader(import_pipe *p)
{
    if (p->cur && p->cur->n > 0)
        send_chunk(p);
    if (!p->threaded) {
        p->closed = true;
        return;
    }
    pthread_mutex_lock(&p->mu);
    p->closed = true;
    pthread_cond_broadcast(&p->cv);
    pthread_mutex_unlock(&p->mu);
}

/* The reader, on the caller's thread when the import is not threaded. */
static void read_all(import_pipe *p)
{
    p->rrc = p->read(p->read_ctx, &p->rerr);
    close_reader(p);
}

/* The reader's own thread: named for top -H and perf.  Only here: run on
 * the caller's thread (an HTTP worker's, for a small upload), the name
 * would have stayed with that thread for good. */
static void *reader_main(void *arg)
{
    pthread_setname_np(pthread_self(), "pt-import-read");
    read_all(arg);
    return NULL;
}

/* The writer's loop: applies chunks as they come until the reader closes. */
static void writer_loop(import_pipe *p)
{
    for (;;) {
        pthread_mutex_lock(&p->mu);
        while (p->n_full == 0 && !p->closed)
            pthread_cond_wait(&p->cv, &p->mu);
        if (p->n_full == 0) {
            pthread_mutex_unlock(&p->mu);
            return;
        }
        chunk *c = p->full[p->full_head];
        p->full_head = (p->full_head + 1) % POOL;
        p->n_full--;
        bool stopped = p->stopped;
        pthread_mutex_unlock(&p->mu);

        int rc = stopped ? 0 : apply_chunk(p, c);
        chunk_clear(c);
        pthread_mutex_lock(&p->mu);
        if (rc) {
            p->wrc = rc;
            p->stopped = true;
        }
        p->spare[p->n_spare++] = c;
        pthread_cond_broadcast(&p->cv);
        pthread_mutex_unlock(&p->mu);
    }
}

int import_pipe_run(import_pipe *p, int (*read)(void *ctx, pt_error *read_err), void *ctx)
{
    pthread_t th;
    p->read = read;
    p->read_ctx = ctx;
    if (p->threaded && pthread_create(&th, NULL, reader_main, p) != 0)
        p->threaded = false;
    if (p->threaded) {
        writer_loop(p);
        pthread_join(th, NULL);
    } else {
        read_all(p);
    }
    if (p->wrc)
        return p->wrc;
    if (p->rrc)
        return pt_fail(p->err, p->rerr.code ? p->rerr.code : -p->rrc, "%s",
                       p->rerr.msg[0] ? p->rerr.msg : pt_err_name(p->rrc));
    return 0;
}

int import_pipe_open(store *s, const tenant *t, bool threaded, import_report *out,
                     pt_error *err, import_pipe **pp)
{
    import_pipe *p = calloc(1, sizeof *p);
    *pp = NULL;
    memset(out, 0, sizeof *out);
    if (p == NULL)
        return pt_fail(err, PT_ERR_NOMEM, "import: out of memory");
    p->s = s;
    p->t = t;
    p->rep = out;
    p->err = err;
    p->threaded = threaded;
    for (int i = 0; i < POOL; i++)
        p->spare[p->n_spare++] = &p->pool[i];
    pthread_mutex_init(&p->mu, NULL);
    pthread_cond_init(&p->cv, NULL);
    /* bulk-load settings of the store, for this import only; a store
     * without them (or refusing them) imports the same, more slowly */
    if (s->ops->import_bulk_begin) {
        pt_error e = {0};
        p->bulk = s->ops->import_bulk_begin(s, t->id, &e) == 0;
    }
    *pp = p;
    return 0;
}

int import_pipe_finish(import_pipe *p, int rc)
{
    if (p == NULL)
        return rc;
    if (rc == 0)
        rc = batch_commit(p);
    else
        batch_rollback(p);
    if (p->bulk && p->s->ops->import_bulk_end)
        p->s->ops->import_bulk_end(p->s);
    for (int i = 0; i < POOL; i++) {
        free(p->pool[i].ops);
        free(p->pool[i].bytes);
    }
    pthread_mutex_destroy(&p->mu);
    pthread_cond_destroy(&p->cv);
    free(p);
    return rc;
}
