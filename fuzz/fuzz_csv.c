/*
 * fuzz_csv.c - libFuzzer target for listing imports: the streaming CSV
 * reader fed in two chunks at a fuzzer-chosen split (chunking must not
 * change the records), and the whole importer (CSV, JSON arrays, RESO)
 * through import_buffer() against an in-memory store that accepts every
 * row, once row by row and once in runs of rows (listing_upsert_many).
 * Checks: no crash, no leak, records identical whatever the split, the
 * record's has_nul and non_ascii flags true to its fields, report
 * counts consistent and the same either way, every error message valid for
 * JSON output.
 */
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "import/csv.h"
#include "import/import.h"
#include "util/buf.h"

/* ---- records to a flat text, to compare two parses ---- */

static int record_to_buf(void *ctx, const csv_record *r)
{
    buf *b = ctx;
    bool nul = false, high = false;
    buf_printf(b, "%ld:%s:", r->line, r->error ? r->error : "");
    for (int i = 0; i < r->n_fields; i++) {
        if (r->fields[i][r->lens[i]] != '\0')
            abort();   /* every field is NUL-terminated */
        nul |= strlen(r->fields[i]) != r->lens[i];
        for (size_t k = 0; k < r->lens[i]; k++)
            high |= (unsigned char)r->fields[i][k] >= 0x80;
        buf_printf(b, "%zu:", r->lens[i]);
        buf_append(b, r->fields[i], r->lens[i]);
    }
    if (nul != r->has_nul || high != r->non_ascii)
        abort();   /* the record's flags say what its fields hold */
    buf_putc(b, '\n');
    return 0;
}

static void parse(const uint8_t *data, size_t size, size_t split, char delim, buf *out)
{
    csv_parser p;
    csv_init(&p, delim, record_to_buf, out);
    if (split > size)
        split = size;
    csv_feed(&p, (const char *)data, split);
    csv_feed(&p, (const char *)data + split, size - split);
    csv_finish(&p);
    csv_release(&p);
}

/* ---- a store that accepts everything ---- */

static int ok_begin(store *s, pt_error *err) { return 0; }
static int ok_commit(store *s, pt_error *err) { return 0; }
static void ok_rollback(store *s) {}
static int ok_upsert(store *s, tenant_id t, const listing *l, pt_error *err)
{
    /* touch every string so ASan sees a bad pointer */
    const char *strs[] = {l->id, l->title, l->project, l->developer, l->city, l->locality,
                          l->completion_date, l->amenities, l->description,
                          l->attributes_json};
    size_t n = 0;
    for (size_t i = 0; i < sizeof strs / sizeof strs[0]; i++)
        if (strs[i])
            n += strlen(strs[i]);
    if (l->id == NULL || l->id[0] == '\0' || l->price < 0 || n == (size_t)-1)
        abort();
    if (l->attributes_json) {
        json_t *j = json_loads(l->attributes_json, 0, NULL);
        if (!json_is_object(j))
            abort();
        json_decref(j);
    }
    return 0;
}
static int ok_delete(store *s, tenant_id t, const char *id, pt_error *err)
{
    return pt_fail(err, PT_ERR_NOT_FOUND, "no such listing");
}

static int ok_upsert_many(store *s, tenant_id t, const listing *const *ls, int n, int *done,
                          pt_error *err)
{
    for (*done = 0; *done < n; (*done)++)
        ok_upsert(s, t, ls[*done], err);
    return 0;
}

static const store_ops fake_ops = {
    .name = "fake",
    .import_begin = ok_begin,
    .listing_upsert = ok_upsert,
    .import_commit = ok_commit,
    .import_rollback = ok_rollback,
    .listing_delete = ok_delete,
};

static const store_ops fake_ops_many = {
    .name = "fake",
    .import_begin = ok_begin,
    .listing_upsert = ok_upsert,
    .listing_upsert_many = ok_upsert_many,
    .import_commit = ok_commit,
    .import_rollback = ok_rollback,
    .listing_delete = ok_delete,
};

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 1)
        return 0;
    size_t split = data[0];
    data++;
    size--;

    /* 1. the reader: any split gives the same records */
    buf whole = BUF_INIT(0), halves = BUF_INIT(0);
    parse(data, size, size, ',', &whole);
    parse(data, size, split, ',', &halves);
    if (whole.len != halves.len || memcmp(buf_cstr(&whole), buf_cstr(&halves), whole.len) != 0)
        abort();
    buf_free(&whole);
    buf_free(&halves);

    /* 2. the importer, as an upload */
    store s = {&fake_ops, NULL};
    tenant t;
    memset(&t, 0, sizeof t);
    t.id = 1;
    memcpy(t.currency, "AED", 4);
    static import_report rep;
    pt_error err = {0};
    import_buffer(&s, &t, (const char *)data, size, &rep, &err);
    if (rep.rejected < rep.n_errors || rep.n_errors > IMPORT_MAX_ERRORS)
        abort();
    char *json = import_report_json(&rep);
    if (json == NULL)
        abort();   /* messages must always be valid UTF-8 */

    /* 3. the same with runs of rows */
    store s2 = {&fake_ops_many, NULL};
    static import_report rep2;
    pt_error err2 = {0};
    import_buffer(&s2, &t, (const char *)data, size, &rep2, &err2);
    char *json2 = import_report_json(&rep2);
    if (json2 == NULL || strcmp(json, json2) != 0 || err.code != err2.code)
        abort();
    free(json);
    free(json2);
    return 0;
}
