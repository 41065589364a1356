/*
 * jsonw.c - the streaming JSON writer; see jsonw.h.
 */
#include "util/jsonw.h"
#include "util/arena.h"
#include "util/error.h"

#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void jw_init(jsonw *w, buf *b)
{
    memset(w, 0, sizeof *w);
    w->b = b;
}

void jw_init_spaced(jsonw *w, buf *b)
{
    jw_init(w, b);
    w->spaced = true;
}

char *jw_finish_to_arena(jsonw *w, arena *a)
{
    char *out = jw_finish(w) == 0 ? arena_strdup(a, buf_cstr(w->b)) : NULL;
    buf_free(w->b);
    return out;
}

int jw_finish(const jsonw *w)
{
    if (w->err)
        return w->err;
    return w->depth == 0 ? 0 : -PT_ERR_INTERNAL;
}

static inline void put(jsonw *w, const char *p, size_t n)
{
    buf *b = w->b;
    if (w->err)
        return;
    /* in room already (the usual case): no call, no checks beyond this */
    if (b->len + n < b->alloc && (b->cap == 0 || b->len + n <= b->cap)) {
        memcpy(b->data + b->len, p, n);
        b->len += n;
        b->data[b->len] = '\0';
        return;
    }
    w->err = buf_append(b, p, n);
}

/* Separates a value from what came before it at this level. */
static bool begin_value(jsonw *w)
{
    if (w->err)
        return false;
    if (w->after_key) {
        w->after_key = false;
        return true;
    }
    if (w->need_comma[w->depth])
        put(w, ", ", w->spaced ? 2 : 1);
    w->need_comma[w->depth] = true;
    return w->err == 0;
}

static void open_level(jsonw *w, char open, char close)
{
    if (!begin_value(w))
        return;
    if (w->depth >= JSONW_MAX_DEPTH) {
        w->err = -PT_ERR_INTERNAL;
        return;
    }
    put(w, &open, 1);
    w->depth++;
    w->need_comma[w->depth] = false;
    w->close[w->depth] = close;
}

void jw_obj(jsonw *w)
{
    open_level(w, '{', '}');
}

void jw_arr(jsonw *w)
{
    open_level(w, '[', ']');
}

void jw_end(jsonw *w)
{
    if (w->err)
        return;
    if (w->depth == 0 || w->after_key) {
        w->err = -PT_ERR_INTERNAL;
        return;
    }
    put(w, &w->close[w->depth], 1);
    w->depth--;
}

/* Length of the valid UTF-8 sequence at p (of n bytes left), or 0. */
static size_t utf8_len(const unsigned char *p, size_t n)
{
    unsigned c = p[0];
    size_t len;
    unsigned min;
    if (c < 0x80)
        return 1;
    if (c >= 0xC2 && c <= 0xDF)
        len = 2, min = 0x80;
    else if (c >= 0xE0 && c <= 0xEF)
        len = 3, min = 0x800;
    else if (c >= 0xF0 && c <= 0xF4)
        len = 4, min = 0x10000;
    else
        return 0;
    if (n < len)
        return 0;
    unsigned cp = c & (0xFF >> (len + 1));
    for (size_t i = 1; i < len; i++) {
        if ((p[i] & 0xC0) != 0x80)
            return 0;
        cp = (cp << 6) | (p[i] & 0x3F);
    }
    if (cp < min || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF))
        return 0;
    return len;
}

/* Bytes that a JSON string cannot hold as they are: controls, '"', '\\',
 * and every byte of a multi-byte UTF-8 sequence (checked one by one). */
static const unsigned char needs_care[256] = {
    [0 ... 0x1f] = 1, ['"'] = 1, ['\\'] = 1, [0x80 ... 0xff] = 1,
};

/* Eight bytes at once: true when none needs care.  A byte below 0x20 or
 * from 0x80 up, or one equal to '"' or '\\', sets the high bit of its lane
 * (the has-less-than and has-zero-byte tests of Anderson's "Bit Twiddling
 * Hacks", exact as yes/no answers). */
static inline bool lanes_plain(uint64_t v)
{
    const uint64_t ones = 0x0101010101010101ull, highs = 0x8080808080808080ull;
    uint64_t q = v ^ (ones * '"'), b = v ^ (ones * '\\');
    return ((((v - ones * 0x20) & ~v) | v | ((q - ones) & ~q) | ((b - ones) & ~b)) & highs) == 0;
}

