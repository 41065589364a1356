/*
 * commit.h - group commit: many conversation turns, one durable commit.
 *
 * Each turn's answer may leave only once its writes are durable, and with
 * synchronous=FULL a commit costs an fsync.  One fsync per turn caps a
 * server at the disk's fsync rate, whatever the CPU.  The committer is the
 * way out, after PostgreSQL's commit_delay and the group commit of InnoDB:
 * a thread that owns one store handle takes every turn queued since its
 * last commit and writes them all with store_ops.turns_write (a savepoint
 * each, one COMMIT).  Callers block in committer_submit until the batch that
 * holds their turn is durable or has failed, so no answer ever leaves ahead
 * of its data.  Under light load a batch is one turn and nothing waits;
 * under heavy load the batch grows and the cost per turn falls.
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

/* Writes what is queued, stops the thread, closes the store.  NULL is a no-op. */
void committer_stop(committer *c);

/* Batches and turns written so far (for /metrics). */
void committer_stats(committer *c, unsigned long *batches, unsigned long *turns);

#endif
