/*
 * csv.h - a streaming RFC 4180 reader, private to the import module (and its
 * fuzzer).  Bytes go in by the chunk, whole records come out through a
 * callback; nothing is kept between records but the current one, so files of
 * any size stream through a bounded buffer.
 *
 * Accepted: quoted fields with "" escapes and embedded commas and newlines,
 * CRLF, LF or lone CR line ends, a UTF-8 byte order mark, a missing final
 * newline.  Lenient where RFC 4180 is silent in practice: a quote inside an
 * unquoted field is kept literally, and text after a closing quote is
 * appended.  Records made only of empty fields (blank lines, ",,,") are
 * skipped.  A record past the caps (bytes, fields) or with a quote that never
 * closes is still delivered, with `error` set and no fields, so the caller can
 * reject that one line and go on.
 *
 * This reader knows nothing of listings; import.c maps columns.
 */
#ifndef PT_CSV_H
#define PT_CSV_H

#include <stdbool.h>
#include <stddef.h>

#define CSV_MAX_RECORD_BYTES (1u << 20)   /* one record, all fields together */
#define CSV_MAX_FIELDS 1024

typedef struct csv_record {
    long line;                    /* 1-based line where the record starts */
    int n_fields;
    const char *const *fields;    /* each NUL-terminated (may hold NUL bytes: see lens);
                                     the parser's scratch: the callback may change the
                                     bytes in place (up to lens[i]) and must not keep them */
    const size_t *lens;
    bool has_nul;                 /* some field holds a NUL byte (its strlen < its len) */
    bool non_ascii;               /* some field holds a byte >= 0x80 (false: all ASCII) */
    const char *error;            /* non-NULL: malformed record, fields not given */
} csv_record;

/* Called once per record.  A non-zero return stops the parse and is
 * returned by csv_feed() / csv_finish(). */
typedef int (*csv_record_fn)(void *ctx, const csv_record *rec);

typedef struct csv_parser {
    csv_record_fn fn;
    void *ctx;
    char delim;
    int state;
    int bom;                      /* bytes of the BOM matched so far; -1 when decided */
    long line;                    /* current line, 1-based */
    long rec_line;                /* line where the current record started */
    long quote_line;              /* line where the open quote started */
    char *data;                   /* field bytes, each followed by NUL */
    size_t len, alloc;
    size_t field_start;           /* offset in data of the field being read */
    size_t *offs;                 /* start of each field in data */
    size_t *lens;
    const char **ptrs;
    int n_fields, alloc_fields;
    bool after_cr;                /* a CR ended the last record: skip one LF */
    bool any_data;                /* the record has a non-empty or quoted field */
    bool has_nul;                 /* the record holds a NUL byte */
    const char *error;            /* the current record is malformed */
    char errbuf[96];
    int stopped;                  /* a callback's non-zero return */
} csv_parser;

/* Prepares p.  delim: ',' normally (see csv_sniff_delimiter).  Free with
 * csv_release(). */
void csv_init(csv_parser *p, char delim, csv_record_fn fn, void *ctx);

/* Feeds len bytes.  Returns 0, -PT_ERR_NOMEM, or a callback's non-zero
 * return (after which the parser must not be fed again). */
int csv_feed(csv_parser *p, const char *data, size_t len);

/* Ends the input: delivers the last record if the file lacks a final
 * newline (or an error record when a quote is left open). */
int csv_finish(csv_parser *p);

void csv_release(csv_parser *p);

/* Picks the delimiter from the first line of data: ',' if it holds one
 * outside quotes, else ';', else a tab, else ','. */
char csv_sniff_delimiter(const char *data, size_t len);

#endif