/* How many of the first n bytes of p need no care: eight at a time over
 * long texts, byte by byte over short ones (keys) and the rest. */
static inline size_t plain_prefix(const unsigned char *p, size_t n)
{
    size_t i = 0;
    if (n >= 16) {
        uint64_t v;
        for (; i + 8 <= n; i += 8) {
            memcpy(&v, p + i, 8);
            if (!lanes_plain(v))
                break;
        }
    }
    while (i < n && !needs_care[p[i]])
        i++;
    return i;
}

static void put_escaped(jsonw *w, const char *s, size_t n)
{
    static const char hex[] = "0123456789ABCDEF";
    const unsigned char *p = (const unsigned char *)s, *end = p + n, *run = p;
    /* the common case: printable ASCII only, copied in one go */
    size_t plain = plain_prefix(p, n);
    if (plain == n) {
        if (w->err == 0 && (w->err = buf_reserve(w->b, n + 2)) == 0) {
            char *o = w->b->data + w->b->len;
            o[0] = '"';
            memcpy(o + 1, s, n);
            o[n + 1] = '"';
            w->b->len += n + 2;
            w->b->data[w->b->len] = '\0';
        }
        return;
    }
    put(w, "\"", 1);
    p += plain;
    while (p < end && w->err == 0) {
        unsigned c = *p;
        if (c >= 0x20 && c != '"' && c != '\\' && c < 0x80) {
            p++;
            continue;
        }
        size_t len = c < 0x80 ? 1 : utf8_len(p, (size_t)(end - p));
        if (c >= 0x80 && len > 1) {
            p += len;
            continue;
        }
        put(w, (const char *)run, (size_t)(p - run));
        char esc[8];
        size_t elen = 2;
        esc[0] = '\\';
        switch (c) {
        case '"': esc[1] = '"'; break;
        case '\\': esc[1] = '\\'; break;
        case '\n': esc[1] = 'n'; break;
        case '\r': esc[1] = 'r'; break;
        case '\t': esc[1] = 't'; break;
        case '\b': esc[1] = 'b'; break;
        case '\f': esc[1] = 'f'; break;
        default:
            if (c < 0x20) {
                memcpy(esc, "\\u00", 4);
                esc[4] = hex[c >> 4];
                esc[5] = hex[c & 15];
                elen = 6;
            } else {   /* not valid UTF-8: U+FFFD */
                memcpy(esc, "\xEF\xBF\xBD", 3);
                elen = 3;
            }
        }
        put(w, esc, elen);
        p++;
        run = p;
    }
    put(w, (const char *)run, (size_t)(p - run));
    put(w, "\"", 1);
}

void jw_key_n(jsonw *w, const char *key, size_t n)
{
    if (w->err)
        return;
    if (w->depth == 0 || w->close[w->depth] != '}' || w->after_key) {
        w->err = -PT_ERR_INTERNAL;
        return;
    }
    bool comma = w->need_comma[w->depth];
    w->need_comma[w->depth] = true;
    w->after_key = true;
    /* keys are nearly always short plain ASCII: written in one piece */
    buf *b = w->b;
    if (plain_prefix((const unsigned char *)key, n) == n &&
        (b->len + n + 6 < b->alloc || (w->err = buf_reserve(b, n + 6)) == 0) &&
        (b->cap == 0 || b->len + n + 6 <= b->cap)) {
        char *o = b->data + b->len;
        size_t i = 0;
        if (comma) {
            o[i++] = ',';
            if (w->spaced)
                o[i++] = ' ';
        }
        o[i++] = '"';
        memcpy(o + i, key, n);
        i += n;
        o[i++] = '"';
        o[i++] = ':';
        if (w->spaced)
            o[i++] = ' ';
        b->len += i;
        b->data[b->len] = '\0';
        return;
    }
    if (w->err)
        return;
    if (comma)
        put(w, ", ", w->spaced ? 2 : 1);
    put_escaped(w, key, n);
    put(w, ": ", w->spaced ? 2 : 1);
}

void jw_strn(jsonw *w, const char *s, size_t n)
{
    if (begin_value(w))
        put_escaped(w, s, n);
}

