/*
 * csv.c - the streaming RFC 4180 reader of the importer; see csv.h.
 *
 * A byte-at-a-time state machine, with a fast path that copies the ordinary
 * bytes inside a field in one run.  The current record's fields are kept in
 * one growing byte buffer (each field NUL-terminated) with an offset per
 * field; both are capped (CSV_MAX_RECORD_BYTES, CSV_MAX_FIELDS).  Past a cap
 * the record is marked malformed and its remaining bytes are only scanned
 * for the record's end.
 */
#include "import/csv.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util/error.h"

enum { S_FIELD_START = 0, S_UNQUOTED, S_QUOTED, S_QUOTE_IN_QUOTED };

static const unsigned char csv_bom[3] = {0xEF, 0xBB, 0xBF};

void csv_init(csv_parser *p, char delim, csv_record_fn fn, void *ctx)
{
    memset(p, 0, sizeof *p);
    p->fn = fn;
    p->ctx = ctx;
    p->delim = delim ? delim : ',';
    p->state = S_FIELD_START;
    p->line = 1;
    p->rec_line = 1;
}

void csv_release(csv_parser *p)
{
    free(p->data);
    free(p->offs);
    free(p->lens);
    free(p->ptrs);
    p->data = NULL;
    p->offs = NULL;
    p->lens = NULL;
    p->ptrs = NULL;
    p->alloc = p->len = 0;
    p->alloc_fields = p->n_fields = 0;
}

/* Appends one byte to the current field.  Past the record cap the record is
 * marked malformed instead. */
static int put(csv_parser *p, char c)
{
    p->any_data = true;
    if (p->error)
        return 0;
    if (p->len + 2 > CSV_MAX_RECORD_BYTES) {
        p->error = "record is longer than 1 MiB";
        return 0;
    }
    if (p->len + 2 > p->alloc) {
        size_t n = p->alloc ? p->alloc * 2 : 4096;
        while (n < p->len + 2)
            n *= 2;
        char *d = realloc(p->data, n);
        if (d == NULL)
            return -PT_ERR_NOMEM;
        p->data = d;
        p->alloc = n;
    }
    p->data[p->len++] = c;
    return 0;
}

/* Appends a run of n ordinary bytes (no delimiter, quote or line end) to
 * the current field: the same as n calls of put(). */
static int put_run(csv_parser *p, const char *s, size_t n)
{
    p->any_data = true;
    if (p->error)
        return 0;
    if (p->len + n + 1 > CSV_MAX_RECORD_BYTES) {
        p->error = "record is longer than 1 MiB";
        return 0;
    }
    if (p->len + n + 2 > p->alloc) {
        size_t want = p->alloc ? p->alloc * 2 : 4096;
        while (want < p->len + n + 2)
            want *= 2;
        char *d = realloc(p->data, want);
        if (d == NULL)
            return -PT_ERR_NOMEM;
        p->data = d;
        p->alloc = want;
    }
    memcpy(p->data + p->len, s, n);
    p->len += n;
    return 0;
}

/* Length of the run at s[0..n) that needs no state change: up to the next
 * delimiter or line end (unquoted), or quote or line end (quoted). */
static size_t plain_run(const csv_parser *p, const char *s, size_t n)
{
    size_t j = 0;
    if (p->state == S_UNQUOTED) {
        char d = p->delim;
        while (j < n && s[j] != d && s[j] != '\n' && s[j] != '\r')
            j++;
    } else {
        while (j < n && s[j] != '"' && s[j] != '\n')
            j++;
    }
    return j;
}

static int end_field(csv_parser *p)
{
    if (p->error)
        goto done;
    if (p->n_fields >= CSV_MAX_FIELDS) {
        p->error = "record has more than 1024 fields";
        goto done;
    }
    if (p->n_fields == p->alloc_fields) {
        int n = p->alloc_fields ? p->alloc_fields * 2 : 32;
        size_t *o = realloc(p->offs, (size_t)n * sizeof *o);
        if (o == NULL)
            return -PT_ERR_NOMEM;
        p->offs = o;
        size_t *l = realloc(p->lens, (size_t)n * sizeof *l);
        if (l == NULL)
            return -PT_ERR_NOMEM;
        p->lens = l;
        const char **q = realloc(p->ptrs, (size_t)n * sizeof *q);
        if (q == NULL)
            return -PT_ERR_NOMEM;
        p->ptrs = q;
        p->alloc_fields = n;
    }
    size_t start = p->field_start, flen = p->len - start;
    bool had = p->any_data;
    int rc = put(p, '\0');   /* terminator; does not count as data */
    p->any_data = had;
    if (rc)
        return rc;
    if (p->error)
        goto done;
    p->offs[p->n_fields] = start;
    p->lens[p->n_fields] = flen;
    p->n_fields++;
done:
    p->field_start = p->len;
    return 0;
}

