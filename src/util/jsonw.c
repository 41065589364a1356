/*
 * jsonw.c - the streaming JSON writer; see jsonw.h.
 */
#include "util/jsonw.h"
#include "util/arena.h"
#include "util/copy.h"
#include "util/error.h"

#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#if defined(__SSE2__)
#include <emmintrin.h>
#endif

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

void jw_init_arena(jsonw *w, buf *b, arena *a, size_t size)
{
    jw_init(w, b);
    w->arena = a;
    if (size < 64)
        size = 64;
    *b = (buf)BUF_INIT(0);
    b->data = arena_alloc(a, size);
    if (b->data == NULL) {
        w->err = -PT_ERR_NOMEM;
        return;
    }
    b->alloc = size;
    b->data[0] = '\0';
}

/* Room for n more bytes and the NUL, growing the buf; false with w->err
 * set when it cannot (a cap, or out of memory). */
static bool grow(jsonw *w, size_t n)
{
    buf *b = w->b;
    if (w->arena == NULL)
        return (w->err = buf_reserve(b, n)) == 0;
    size_t need = b->len + n + 1, size = b->alloc;
    if (need <= size)
        return true;
    while (size < need)
        size *= 2;
    char *p = arena_alloc(w->arena, size);
    if (p == NULL) {
        w->err = -PT_ERR_NOMEM;
        return false;
    }
    memcpy(p, b->data, b->len + 1);
    b->data = p;
    b->alloc = size;
    return true;
}

char *jw_finish_to_arena(jsonw *w, arena *a)
{
    if (w->arena == a)
        return jw_finish(w) == 0 ? w->b->data : NULL;
    char *out = NULL;
    if (jw_finish(w) == 0 && (out = arena_alloc(a, w->b->len + 1)) != NULL) {
        if (w->b->len)
            memcpy(out, w->b->data, w->b->len);
        out[w->b->len] = '\0';
    }
    if (w->arena == NULL)
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
    if ((b->len + n < b->alloc && (b->cap == 0 || b->len + n <= b->cap)) || grow(w, n)) {
        memcpy(b->data + b->len, p, n);
        b->len += n;
        b->data[b->len] = '\0';
    }
}

/* Separates a value from what came before it at this level. */
static inline bool begin_value(jsonw *w)
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

/* The fast paths' start of a value: with no error, compact separators and
 * room for a comma, n bytes and the NUL already there, writes the comma the
 * value needs (none after a key or first at its level), marks the level and
 * returns where the value's n bytes go; the caller writes them and sets the
 * length with value_done().  Otherwise NULL, with nothing written or
 * changed (the caller takes the general path). */
static inline char *value_at(jsonw *w, size_t n)
{
    buf *b = w->b;
    if (w->err || w->spaced || !(b->len + n + 1 < b->alloc && b->cap == 0))
        return NULL;
    char *o = b->data + b->len;
    if (w->after_key) {
        w->after_key = false;
    } else {
        *o = ',';
        o += w->need_comma[w->depth];
        w->need_comma[w->depth] = true;
    }
    return o;
}

/* Ends a value written at value_at(): end is just past its last byte. */
static inline void value_done(jsonw *w, char *end)
{
    *end = '\0';
    w->b->len = (size_t)(end - w->b->data);
}

/* open_level's general path (out of line: the fast path saves no
 * registers). */
static __attribute__((noinline)) void open_level_slow(jsonw *w, char open, char close)
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