void jw_str(jsonw *w, const char *s)
{
    if (s == NULL)
        jw_null(w);
    else
        jw_strn(w, s, strlen(s));
}

/* Decimal digits of v into the end of tmp[24]; returns the first. */
static char *format_int(char tmp[24], int64_t v)
{
    char *o = tmp + 24;
    uint64_t u = v < 0 ? 0 - (uint64_t)v : (uint64_t)v;
    do {
        *--o = (char)('0' + u % 10);
        u /= 10;
    } while (u);
    if (v < 0)
        *--o = '-';
    return o;
}

void jw_int(jsonw *w, int64_t v)
{
    char tmp[24];
    if (!begin_value(w))
        return;
    char *o = format_int(tmp, v);
    put(w, o, (size_t)(tmp + 24 - o));
}

void jw_real(jsonw *w, double v)
{
    char tmp[40];
    if (!isfinite(v)) {
        jw_null(w);
        return;
    }
    if (!begin_value(w))
        return;
    /* Scores, yields, areas: a few decimals.  When ll / 10^k (an exact
     * integer over an exact power of ten, so one correctly rounded division)
     * equals v, the decimal text of ll reads back as v. */
    static const double pow10[] = {1, 10, 100, 1000, 10000};
    if (fabs(v) < 1e12) {
        for (int k = 0; k <= 4; k++) {
            double m = v * pow10[k];
            long long ll = llround(m);
            if ((double)ll / pow10[k] != v)
                continue;
            char ibuf[24];
            char *digits = format_int(ibuf, ll < 0 ? -ll : ll);
            size_t nd = (size_t)(ibuf + 24 - digits), pos = 0;
            if (signbit(v))                     /* -0.0 keeps its sign */
                tmp[pos++] = '-';
            if (nd <= (size_t)k) {              /* 0.05: leading zeros */
                tmp[pos++] = '0';
                tmp[pos++] = '.';
                for (size_t z = nd; z < (size_t)k; z++)
                    tmp[pos++] = '0';
                memcpy(tmp + pos, digits, nd);
                pos += nd;
            } else {
                memcpy(tmp + pos, digits, nd - (size_t)k);
                pos += nd - (size_t)k;
                tmp[pos++] = '.';
                if (k == 0) {
                    tmp[pos++] = '0';
                } else {
                    memcpy(tmp + pos, digits + nd - k, (size_t)k);
                    pos += (size_t)k;
                }
            }
            put(w, tmp, pos);
            return;
        }
    }
    int n = snprintf(tmp, sizeof tmp, "%.15g", v);
    if (strtod(tmp, NULL) != v)
        n = snprintf(tmp, sizeof tmp, "%.17g", v);
    if (strpbrk(tmp, ".eEn") == NULL && n + 2 < (int)sizeof tmp) {
        memcpy(tmp + n, ".0", 3);
        n += 2;
    }
    put(w, tmp, (size_t)n);
}

void jw_real_prec(jsonw *w, double v, int precision)
{
    char tmp[48];
    if (!isfinite(v)) {
        jw_null(w);
        return;
    }
    if (!begin_value(w))
        return;
    if (precision < 1 || precision > 17)
        precision = 17;
    int n = snprintf(tmp, sizeof tmp - 3, "%.*g", precision, v);
    if (strchr(tmp, '.') == NULL && strchr(tmp, 'e') == NULL) {
        tmp[n++] = '.';
        tmp[n++] = '0';
        tmp[n] = '\0';
    }
    char *e = strchr(tmp, 'e');
    if (e) {   /* "1e+21" -> "1e21", "1e-05" -> "1e-5" */
        char *d = e + 1, *q = e + 1;
        if (*q == '+')
            q++;
        else if (*q == '-')
            *d++ = *q++;
        while (*q == '0' && q[1] != '\0')
            q++;
        memmove(d, q, strlen(q) + 1);
        n = (int)strlen(tmp);
    }
    put(w, tmp, (size_t)n);
}

void jw_bool(jsonw *w, bool v)
{
    if (begin_value(w))
        put(w, v ? "true" : "false", v ? 4 : 5);
}

void jw_null(jsonw *w)
{
    if (begin_value(w))
        put(w, "null", 4);
}
