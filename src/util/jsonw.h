/*
 * jsonw.h - a streaming JSON writer into a buf, for the hot path.
 *
 * Building a jansson tree only to print it costs a malloc per node; the
 * answer of every chat turn and the session, profile and lead records it
 * writes are printed with this instead (jansson still reads).  The writer
 * tracks commas itself, escapes strings per RFC 8259 and replaces bytes
 * that are not valid UTF-8 with U+FFFD, so whatever it is given, the output
 * parses.  Numbers: integers as is; reals in the shortest of %.15g/%.17g
 * that reads back exactly, always with a '.' or exponent so they read back
 * as reals; NaN and infinities as null.
 *
 * Style: compact by default; jw_init_spaced() writes ", " and ": " between
 * members, as jansson does without JSON_COMPACT (the `proptalk nlu` lines).
 *
 * Errors are sticky: after an allocation failure or a cap hit every call is
 * a no-op and jw_finish() returns the error.  Nesting deeper than
 * JSONW_MAX_DEPTH is an error too.
 *
 *   jsonw w; jw_init(&w, &b);
 *   jw_obj(&w); jw_kstr(&w, "answer", text); jw_kint(&w, "n", 3); jw_end(&w);
 *   if (jw_finish(&w)) ...
 */
#ifndef PT_JSONW_H
#define PT_JSONW_H

#include <stdbool.h>
#include <stdint.h>
#include <string.h>

#include "util/buf.h"

#define JSONW_MAX_DEPTH 32

struct arena;

typedef struct jsonw {
    buf *b;                              /* borrowed */
    struct arena *arena;                 /* jw_init_arena: b's memory is from it */
    int depth;
    int err;                             /* 0 or -PT_ERR_* */
    bool need_comma[JSONW_MAX_DEPTH + 1];
    bool after_key;
    bool spaced;                         /* ", " and ": " separators */
    char close[JSONW_MAX_DEPTH + 1];     /* '}' or ']' per open level */
} jsonw;

void jw_init(jsonw *w, buf *b);
void jw_init_spaced(jsonw *w, buf *b);
/* Writes straight into arena a: b (filled in here) holds size bytes of it
 * to start with and moves to a block twice as big when they run out, so
 * there is no heap buffer and no copy at the end.  b must not be given to
 * buf_free(). */
void jw_init_arena(jsonw *w, buf *b, struct arena *a, size_t size);
int jw_finish(const jsonw *w);           /* 0, or the first error; also when left open */
/* The finished text in a (where it is already when w was set up with
 * jw_init_arena on a; else copied, and w's buf freed); NULL on any error. */
char *jw_finish_to_arena(jsonw *w, struct arena *a);

void jw_obj(jsonw *w);
void jw_arr(jsonw *w);
void jw_end(jsonw *w);                   /* closes the innermost object or array */
/* key (n bytes; written escaped when it is not plain ASCII) */
void jw_key_n(jsonw *w, const char *key, size_t n);

void jw_str(jsonw *w, const char *s);    /* NULL writes null */
void jw_strn(jsonw *w, const char *s, size_t n);
void jw_int(jsonw *w, int64_t v);
void jw_real(jsonw *w, double v);
/* v with `precision` significant digits, as jansson's JSON_REAL_PRECISION
 * prints it ("%.*g", a ".0" on integers, exponents as "1e21", "1e-5"). */
void jw_real_prec(jsonw *w, double v, int precision);
void jw_bool(jsonw *w, bool v);
void jw_null(jsonw *w);
/* A value that is JSON text already (n bytes: one whole value, written by
 * another jsonw in the same style), copied as it is: a text needed both on
 * its own and inside a larger one is written once. */
void jw_raw(jsonw *w, const char *json, size_t n);

/* ---- literal keys ------------------------------------------------------
 * jw_key() and the jw_k*() below take the key as a string literal of plain
 * ASCII (no '"', '\\', control or non-ASCII bytes; sanitizer builds check
 * it): the compiler joins it into ",\"key\":", so writing the member is
 * one copy, with no strlen and no scan of the key.  A key that is not a
 * literal does not compile; write it with jw_key_n().  The output is the
 * same as jw_key_n's. */
#define JW_LIT(key) ",\"" key "\":", sizeof(key) + 3

/* lit: ",\"key\":" (n bytes) for a plain key, as JW_LIT gives it */
void jw_key_lit(jsonw *w, const char *lit, size_t n);
void jw_kstr_lit(jsonw *w, const char *lit, size_t n, const char *s);   /* NULL: null */
void jw_kint_lit(jsonw *w, const char *lit, size_t n, int64_t v);

static inline void jw_kreal_lit(jsonw *w, const char *lit, size_t n, double v)
{
    jw_key_lit(w, lit, n);
    jw_real(w, v);
}

static inline void jw_kbool_lit(jsonw *w, const char *lit, size_t n, bool v)
{
    jw_key_lit(w, lit, n);
    jw_bool(w, v);
}

static inline void jw_knull_lit(jsonw *w, const char *lit, size_t n)
{
    jw_key_lit(w, lit, n);
    jw_null(w);
}

/* key + value, or key + null when !has */
static inline void jw_kint_or_null_lit(jsonw *w, const char *lit, size_t n, bool has, int64_t v)
{
    if (has)
        jw_kint_lit(w, lit, n, v);
    else
        jw_knull_lit(w, lit, n);
}

static inline void jw_kreal_or_null_lit(jsonw *w, const char *lit, size_t n, bool has, double v)
{
    jw_key_lit(w, lit, n);
    if (has)
        jw_real(w, v);
    else
        jw_null(w);
}

/* key (a literal), and key + value */
#define jw_key(w, key) jw_key_lit((w), JW_LIT(key))
#define jw_kstr(w, key, s) jw_kstr_lit((w), JW_LIT(key), (s))
#define jw_kint(w, key, v) jw_kint_lit((w), JW_LIT(key), (v))
#define jw_kreal(w, key, v) jw_kreal_lit((w), JW_LIT(key), (v))
#define jw_kbool(w, key, v) jw_kbool_lit((w), JW_LIT(key), (v))
#define jw_knull(w, key) jw_knull_lit((w), JW_LIT(key))
#define jw_kint_or_null(w, key, has, v) jw_kint_or_null_lit((w), JW_LIT(key), (has), (v))
#define jw_kreal_or_null(w, key, has, v) jw_kreal_or_null_lit((w), JW_LIT(key), (has), (v))

#endif