/* Ends the current record (after its last field) and delivers it. */
static int end_record(csv_parser *p)
{
    int rc = end_field(p);
    if (rc)
        return rc;
    if (p->error || p->any_data) {
        csv_record r;
        r.line = p->rec_line;
        r.error = p->error;
        r.n_fields = p->error ? 0 : p->n_fields;
        for (int i = 0; i < r.n_fields; i++)
            p->ptrs[i] = p->data + p->offs[i];
        r.fields = r.n_fields ? (const char *const *)p->ptrs : NULL;
        r.lens = r.n_fields ? p->lens : NULL;
        rc = p->fn(p->ctx, &r);
        if (rc)
            p->stopped = rc;
    }
    p->len = 0;
    p->field_start = 0;
    p->n_fields = 0;
    p->any_data = false;
    p->error = NULL;
    p->state = S_FIELD_START;
    return rc;
}

/* A line end outside quotes: CR or LF.  Ends the record. */
static int line_end(csv_parser *p, char c)
{
    int rc = end_record(p);
    p->line++;
    p->rec_line = p->line;
    p->after_cr = (c == '\r');
    return rc;
}

static int step(csv_parser *p, char c)
{
    if (p->after_cr) {
        p->after_cr = false;
        if (c == '\n')
            return 0;
    }
    switch (p->state) {
    case S_FIELD_START:
        if (c == '"') {
            p->any_data = true;
            p->quote_line = p->line;
            p->state = S_QUOTED;
            return 0;
        }
        if (c == p->delim)
            return end_field(p);
        if (c == '\n' || c == '\r')
            return line_end(p, c);
        p->state = S_UNQUOTED;
        return put(p, c);
    case S_UNQUOTED:
        if (c == p->delim) {
            p->state = S_FIELD_START;
            return end_field(p);
        }
        if (c == '\n' || c == '\r')
            return line_end(p, c);
        return put(p, c);
    case S_QUOTED:
        if (c == '"') {
            p->state = S_QUOTE_IN_QUOTED;
            return 0;
        }
        if (c == '\n')
            p->line++;
        return put(p, c);
    case S_QUOTE_IN_QUOTED:
        if (c == '"') {
            p->state = S_QUOTED;
            return put(p, c);
        }
        if (c == p->delim) {
            p->state = S_FIELD_START;
            return end_field(p);
        }
        if (c == '\n' || c == '\r')
            return line_end(p, c);
        /* "abc"def: keep the text after the closing quote */
        p->state = S_UNQUOTED;
        return put(p, c);
    }
    return 0;
}

int csv_feed(csv_parser *p, const char *data, size_t len)
{
    size_t i = 0;
    if (p->stopped)
        return p->stopped;
    while (p->bom >= 0 && i < len) {
        if ((unsigned char)data[i] == csv_bom[p->bom]) {
            i++;
            if (++p->bom == 3)
                p->bom = -1;
            continue;
        }
        int matched = p->bom;
        p->bom = -1;
        for (int k = 0; k < matched; k++) {
            int rc = step(p, (char)csv_bom[k]);
            if (rc)
                return rc;
        }
    }
    while (i < len) {
        /* inside a field, copy the bytes up to the next special one at once */
        if (!p->after_cr && (p->state == S_UNQUOTED || p->state == S_QUOTED)) {
            size_t k = plain_run(p, data + i, len - i);
            if (k) {
                int rc = put_run(p, data + i, k);
                if (rc)
                    return rc;
                i += k;
                continue;
            }
        }
        int rc = step(p, data[i++]);
        if (rc)
            return rc;
    }
    return 0;
}

int csv_finish(csv_parser *p)
{
    if (p->stopped)
        return p->stopped;
    if (p->bom > 0) {
        int matched = p->bom;
        p->bom = -1;
        for (int k = 0; k < matched; k++) {
            int rc = step(p, (char)csv_bom[k]);
            if (rc)
                return rc;
        }
    }
    if (p->state == S_QUOTED) {
        snprintf(p->errbuf, sizeof p->errbuf,
                 "quoted field opened on line %ld is never closed", p->quote_line);
        p->error = p->errbuf;
        p->any_data = true;
    }
    if (p->state == S_FIELD_START && !p->any_data && p->n_fields == 0)
        return 0;   /* input ended with a line end */
    return end_record(p);
}

char csv_sniff_delimiter(const char *data, size_t len)
{
    bool quoted = false;
    int commas = 0, semis = 0, tabs = 0;
    size_t i = 0;
    if (len >= 3 && memcmp(data, csv_bom, 3) == 0)
        i = 3;
    for (; i < len; i++) {
        char c = data[i];
        if (c == '"')
            quoted = !quoted;
        else if (!quoted && (c == '\n' || c == '\r'))
            break;
        else if (!quoted && c == ',')
            commas++;
        else if (!quoted && c == ';')
            semis++;
        else if (!quoted && c == '\t')
            tabs++;
    }
    if (commas)
        return ',';
    if (semis)
        return ';';
    if (tabs)
        return '\t';
    return ',';
}
