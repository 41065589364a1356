/*
 * csv.c - the streaming RFC 4180 reader of the importer; see csv.h.
 *
 * A state machine over the bytes, with a fast path for the bytes that
 * change nothing: inside a field, the run up to the next byte that matters
 * (the delimiter or a line end unquoted, a quote or LF quoted, and NUL,
 * which only marks the record) is found 16 bytes at a time (SSE2, where the
 * compiler has it) and copied in one piece, and a delimiter or line end met
 * there ends its field or record at once; anything else (a quote, the byte
 * after a CR, a malformed record) goes through step() one byte at a time.
 * The current record's fields are kept in one growing byte buffer (each
 * field NUL-terminated) with an offset per field; both are capped
 * (CSV_MAX_RECORD_BYTES, CSV_MAX_FIELDS).  Past a cap the record is marked
 * malformed and its remaining bytes are only scanned for the record's end.
 */
#include "import/csv.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#ifdef __SSE2__
#include <emmintrin.h>
#endif

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

/* Length of the run at s[0..n) before the first byte that is a, b, c or
 * NUL. */
static size_t scan_until(const char *s, size_t n, char a, char b, char c)
{
    size_t j = 0;
#ifdef __SSE2__
    const __m128i va = _mm_set1_epi8(a), vb = _mm_set1_epi8(b), vc = _mm_set1_epi8(c);
    const __m128i vz = _mm_setzero_si128();
    for (; j + 16 <= n; j += 16) {
        __m128i x = _mm_loadu_si128((const __m128i *)(const void *)(s + j));
        __m128i m = _mm_or_si128(_mm_or_si128(_mm_cmpeq_epi8(x, va), _mm_cmpeq_epi8(x, vb)),
                                 _mm_or_si128(_mm_cmpeq_epi8(x, vc), _mm_cmpeq_epi8(x, vz)));
        unsigned bits = (unsigned)_mm_movemask_epi8(m);
        if (bits)
            return j + (size_t)__builtin_ctz(bits);
    }
#endif
    for (; j < n; j++) {
        char x = s[j];
        if (x == a || x == b || x == c || x == '\0')
            break;
    }
    return j;
}

/* A data byte (not a field's terminator): put(), and a NUL marks the
 * record. */
static int put_data(csv_parser *p, char c)
{
    if (c == '\0')
        p->has_nul = true;
    return put(p, c);
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

/* end_field() when nothing is in the way (no error, room for the
 * terminator and the field's offset): the unquoted fast path's. */
static inline int end_field_fast(csv_parser *p)
{
    if (p->error || p->n_fields >= p->alloc_fields || p->len + 2 > p->alloc ||
        p->len + 2 > CSV_MAX_RECORD_BYTES)
        return end_field(p);
    p->offs[p->n_fields] = p->field_start;
    p->lens[p->n_fields] = p->len - p->field_start;
    p->n_fields++;
    p->data[p->len++] = '\0';
    p->field_start = p->len;
    return 0;
}

/* Does the record's data (fields and terminators) hold a byte >= 0x80? */
static bool data_non_ascii(const csv_parser *p)
{
    uint64_t acc = 0;
    size_t i = 0;
    for (; i + 8 <= p->len; i += 8) {
        uint64_t w;
        memcpy(&w, p->data + i, 8);
        acc |= w;
    }
    for (; i < p->len; i++)
        acc |= (unsigned char)p->data[i];
    return (acc & 0x8080808080808080ULL) != 0;
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
        r.has_nul = r.n_fields ? p->has_nul : false;
        r.non_ascii = r.n_fields ? data_non_ascii(p) : false;
        rc = p->fn(p->ctx, &r);
        if (rc)
            p->stopped = rc;
    }
    p->len = 0;
    p->field_start = 0;
    p->n_fields = 0;
    p->any_data = false;
    p->has_nul = false;
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
        return put_data(p, c);
    case S_UNQUOTED:
        if (c == p->delim) {
            p->state = S_FIELD_START;
            return end_field(p);
        }
        if (c == '\n' || c == '\r')
            return line_end(p, c);
        return put_data(p, c);
    case S_QUOTED:
        if (c == '"') {
            p->state = S_QUOTE_IN_QUOTED;
            return 0;
        }
        if (c == '\n')
            p->line++;
        return put_data(p, c);
    case S_QUOTE_IN_QUOTED:
        if (c == '"') {
            p->state = S_QUOTED;
            return put_data(p, c);
        }
        if (c == p->delim) {
            p->state = S_FIELD_START;
            return end_field(p);
        }
        if (c == '\n' || c == '\r')
            return line_end(p, c);
        /* "abc"def: keep the text after the closing quote */
        p->state = S_UNQUOTED;
        return put_data(p, c);
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
        int st = p->state;
        /* inside a field (or at the start of an unquoted one), the run up
         * to the next byte that matters goes in at once */
        if (!p->after_cr && st != S_QUOTE_IN_QUOTED && !(st == S_FIELD_START && data[i] == '"')) {
            size_t k = st == S_QUOTED ? scan_until(data + i, len - i, '"', '\n', '"')
                                      : scan_until(data + i, len - i, p->delim, '\n', '\r');
            if (k) {
                int rc = put_run(p, data + i, k);
                if (rc)
                    return rc;
                if (st == S_FIELD_START)
                    p->state = st = S_UNQUOTED;
                i += k;
            }
            /* an unquoted field's delimiter: the field ends here */
            if (i < len && st != S_QUOTED && data[i] == p->delim) {
                i++;
                p->state = S_FIELD_START;
                int rc = end_field_fast(p);
                if (rc)
                    return rc;
                continue;
            }
            if (k)
                continue;
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
