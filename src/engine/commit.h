/*
 * commit.h - group commit: many conversation turns, one durable commit.
 *
 * Each turn's answer may leave only once its writes are durable, and with
 * synchronous=FULL a commit costs an fsync.  One fsync per turn caps a
 * server at the disk's fsync rate, whatever the CPU.  The committer is the
 * way out, after PostgreSQL's commit_delay and the group commit of InnoDB:
 * a thread that owns one store handle takes every turn queued since its
 * last commit and writes them all with store_ops.turns_write (one
 * transaction, one COMMIT).  Callers block in committer_submit until the batch that
 * holds their turn is durable or has failed, so no answer ever leaves ahead
 * of its data.  Under light load a batch is one turn and nothing waits;
 * under heavy load the batch grows and the cost per turn falls.
 *
 * committer_submit_async does not wait for a batch: the committer calls
 * back once the turn is durable, so an event-driven channel (the HTTP
 * server suspends the connection) needs no thread per turn in flight, and
 * every connection's turn can ride in the same batch.  When the committer
 * is idle (nothing queued, nothing being written), the turn is written on
 * the submitter's thread instead, and the callback runs before
 * committer_submit_async returns: the same batch of one, without waking
 * the committer's thread and being woken by it.
 *
 * Order: turns are written in the order they were submitted.  A session's
 * next turn is only submitted after its previous one returned (the session
 * lock), so a conversation's writes never overtake each other.
 *
 * Thread-safe.  The committer owns its store handle and closes it.
 */
#ifndef PT_COMMIT_H
#define PT_COMMIT_H

#include "store/store.h"
#include "util/error.h"

typedef struct committer committer;

/* Starts the committer thread on s (taken over: closed by committer_stop,
 * also on failure).  max_batch <= 0 means 256. */
int committer_start(store *s, int max_batch, committer **out, pt_error *err);

/* Queues t, waits until it is committed or has failed, and returns t->rc
 * (t->err holds the message).  After committer_stop began: PT_ERR_UNAVAILABLE. */
int committer_submit(committer *c, store_turn *t);

/* Called once per submitted turn, when t is durable (t->rc == 0) or has
 * failed (t->rc and t->err).  It runs on the committer's thread, or on the
 * submitter's (inside committer_submit_async: the committer was idle and
 * the submitter wrote the turn, or it is stopping), so it must be short and
 * must not block on anything a committed turn waits for. */
typedef void (*commit_done_fn)(store_turn *t, void *ctx);

/* A queued turn.  The caller owns the memory and keeps it, and the turn,
 * alive until done has been called; next is the committer's. */
typedef struct commit_req {
    struct commit_req *next;
    store_turn *turn;
    commit_done_fn done;
    void *ctx;
} commit_req;

/* Queues q->turn and returns at once; q->done(q->turn, q->ctx) follows
 * exactly once.  When the committer is idle, writes q->turn on this thread
 * and calls done before returning.  After committer_stop began, done is
 * called before this returns, with PT_ERR_UNAVAILABLE. */
void committer_submit_async(committer *c, commit_req *q);

/* Writes what is queued, stops the thread, closes the store.  NULL is a no-op. */
void committer_stop(committer *c);

/* Batches and turns written so far (for /metrics). */
void committer_stats(committer *c, unsigned long *batches, unsigned long *turns);

#endif