static inline __attribute__((always_inline)) void open_level(jsonw *w, char open, char close)
{
    char *o;
    if (w->depth < JSONW_MAX_DEPTH && (o = value_at(w, 1)) != NULL) {
        *o = open;
        value_done(w, o + 1);
        w->depth++;
        w->need_comma[w->depth] = false;
        w->close[w->depth] = close;
        return;
    }
    open_level_slow(w, open, close);
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
    buf *b = w->b;
    if (b->len + 1 < b->alloc && b->cap == 0) {
        b->data[b->len++] = w->close[w->depth];
        b->data[b->len] = '\0';
    } else {
        put(w, &w->close[w->depth], 1);
    }
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

#if defined(__SSE2__)
/* Bit i set when byte i of v needs care: a control or a byte from 0x80 up
 * (below 0x20 as signed bytes), '"' or '\\'. */
static inline unsigned care_mask(__m128i v)
{
    __m128i m = _mm_or_si128(_mm_cmplt_epi8(v, _mm_set1_epi8(0x20)),
                             _mm_or_si128(_mm_cmpeq_epi8(v, _mm_set1_epi8('"')),
                                          _mm_cmpeq_epi8(v, _mm_set1_epi8('\\'))));
    return (unsigned)_mm_movemask_epi8(m);
}

/* The same for the 16 bytes at p. */
static inline unsigned care_mask16(const unsigned char *p)
{
    return care_mask(_mm_loadu_si128((const __m128i *)(const void *)p));
}

/* True when none of the n bytes of p needs care, for 4 <= n < 16: two
 * overlapping loads (of 8 bytes from 8 up, of 4 below) in one vector, one
 * test, without reading outside the n bytes. */
static inline bool short_plain(const unsigned char *p, size_t n)
{
    if (n >= 8) {
        uint64_t lo, hi;
        memcpy(&lo, p, 8);
        memcpy(&hi, p + n - 8, 8);
        return care_mask(_mm_set_epi64x((long long)hi, (long long)lo)) == 0;
    }
    uint32_t lo, hi;
    memcpy(&lo, p, 4);
    memcpy(&hi, p + n - 4, 4);
    /* the upper eight bytes are zeros, which the mask's low byte ignores */
    return (care_mask(_mm_cvtsi64_si128((long long)((uint64_t)hi << 32 | lo))) & 0xFF) == 0;
}
#endif

/* How many of the first n bytes of p need no care: sixteen at a time (SSE2;
 * the last sixteen overlapping the ones before) while sixteen are left,
 * else eight at a time, then byte by byte. */
static inline __attribute__((always_inline)) size_t plain_prefix(const unsigned char *p, size_t n)
{
    size_t i = 0;
#if defined(__SSE2__)
    if (n >= 16) {
        for (; i + 16 <= n; i += 16) {
            unsigned m = care_mask16(p + i);
            if (m)
                return i + (size_t)__builtin_ctz(m);
        }
        if (i < n) {
            /* bytes n-16 .. i-1 are known plain: their bits are clear */
            unsigned m = care_mask16(p + n - 16) >> (16 - (n - i));
            return m ? i + (size_t)__builtin_ctz(m) : n;
        }
        return n;
    }
#endif
#if defined(__SSE2__)
    if (n >= 4 && short_plain(p, n))   /* short plain text: one test */
        return n;
#endif
    uint64_t v;
    for (; i + 8 <= n; i += 8) {
        memcpy(&v, p + i, 8);
        if (!lanes_plain(v))
            break;
    }
    while (i < n && !needs_care[p[i]])
        i++;
    return i;
}

/* True when none of the n bytes of p needs care: whole words, the last one
 * overlapping the one before, so a short text costs one or two tests. */
static inline __attribute__((always_inline)) bool all_plain(const unsigned char *p, size_t n)
{
    uint64_t v;
#if defined(__SSE2__)
    if (n >= 16)
        return plain_prefix(p, n) == n;
    if (n >= 4)
        return short_plain(p, n);
#endif
    if (n >= 8) {
        size_t i = 0;
        for (; i + 8 < n; i += 8) {
            memcpy(&v, p + i, 8);
            if (!lanes_plain(v))
                return false;
        }
        memcpy(&v, p + n - 8, 8);
        return lanes_plain(v);
    }
    if (n >= 4) {
        uint32_t lo, hi;
        memcpy(&lo, p, 4);
        memcpy(&hi, p + n - 4, 4);
        return lanes_plain(lo | (uint64_t)hi << 32);
    }
    for (size_t i = 0; i < n; i++)
        if (needs_care[p[i]])
            return false;
    return true;
}


/* Room for n more bytes (and the NUL) at the end of w's buf, or false with
 * w->err set.  A capped buf always goes through buf_reserve, which checks
 * the cap. */
static inline bool room(jsonw *w, size_t n)
{
    buf *b = w->b;
    if (b->len + n < b->alloc && b->cap == 0)
        return true;
    return grow(w, n);
}

/* The escaped text of s between quotes: plain runs copied whole, found
 * sixteen or eight bytes at a time, and each byte that needs care escaped
 * (or, within a valid UTF-8 sequence, kept). */
static void put_escaped(jsonw *w, const char *s, size_t n)
{
    static const char hex[] = "0123456789ABCDEF";
    const unsigned char *p = (const unsigned char *)s, *end = p + n, *run = p;
    size_t plain = plain_prefix(p, n);
    /* the common case: printable ASCII only, copied in one go */
    if (plain == n) {
        if (w->err == 0 && room(w, n + 2)) {
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
    while (w->err == 0) {
        if (p == end)
            break;
        unsigned c = *p;
        if (c >= 0x80) {
            /* a run of valid UTF-8 sequences stays as it is */
            size_t len;
            while (p < end && *p >= 0x80 && (len = utf8_len(p, (size_t)(end - p))) > 1)
                p += len;
            if (p == end)
                break;
            c = *p;
            if (!needs_care[c]) {
                p += plain_prefix(p, (size_t)(end - p));
                continue;
            }
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
        p += plain_prefix(p, (size_t)(end - p));
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
    if (all_plain((const unsigned char *)key, n) && room(w, n + 6)) {
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

/* Whether a member may be written here in one piece: no error, inside an
 * object, not after a key, compact separators. */
static inline bool member_here(const jsonw *w)
{
    return w->err == 0 && !w->after_key && !w->spaced && w->close[w->depth] == '}';
}

#if defined(__SANITIZE_ADDRESS__)
#define JSONW_CHECK_LIT 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define JSONW_CHECK_LIT 1
#endif
#endif

/* The literal ",\"key\":" of n bytes without its comma when none is due:
 * written as it is, and the level marked as needing one.  Returns false,
 * writing nothing, when the member cannot be written in one piece here. */
static inline bool put_lit(jsonw *w, const char *lit, size_t n, size_t extra)
{
#ifdef JSONW_CHECK_LIT
    if (n < 4 || memcmp(lit, ",\"", 2) != 0 || memcmp(lit + n - 2, "\":", 2) != 0 ||
        !all_plain((const unsigned char *)lit + 2, n - 4))
        abort();   /* jw_key(): not a plain literal key */
#endif
    if (!member_here(w))
        return false;
    bool comma = w->need_comma[w->depth];
    lit += !comma;
    n -= !comma;
    if (!room(w, n + extra))
        return true;   /* the error is set */
    copy_short(w->b->data + w->b->len, lit, n);
    w->b->len += n;
    w->need_comma[w->depth] = true;
    return true;
}

void jw_key_lit(jsonw *w, const char *lit, size_t n)
{
    if (put_lit(w, lit, n, 0)) {
        if (w->err == 0) {
            w->b->data[w->b->len] = '\0';
            w->after_key = true;
        }
        return;
    }
    jw_key_n(w, lit + 2, n - 4);
}

static void strn_slow(jsonw *w, const char *s, size_t n);

void jw_kstr_lit(jsonw *w, const char *lit, size_t n, const char *s)
{
    if (s == NULL) {
        jw_key_lit(w, lit, n);
        jw_null(w);
        return;
    }
    size_t sn = strlen(s);
    if (all_plain((const unsigned char *)s, sn) && put_lit(w, lit, n, sn + 2)) {
        if (w->err == 0) {
            char *o = w->b->data + w->b->len;
            o[0] = '"';
            copy_short(o + 1, s, sn);
            o[sn + 1] = '"';
            o[sn + 2] = '\0';
            w->b->len += sn + 2;
        }
        return;
    }
    jw_key_lit(w, lit, n);
    strn_slow(w, s, sn);
}

/* jw_strn's general path. */
static __attribute__((noinline)) void strn_slow(jsonw *w, const char *s, size_t n)
{
    if (begin_value(w))
        put_escaped(w, s, n);
}

void jw_strn(jsonw *w, const char *s, size_t n)
{
    char *o;
    /* a short plain text in one piece; a longer one is scanned once, in
     * put_escaped */
    if (n < 16 && all_plain((const unsigned char *)s, n) && (o = value_at(w, n + 2)) != NULL) {
        o[0] = '"';
        copy_short(o + 1, s, n);
        o[n + 1] = '"';
        value_done(w, o + n + 2);
        return;
    }
    strn_slow(w, s, n);
}

void jw_str(jsonw *w, const char *s)
{
    if (s == NULL)
        jw_null(w);
    else
        jw_strn(w, s, strlen(s));
}

/* "00" to "99". */
static const char digit_pairs[201] =
    "00010203040506070809101112131415161718192021222324252627282930313233343536373839"
    "40414243444546474849505152535455565758596061626364656667686970717273747576777879"
    "8081828384858687888990919293949596979899";

/* Decimal digits of v into the end of tmp[24]; returns the first.  Two
 * digits per division. */
static char *format_int(char tmp[24], int64_t v)
{
    char *o = tmp + 24;
    uint64_t u = v < 0 ? 0 - (uint64_t)v : (uint64_t)v;
    while (u >= 100) {
        unsigned d = (unsigned)(u % 100) * 2;
        u /= 100;
        o -= 2;
        memcpy(o, digit_pairs + d, 2);
    }
    if (u >= 10) {
        o -= 2;
        memcpy(o, digit_pairs + u * 2, 2);
    } else {
        *--o = (char)('0' + u);
    }
    if (v < 0)
        *--o = '-';
    return o;
}

void jw_int(jsonw *w, int64_t v)
{
    char tmp[24];
    char *d = format_int(tmp, v), *o;
    size_t dn = (size_t)(tmp + 24 - d);
    if ((o = value_at(w, dn)) != NULL) {
        copy_short(o, d, dn);
        value_done(w, o + dn);
        return;
    }
    if (begin_value(w))
        put(w, d, dn);
}

void jw_kint_lit(jsonw *w, const char *lit, size_t n, int64_t v)
{
    char tmp[24];
    char *d = format_int(tmp, v);
    size_t dn = (size_t)(tmp + 24 - d);
    if (put_lit(w, lit, n, dn)) {
        if (w->err == 0) {
            char *o = w->b->data + w->b->len;
            copy_short(o, d, dn);
            o[dn] = '\0';
            w->b->len += dn;
        }
        return;
    }
    jw_key_lit(w, lit, n);
    jw_int(w, v);
}

/* ---- reals: the shortest of %.15g / %.17g that reads back, exactly ------ */

typedef unsigned __int128 u128;

/* 10^i as 128-bit integers, i = 0..20. */
static const u128 pow10_128[21] = {
    1ull, 10ull, 100ull, 1000ull, 10000ull, 100000ull, 1000000ull, 10000000ull, 100000000ull,
    1000000000ull, 10000000000ull, 100000000000ull, 1000000000000ull, 10000000000000ull,
    100000000000000ull, 1000000000000000ull, 10000000000000000ull, 100000000000000000ull,
    1000000000000000000ull, 10000000000000000000ull, (u128)10000000000000000000ull * 10,
};
#define pow10_u128(i) pow10_128[i]

/* q (precision digits, 10^(P-1) <= q < 10^P) as "%.Pg" prints a value
 * whose decimal exponent x has -4 <= x < P: fixed notation, trailing zeros
 * and a bare '.' dropped.  Returns the length written to out. */
static size_t fixed_g(char *out, bool neg, unsigned long long q, int precision, int x)
{
    char digits[24];
    size_t o = 0;
    for (int i = precision - 1; i >= 0; i--) {
        digits[i] = (char)('0' + q % 10);
        q /= 10;
    }
    int nd = precision;
    int int_digits = x >= 0 ? x + 1 : 0;
    while (nd > int_digits && digits[nd - 1] == '0')   /* trailing zeros of the fraction */
        nd--;
    if (neg)
        out[o++] = '-';
    if (x >= 0) {
        memcpy(out + o, digits, (size_t)int_digits);
        o += (size_t)int_digits;
    } else {
        out[o++] = '0';
    }
    if (nd > int_digits) {
        out[o++] = '.';
        for (int z = 0; x < 0 && z < -x - 1; z++)
            out[o++] = '0';
        memcpy(out + o, digits + int_digits, (size_t)(nd - int_digits));
        o += (size_t)(nd - int_digits);
    }
    return o;
}

/* m / 2^s (exact) times 10^k, rounded to an integer half to even. */
static u128 scaled_round(uint64_t m, int s, int k)
{
    u128 num = (u128)m * pow10_u128(k);
    u128 q = num >> s, r = num & (((u128)1 << s) - 1), half = (u128)1 << (s - 1);
    if (r > half || (r == half && (q & 1)))
        q++;
    return q;
}

/* What snprintf "%.15g" (or "%.17g" when that does not read back as v)
 * writes for v, computed with 128-bit integers, for normal non-integral v
 * with 1e-4 <= |v| < 1e15; returns 0 outside that (the caller prints).
 * Exact: v = m / 2^s with m < 2^53 and s <= 70, so v * 10^k for k <= 20
 * fits in 128 bits, and rounding it to an integer is what a correctly
 * rounded printf does (glibc's); whether 15 digits read back is decided
 * the way strtod rounds, to nearest and ties to even. */
static size_t real_text_fast(char *out, double v)
{
    double av = fabs(v);
    if (!(av >= 1e-4 && av < 1e15))
        return 0;
    uint64_t bits;
    memcpy(&bits, &av, sizeof bits);
    int be = (int)(bits >> 52);
    if (be == 0)
        return 0;                          /* subnormal */
    uint64_t m = (bits & ((1ull << 52) - 1)) | (1ull << 52);
    int s = 1075 - be;                     /* av = m / 2^s */
    if (s <= 0 || s > 70)
        return 0;                          /* an integer, or too small */
    /* x = floor(log10(av)), from the binary exponent (off by one at most),
     * then checked exactly: 10^x <= av < 10^(x+1) */
    int x = (be - 1023) * 78913 / 262144 - (be < 1023);   /* 78913 / 2^18 ~ log10(2) */
    bool exact = false;
    for (int tries = 0; tries < 3 && !exact && x >= -5 && x <= 15; tries++) {
        /* av >= 10^y  <=>  m * 10^-y >= 2^s (y < 0), m >= 10^y * 2^s (y >= 0) */
        bool ge_x = x >= 0 ? (u128)m >= pow10_u128(x) << s : (u128)m * pow10_u128(-x) >= (u128)1 << s;
        bool ge_x1 = x + 1 >= 0 ? (u128)m >= pow10_u128(x + 1) << s
                                : (u128)m * pow10_u128(-x - 1) >= (u128)1 << s;
        if (!ge_x)
            x--;
        else if (ge_x1)
            x++;
        else
            exact = true;
    }
    if (!exact || x < -4 || x > 14)
        return 0;
    bool neg = v < 0;
    for (int precision = 15; precision <= 17; precision += 2) {
        int k = precision - 1 - x, xp = x;
        u128 q = scaled_round(m, s, k);
        if (q == pow10_u128(precision)) {  /* 9.99..95 rounds up to 10.0 */
            q /= 10;
            xp++;
            if (xp >= precision)
                return 0;
        }
        if (precision == 15) {
            /* does q * 10^(xp-14) read back as v?  In units of
             * 1 / (2^s * 10^k'): d = q * 2^s - m * 10^k' against half a
             * step to the neighbours (the one below is half as far when
             * m is a power of two) */
            int kk = 14 - xp;
            if (kk < 0)
                return 0;
            __int128 d = (__int128)(q << s) - (__int128)((u128)m * pow10_u128(kk));
            u128 ten = pow10_u128(kk);
            bool back;
            if (d >= 0) {
                u128 d2 = (u128)d * 2;
                back = d2 < ten || (d2 == ten && (m & 1) == 0);
            } else {
                u128 d2 = (u128)(-d) * (m == (1ull << 52) ? 4 : 2);
                back = d2 < ten || (d2 == ten && ((m & 1) == 0 || m == (1ull << 52)));
            }
            if (!back)
                continue;
        }
        size_t n = fixed_g(out, neg, (unsigned long long)q, precision, xp);
        if (memchr(out, '.', n) == NULL) {
            memcpy(out + n, ".0", 2);
            n += 2;
        }
        return n;
    }
    return 0;
}

/* False when v certainly has more than four decimals (a confidence, a
 * score), so the loop in jw_real that looks for them cannot succeed and is
 * skipped.  If v = ll / 10^k (k <= 4, the division correctly rounded), then
 * v * 10^4 is within 1.2 units in its last place of an integer; a value
 * further than 16 of those from every integer has more decimals.  Near
 * 2^50 and beyond, or unsure: true (the loop decides). */
static bool few_decimals(double v)
{
    double m = v * 1e4, am = fabs(m);
    if (!(am < 0x1p50))
        return true;
    double r = (am + 0x1p52) - 0x1p52;   /* am rounded to an integer */
    return fabs(am - r) <= am * 0x1p-48;
}

/* m rounded to the nearest integer, without a libm call below 2^51 (by
 * adding and taking away 1.5 * 2^52); halves go to even there and away
 * from zero above, which jw_real cannot tell apart: a candidate ll is kept
 * only when ll / 10^k is v, and neither integer next to a half is (each
 * is half of 10^-k away from v, more than half an ulp of v while
 * |m| < 2^52). */
static inline long long round_ll(double m)
{
    if (fabs(m) < 0x1p51)
        return (long long)((m + 0x1.8p52) - 0x1.8p52);
    return llround(m);
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
    if (fabs(v) < 1e12 && few_decimals(v)) {
        for (int k = 0; k <= 4; k++) {
            double m = v * pow10[k];
            long long ll = round_ll(m);
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
    size_t fast = real_text_fast(tmp, v);
    if (fast) {
        put(w, tmp, fast);
        return;
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
    char *o;
    if ((o = value_at(w, 5)) != NULL) {
        memcpy(o, v ? "true" : "fals", 4);
        o[4] = 'e';
        value_done(w, o + 4 + !v);
        return;
    }
    if (begin_value(w))
        put(w, v ? "true" : "false", v ? 4 : 5);
}

void jw_null(jsonw *w)
{
    char *o;
    if ((o = value_at(w, 4)) != NULL) {
        memcpy(o, "null", 4);
        value_done(w, o + 4);
        return;
    }
    if (begin_value(w))
        put(w, "null", 4);
}

void jw_raw(jsonw *w, const char *json, size_t n)
{
    char *o;
    if ((o = value_at(w, n)) != NULL) {
        memcpy(o, json, n);
        value_done(w, o + n);
        return;
    }
    if (begin_value(w))
        put(w, json, n);
}
