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

typedef struct jsonw {
    buf *b;                              /* borrowed */
    int depth;
    int err;                             /* 0 or -PT_ERR_* */
    bool need_comma[JSONW_MAX_DEPTH + 1];
    bool after_key;
    bool spaced;                         /* ", " and ": " separators */
    char close[JSONW_MAX_DEPTH + 1];     /* '}' or ']' per open level */
} jsonw;

void jw_init(jsonw *w, buf *b);
void jw_init_spaced(jsonw *w, buf *b);
int jw_finish(const jsonw *w);           /* 0, or the first error; also when left open */
/* The finished text copied into a, and w's buf freed; NULL on any error. */
struct arena;
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

/* The key functions are inline so that the length of a literal key is
 * known where it is written. */
static inline void jw_key(jsonw *w, const char *key)
{
    jw_key_n(w, key, strlen(key));
}

/* key + value */
static inline void jw_kstr(jsonw *w, const char *key, const char *s)
{
    jw_key(w, key);
    jw_str(w, s);
}

static inline void jw_kint(jsonw *w, const char *key, int64_t v)
{
    jw_key(w, key);
    jw_int(w, v);
}

static inline void jw_kreal(jsonw *w, const char *key, double v)
{
    jw_key(w, key);
    jw_real(w, v);
}

static inline void jw_kbool(jsonw *w, const char *key, bool v)
{
    jw_key(w, key);
    jw_bool(w, v);
}

static inline void jw_knull(jsonw *w, const char *key)
{
    jw_key(w, key);
    jw_null(w);
}

/* key + value, or key + null when !has */
static inline void jw_kint_or_null(jsonw *w, const char *key, bool has, int64_t v)
{
    jw_key(w, key);
    if (has)
        jw_int(w, v);
    else
        jw_null(w);
}

static inline void jw_kreal_or_null(jsonw *w, const char *key, bool has, double v)
{
    jw_key(w, key);
    if (has)
        jw_real(w, v);
    else
        jw_null(w);
}

#endif
