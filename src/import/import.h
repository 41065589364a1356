/*
 * import.h - loading a tenant's listings from a file or a buffer
 * (CONTRACT.md §2 `import`, §3).
 *
 * Three formats, told apart by the first non-space byte:
 *   - CSV (§3): RFC 4180, header in any order, unknown columns kept as the
 *     listing's attributes_json.  Required columns: id, price, property_type,
 *     transaction and title or project.  A column named twice (after
 *     normalising: case, spaces, dashes) refuses the file.  Lines of
 *     whitespace only are skipped.  Line numbers are file lines.
 *   - a JSON array of the same objects (numbers may be JSON numbers,
 *     amenities a JSON array).  An element's line is where it starts.
 *   - a RESO Data Dictionary payload {"value": [Property, ...]} (ListingKey,
 *     ListPrice, BedroomsTotal, PropertyType, StandardStatus, ...).  RESO
 *     records may also appear in a plain array.  Off-market RESO records
 *     (Closed, Expired, Withdrawn, Canceled, Delete) remove the listing.
 *
 * Every row is validated on its own: a bad row is rejected with its line
 * number and a message naming the field and the value; good rows load.  An
 * id given by an earlier good row of the same file rejects the later row
 * (the message names the first row's line; the first row stands); an id
 * already in the store from an earlier import is an update.  The reader
 * keeps the file's ids for that (about 40 bytes a row).
 * Rows are upserted in batches of IMPORT_BATCH per store transaction, so a
 * re-import of an id updates it in place; a committed batch is durable and a
 * failure loses at most the batch in flight.  The batch is large because a
 * bulk load costs per batch (each batch rewrites the index pages it touches
 * and re-indexes its text in one pass); the price is that other writers of
 * the database (chat turns, in this process or another) wait for the batch
 * in flight, about a second: the writer pauses IMPORT_YIELD_MS (pipe.h)
 * after each full batch to let them in.
 * The store is put in its bulk-load mode for the import (store.h).
 *
 * Files stream: CSV through a bounded record buffer; a JSON file is mapped
 * (mmap) rather than read into memory, so its pages are the kernel's to
 * drop, and cut into elements one by one.  A pipe works too (CSV streams;
 * JSON is read whole, up to IMPORT_JSON_MAX_BYTES).
 *
 * Reading and validating a file (or an upload of a MiB or more) runs on a
 * thread of its own, beside the store writes on the calling thread, at
 * most a few chunks of rows ahead of them (pipe.h); the report is the same
 * as when one thread does both.
 *
 * This module does not reload a running engine; the caller does
 * (engine_reload_tenant).
 */
#ifndef PT_IMPORT_H
#define PT_IMPORT_H

#include <stddef.h>

#include "core/types.h"
#include "store/store.h"
#include "util/error.h"

#define IMPORT_MAX_ERRORS 100
#ifndef IMPORT_BATCH            /* a test may build import.c with small batches */
#define IMPORT_BATCH 50000
#endif
#define IMPORT_JSON_MAX_BYTES (256u << 20)

typedef struct import_error {
    long line;               /* 1-based line of the rejected row (0: the file) */
    char message[240];       /* valid UTF-8, no line prefix */
} import_error;

typedef struct import_report {
    long imported;           /* rows upserted and committed */
    long rejected;           /* rows refused (all of them, not only the first 100) */
    long removed;            /* listings deleted by off-market RESO records */
    int n_errors;            /* entries used in errors[] */
    import_error errors[IMPORT_MAX_ERRORS];
} import_report;

/* Imports the file at path into tenant t (t->id and t->currency are used;
 * currency is the default for rows without one).  *out is cleared first
 * and filled even on error (with what was committed before the failure).
 * Returns 0 when the file could be read, even if rows were rejected.
 * Errors: PT_ERR_IO (unreadable), PT_ERR_INVALID (empty file, malformed JSON,
 * a CSV header without a required column), PT_ERR_TOO_LARGE (JSON over
 * IMPORT_JSON_MAX_BYTES from something that is not a regular file, which is
 * read into memory), PT_ERR_STORE / PT_ERR_NOMEM (the batch in flight
 * is rolled back). */
int import_file(store *s, const tenant *t, const char *path, import_report *out,
                pt_error *err);

/* The same for data already in memory (an HTTP upload).  data is borrowed. */
int import_buffer(store *s, const tenant *t, const char *data, size_t len,
                  import_report *out, pt_error *err);

/* The report as the §2 JSON object {"imported", "rejected", "errors": [...]}
 * (plus "removed" when non-zero), one line, malloc'd; the caller frees it.
 * NULL on out-of-memory. */
char *import_report_json(const import_report *r);

#endif
