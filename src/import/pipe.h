/*
 * pipe.h - the writing half of an import and the hand-off to it, private to
 * the import module (import.c is the reading half).
 *
 * Reading turns the input into ops, in file order: upsert this listing,
 * remove this id (an off-market RESO record), reject this line with this
 * message.  Ops are copied (strings included) into chunks of IMPORT_CHUNK
 * ops.  The writer applies chunks in order on the thread that opened the
 * pipe: store batches of IMPORT_BATCH upserts and removals, one transaction
 * each (import.h), and the whole report (counts, the first
 * IMPORT_MAX_ERRORS rejections), so the report is the same whether reading
 * ran beside the writer or not.
 *
 * Threaded: reading runs on a thread of its own while the writer waits for
 * full chunks; at most IMPORT_QUEUE full chunks wait between them, so the
 * reader runs ahead of the store by that much and no more (memory is
 * IMPORT_QUEUE + 2 chunks).  Not threaded: a full chunk is applied at once
 * by the thread that filled it.
 *
 * A writer failure (the store) stops the reader at its next op; a reader
 * failure (I/O, a malformed document) reaches the writer after every op
 * read before it, and the batch in flight is rolled back.
 */
#ifndef PT_IMPORT_PIPE_H
#define PT_IMPORT_PIPE_H

#include <stdbool.h>
#include <stddef.h>

#include "core/types.h"
#include "import/import.h"
#include "store/store.h"
#include "util/error.h"

#ifndef IMPORT_CHUNK            /* a test may build with small chunks */
#define IMPORT_CHUNK 1024
#endif
#define IMPORT_CHUNK_BYTES (512u << 10)   /* strings of a chunk, before it is sent */
#define IMPORT_QUEUE 2
#define IMPORT_YIELD_MS 20   /* the writer's pause between two batches (pipe.c) */

typedef struct import_pipe import_pipe;

/* Opens a pipe into store s for tenant t and puts the store in bulk-load
 * mode (store.h).  out is cleared and written by the writer only.
 * threaded: reading will run on another thread (import_pipe_run).  *pp is
 * freed by import_pipe_finish.  Errors: PT_ERR_NOMEM. */
int import_pipe_open(store *s, const tenant *t, bool threaded, import_report *out,
                     pt_error *err, import_pipe **pp);

/* -- the reading side: each returns 0, or non-zero when reading must stop
 * (the writer failed, or out of memory); the error is then the pipe's. -- */

/* Copies l (every string) as an upsert of file line `line`. */
int import_pipe_upsert(import_pipe *p, long line, const listing *l);
/* Removal of listing id (an off-market record). */
int import_pipe_remove(import_pipe *p, long line, const char *id);
/* A rejected line; message is copied (valid UTF-8, at most 239 bytes kept). */
int import_pipe_reject(import_pipe *p, long line, const char *message);

/* Runs read(ctx) and applies what it produces.  Threaded: read runs on a
 * new thread (this one when no thread can be started) while this thread
 * writes.  read returns 0, or an error it set in *read_err.  Returns 0, the
 * writer's error (in the err given to open), or else read's (copied there).
 * Call once. */
int import_pipe_run(import_pipe *p, int (*read)(void *ctx, pt_error *read_err), void *ctx);

/* Copies src into dst (size > 0) as valid UTF-8: invalid bytes become '?',
 * control characters spaces, and a cut never splits a character.  In
 * import.c; the writer cleans the store's messages with it. */
void import_text_clean(char *dst, size_t size, const char *src);

/* Commits the batch in flight when rc is 0 (rolls it back otherwise),
 * leaves bulk-load mode and frees p.  Returns rc, or the commit's error. */
int import_pipe_finish(import_pipe *p, int rc);

#endif
