/*
 * test_util.c - arena, buf, error table and time zone tests.
 */
#include "test.h"
#include "util/jsonw.h"

#include <jansson.h>
#include <stdbool.h>

#include "util/arena.h"
#include "util/buf.h"
#include "util/error.h"
#include "util/tz.h"
#include "core/iso.h"

#include <math.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

TEST(test_arena)
{
    arena a;
    arena_init(&a, 1 << 20);
    char *s = arena_strdup(&a, "hello");
    CHECK_STR(s, "hello");
    void *p = arena_alloc(&a, 100000);
    CHECK(p != NULL, "big alloc");
    CHECK(((uintptr_t)p & 15) == 0, "aligned");
    CHECK(arena_alloc(&a, 2 << 20) == NULL, "cap enforced");
    char *f = arena_printf(&a, "%d-%s", 42, "x");
    CHECK_STR(f, "42-x");
    for (int i = 0; i < 1000; i++)
        CHECK(arena_alloc(&a, 500) != NULL || a.used_total > (1 << 20) - 600, "many small");
    arena_release(&a);
    CHECK(arena_strdup(&a, NULL) == NULL, "null-safe");
}

/* One request's worth of chunks: a turn's arena outgrows the inline chunk. */
static void *arena_turns(void *arg)
{
    int *reused = arg;
    void *last = NULL;
    for (int i = 0; i < 50; i++) {
        arena a;
        arena_init(&a, 0);
        for (int k = 0; k < 40; k++)
            memset(arena_alloc(&a, 1500), 0xab, 1500);   /* ~60 KB: three chunks */
        void *chunk = a.head;
        if (chunk == last)
            (*reused)++;
        last = chunk;
        arena_release(&a);
    }
    return NULL;
}

/* arena_release keeps the chunks for the thread's next arena (the newest
 * chunk comes back as the newest again), within its bound, and a thread's
 * spares are freed when it ends (LeakSanitizer fails this test otherwise). */
TEST(test_arena_spares)
{
    int reused = 0;
    arena_turns(&reused);
    CHECK(reused == 49, "chunks reused on one thread: %d of 49", reused);
    pthread_t th[4];
    int counts[4] = {0};
    for (int i = 0; i < 4; i++)
        CHECK(pthread_create(&th[i], NULL, arena_turns, &counts[i]) == 0, "thread %d", i);
    for (int i = 0; i < 4; i++) {
        pthread_join(th[i], NULL);
        CHECK(counts[i] == 49, "thread %d reused %d of 49", i, counts[i]);
    }
    /* bigger than the spare bound: freed, not kept; the arena still works */
    arena a;
    arena_init(&a, 0);
    char *big = arena_alloc(&a, 4u << 20);
    CHECK(big != NULL, "4 MiB chunk");
    memset(big, 1, 4u << 20);
    arena_release(&a);
    CHECK(arena_alloc(&a, 100) != NULL && arena_alloc(&a, 40000) != NULL, "after a big chunk");
    arena_release(&a);
}

/* Twelve turns in flight on one thread (an HTTP worker's share of chat
 * load), each arena one 40,000-byte chunk, are released and come back:
 * every chunk is reused (at a 256 KiB budget half went back to malloc).
 * Run on a thread of its own, whose spares start empty.  *arg: chunks
 * reused in the second round. */
static void *arena_in_flight(void *arg)
{
    enum { N = 12 };
    int *reused = arg;
    arena a[N];
    void *first[N];
    for (int round = 0; round < 2; round++) {
        for (int i = 0; i < N; i++) {
            arena_init(&a[i], 0);
            if (arena_alloc(&a[i], 40000) == NULL)
                return NULL;
            for (int j = 0; round == 1 && j < N; j++)
                *reused += a[i].head == first[j];
            if (round == 0)
                first[i] = a[i].head;
        }
        for (int i = 0; i < N; i++)
            arena_release(&a[i]);
    }
    return NULL;
}

/* A need takes the smallest spare that fits, across the size bins: 18,000
 * bytes take the 20,000-byte chunk, 17,000 then the 70,000 one (the 16 KiB
 * one is too small), 10,000 the 16 KiB one.  On a thread of its own.
 * *arg: the checks that held, of 3. */
static void *arena_best_fit(void *arg)
{
    int *ok = arg;
    arena x, y, z;
    arena_init(&x, 0);
    arena_init(&y, 0);
    arena_init(&z, 0);
    if (!arena_alloc(&x, 20000) || !arena_alloc(&y, 70000) || !arena_alloc(&z, 10000))
        return NULL;
    void *c20 = x.head, *c70 = y.head, *c16 = z.head;
    arena_release(&z);
    arena_release(&y);
    arena_release(&x);
    arena_init(&x, 0);
    arena_init(&y, 0);
    arena_init(&z, 0);
    *ok += arena_alloc(&x, 18000) != NULL && x.head == c20;
    *ok += arena_alloc(&y, 17000) != NULL && y.head == c70;
    *ok += arena_alloc(&z, 10000) != NULL && z.head == c16;
    arena_release(&x);
    arena_release(&y);
    arena_release(&z);
    return NULL;
}

TEST(test_arena_spare_bins)
{
    pthread_t th;
    int reused = 0, fit = 0;
    CHECK(pthread_create(&th, NULL, arena_in_flight, &reused) == 0, "thread");
    pthread_join(th, NULL);
    CHECK(reused == 12, "chunks of 12 turns in flight reused: %d of 12", reused);
    CHECK(pthread_create(&th, NULL, arena_best_fit, &fit) == 0, "thread");
    pthread_join(th, NULL);
    CHECK(fit == 3, "best fit across the bins: %d of 3", fit);
}

TEST(test_buf)
{
    buf b = BUF_INIT(16);
    CHECK_INT(buf_puts(&b, "0123456789"), 0);
    CHECK_INT(buf_puts(&b, "0123456789"), -PT_ERR_TOO_LARGE);
    CHECK_STR(buf_cstr(&b), "0123456789");
    CHECK_INT(buf_printf(&b, "%s", "abc"), 0);
    CHECK_INT((long)b.len, 13);
    buf_free(&b);
    CHECK_STR(buf_cstr(&b), "");
}

TEST(test_errors)
{
    CHECK_STR(pt_err_name(-PT_ERR_NOT_FOUND), "not_found");
    CHECK_INT(pt_err_http_status(-PT_ERR_TOO_LARGE), 413);
    CHECK_INT(pt_err_http_status(-PT_ERR_MISSING), 422);
    pt_error e = {0};
    int rc = pt_fail(&e, PT_ERR_INVALID, "budget \"%s\": unknown unit", "2 croress");
    CHECK_INT(rc, -PT_ERR_INVALID);
    pt_fail(&e, PT_ERR_IO, "second");
    CHECK_STR(e.msg, "budget \"2 croress\": unknown unit");
}

TEST(test_tz)
{
    int off = -1;
    CHECK_INT(tz_offset("Asia/Dubai", 1795000000, &off), 0);
    CHECK_INT(off, 4 * 3600);
    CHECK_INT(tz_offset("Asia/Kolkata", 1795000000, &off), 0);
    CHECK_INT(off, 5 * 3600 + 1800);
    CHECK_INT(tz_offset("UTC", 0, &off), 0);
    CHECK_INT(off, 0);
    CHECK(tz_offset("No/Such_Zone", 0, &off) < 0, "missing zone");
    CHECK(!tz_exists("../../etc/passwd"), "no path traversal");
    /* Europe/London: summer +1, winter 0 */
    CHECK_INT(tz_offset("Europe/London", 1782000000 /* 2026-06 */, &off), 0);
    CHECK_INT(off, 3600);
    struct tm tm = {0};
    tz_localtime("Asia/Kolkata", 0, &tm);
    CHECK_INT(tm.tm_hour, 5);
    CHECK_INT(tm.tm_min, 30);
    CHECK_INT((long)tz_mktime("Asia/Kolkata", &tm), 0);
}

/* Writes with jsonw and reads back with jansson. */
TEST(test_jsonw)
{
    buf b = BUF_INIT(0);
    jsonw w;
    jw_init(&w, &b);
    jw_obj(&w);
    jw_kstr(&w, "s", "a\"b\\c\n\t\x01 \xD8\xB9\xD8\xB1\xD8\xA8\xDB\x8C");  /* escapes, Arabic */
    jw_kstr(&w, "bad", "x\xFFy\xC3(z\xED\xA0\x80");    /* invalid UTF-8, surrogate */
    jw_knull(&w, "n");
    jw_kstr(&w, "nul", NULL);
    jw_kint(&w, "i", -9007199254740993LL);
    jw_kreal(&w, "r", 0.1);
    jw_kreal(&w, "whole", 3.0);
    jw_kreal(&w, "nan", 0.0 / 0.0);
    jw_kbool(&w, "t", true);
    jw_key(&w, "a");
    jw_arr(&w);
    jw_int(&w, 1);
    jw_obj(&w);
    jw_end(&w);
    jw_arr(&w);
    jw_end(&w);
    jw_str(&w, "");
    jw_end(&w);
    jw_end(&w);
    CHECK_INT(jw_finish(&w), 0);
    json_error_t je;
    json_t *o = json_loads(buf_cstr(&b), 0, &je);
    CHECK(o != NULL, "parse: %s in %s", je.text, buf_cstr(&b));
    CHECK_STR(json_string_value(json_object_get(o, "s")), "a\"b\\c\n\t\x01 \xD8\xB9\xD8\xB1\xD8\xA8\xDB\x8C");
    CHECK_STR(json_string_value(json_object_get(o, "bad")),
              "x\xEF\xBF\xBDy\xEF\xBF\xBD(z\xEF\xBF\xBD\xEF\xBF\xBD\xEF\xBF\xBD");
    CHECK(json_is_null(json_object_get(o, "n")) && json_is_null(json_object_get(o, "nul")), "nulls");
    CHECK_INT(json_integer_value(json_object_get(o, "i")), -9007199254740993LL);
    CHECK(json_is_real(json_object_get(o, "r")) && json_real_value(json_object_get(o, "r")) == 0.1, "0.1 exact");
    CHECK(json_is_real(json_object_get(o, "whole")), "3.0 stays a real: %s", buf_cstr(&b));
    CHECK(json_is_null(json_object_get(o, "nan")), "NaN is null");
    CHECK(json_is_true(json_object_get(o, "t")), "true");
    CHECK_INT(json_array_size(json_object_get(o, "a")), 4);
    json_decref(o);

    /* reals: short where exact, always read back as the same double */
    static const struct { double v; const char *text; } reals[] = {
        {4.5, "4.5"}, {0.05, "0.05"}, {-0.5, "-0.5"}, {1234.5678, "1234.5678"}, {3.0, "3.0"},
        {-12.0, "-12.0"}, {0.0, "0.0"}, {1e-7, NULL}, {1e20, NULL}, {0.1 + 0.2, NULL},
        {123456.00001, NULL}, {2.0 / 3.0, NULL}, {-1e300, NULL},
    };
    for (size_t i = 0; i < sizeof reals / sizeof reals[0]; i++) {
        buf_reset(&b);
        jw_init(&w, &b);
        jw_real(&w, reals[i].v);
        CHECK_INT(jw_finish(&w), 0);
        if (reals[i].text)
            CHECK_STR(buf_cstr(&b), reals[i].text);
        json_t *r = json_loads(buf_cstr(&b), JSON_DECODE_ANY, NULL);
        CHECK(json_is_real(r) && json_real_value(r) == reals[i].v, "%s reads back as %.17g",
              buf_cstr(&b), reals[i].v);
        json_decref(r);
    }
    buf_reset(&b);
    jw_init(&w, &b);
    jw_arr(&w);
    jw_int(&w, INT64_MIN);
    jw_int(&w, INT64_MAX);
    jw_int(&w, 0);
    jw_end(&w);
    CHECK_STR(buf_cstr(&b), "[-9223372036854775808,9223372036854775807,0]");
    /* integers of every length, both signs, against printf */
    uint64_t iseed = 12345;
    int ibad = 0;
    for (int i = 0; i < 100000; i++) {
        iseed = iseed * 6364136223846793005ull + 1442695040888963407ull;
        int64_t v = (int64_t)(iseed >> (i % 64));
        if (i & 1)
            v = -v;
        char want[32];
        snprintf(want, sizeof want, "%lld", (long long)v);
        buf_reset(&b);
        jw_init(&w, &b);
        jw_int(&w, v);
        if (strcmp(buf_cstr(&b), want) != 0 && ibad++ < 5)
            CHECK(false, "%s, not %s", buf_cstr(&b), want);
    }
    CHECK_INT(ibad, 0);

    /* strings: a byte that needs escaping (or a UTF-8 sequence) at every
     * position of a longer plain string, against a byte-by-byte escaper;
     * keys the same way */
    static const char *const specials[] = {"\"", "\\", "\n", "\x01", "\x1f", "\x7f", " ", "\xC3\xA9",
                                           "\xFF", "\xE2\x82\xAC", "\xED\xA0\x80", "\t"};
    for (size_t k = 0; k < sizeof specials / sizeof specials[0]; k++)
        for (int pos = 0; pos <= 24; pos++) {
            char in[64], want[256];
            snprintf(in, sizeof in, "%.*s%s%.*s", pos, "abcdefghijklmnopqrstuvwxyz", specials[k],
                     24 - pos, "ABCDEFGHIJKLMNOPQRSTUVWXYZ");
            size_t wo = 0;
            want[wo++] = '"';
            for (const unsigned char *q = (const unsigned char *)in; *q; q++) {
                if (*q == '"' || *q == '\\') {
                    want[wo++] = '\\';
                    want[wo++] = (char)*q;
                } else if (*q == '\n' || *q == '\t') {
                    want[wo++] = '\\';
                    want[wo++] = *q == '\n' ? 'n' : 't';
                } else if (*q < 0x20) {
                    wo += (size_t)snprintf(want + wo, 8, "\\u%04X", *q);
                } else if (*q >= 0x80 && (k == 8 || k == 10)) {   /* invalid: U+FFFD a byte */
                    memcpy(want + wo, "\xEF\xBF\xBD", 3);
                    wo += 3;
                } else {
                    want[wo++] = (char)*q;
                }
            }
            want[wo++] = '"';
            want[wo] = '\0';
            buf_reset(&b);
            jw_init(&w, &b);
            jw_str(&w, in);
            CHECK_INT(jw_finish(&w), 0);
            CHECK_STR(buf_cstr(&b), want);
            buf_reset(&b);
            jw_init(&w, &b);
            jw_obj(&w);
            jw_key_n(&w, in, strlen(in));
            jw_int(&w, 1);
            jw_end(&w);
            char wantk[300];
            snprintf(wantk, sizeof wantk, "{%s:1}", want);
            CHECK_STR(buf_cstr(&b), wantk);
        }

    /* misuse is an error, never bad output */
    buf_reset(&b);
    jw_init(&w, &b);
    jw_arr(&w);
    jw_key(&w, "k");                   /* a key in an array */
    CHECK(jw_finish(&w) != 0, "key in array");
    jw_init(&w, &b);
    jw_obj(&w);
    CHECK(jw_finish(&w) != 0, "left open");
    jw_init(&w, &b);
    for (int i = 0; i < JSONW_MAX_DEPTH + 2; i++)
        jw_arr(&w);
    CHECK(jw_finish(&w) != 0, "too deep");
    buf capped = BUF_INIT(8);
    jw_init(&w, &capped);
    jw_obj(&w);
    jw_kstr(&w, "long", "more than eight bytes");
    jw_end(&w);
    CHECK_INT(jw_finish(&w), -PT_ERR_TOO_LARGE);
    buf_free(&capped);
    buf_free(&b);
}

/* The reference for string escapes: one byte (or one valid UTF-8
 * sequence) at a time, the simplest way; returns the length written. */
static size_t escape_slow(const unsigned char *in, size_t n, char *out)
{
    size_t o = 0;
    out[o++] = '"';
    for (size_t i = 0; i < n;) {
        unsigned c = in[i];
        size_t len = c < 0x80 ? 1 : c >= 0xC2 && c <= 0xDF ? 2 : c >= 0xE0 && c <= 0xEF ? 3
                   : c >= 0xF0 && c <= 0xF4 ? 4 : 0;
        if (len > 1) {
            uint32_t cp = c & (0xFFu >> (len + 1));
            bool ok = i + len <= n;
            for (size_t k = 1; ok && k < len; k++) {
                ok = (in[i + k] & 0xC0) == 0x80;
                cp = cp << 6 | (in[i + k] & 0x3F);
            }
            uint32_t min = len == 2 ? 0x80 : len == 3 ? 0x800 : 0x10000;
            if (ok && cp >= min && cp <= 0x10FFFF && !(cp >= 0xD800 && cp <= 0xDFFF)) {
                memcpy(out + o, in + i, len);
                o += len;
                i += len;
                continue;
            }
            len = 0;
        }
        if (len == 0) {
            memcpy(out + o, "\xEF\xBF\xBD", 3);
            o += 3;
        } else if (c == '"' || c == '\\') {
            out[o++] = '\\';
            out[o++] = (char)c;
        } else if (c == '\n' || c == '\r' || c == '\t' || c == '\b' || c == '\f') {
            out[o++] = '\\';
            out[o++] = c == '\n' ? 'n' : c == '\r' ? 'r' : c == '\t' ? 't' : c == '\b' ? 'b' : 'f';
        } else if (c < 0x20) {
            o += (size_t)snprintf(out + o, 8, "\\u%04X", c);
        } else {
            out[o++] = (char)c;
        }
        i++;
    }
    out[o++] = '"';
    out[o] = '\0';
    return o;
}

/* Strings of every length up to 100 (the word and sixteen-byte scans, their
 * overlapping tails), of plain text with escapes, UTF-8 (valid, cut short,
 * surrogates, overlong) and stray bytes anywhere, against escape_slow; as
 * values, as keys and as jw_kstr members, and jw_raw copying one back. */
TEST(test_jsonw_escape_random)
{
    static const char *const pieces[] = {
        "a", "Z", " ", "0", "~", "\x7f", "\"", "\\", "\n", "\r", "\t", "\x01", "\x1f", "\b", "\f",
        "\xC3\xA9", "\xD8\xB9", "\xE2\x82\xAC", "\xF0\x9F\x92\xA1", "\xFF", "\x80", "\xC3",
        "\xE2\x82", "\xED\xA0\x80", "\xC0\xAF", "\xF5\x80\x80\x80", "\xF0\x9F",
    };
    const int np = (int)(sizeof pieces / sizeof pieces[0]);
    uint64_t seed = 0x9E3779B97F4A7C15ull;
    buf b = BUF_INIT(0);
    jsonw w;
    int checked = 0;
    for (int round = 0; round < 20000; round++) {
        unsigned char in[160];
        size_t n = 0, target = (size_t)(round % 101);
        int plain_bias = round % 4;   /* mostly plain text in three rounds of four */
        while (n < target) {
            seed = seed * 6364136223846793005ull + 1442695040888963407ull;
            unsigned r = (unsigned)(seed >> 33);
            const char *pc = plain_bias && r % 16 != 0 ? (const char *[]){"a", "b", " ", "x", "Q", "7"}[r % 6]
                                                      : pieces[r % (unsigned)np];
            size_t pl = strlen(pc);
            if (n + pl > sizeof in)
                break;
            memcpy(in + n, pc, pl);
            n += pl;
        }
        char want[1024], got[3200];
        size_t wl = escape_slow(in, n, want);
        buf_reset(&b);
        jw_init(&w, &b);
        jw_strn(&w, (const char *)in, n);
        CHECK_INT(jw_finish(&w), 0);
        CHECK(b.len == wl && memcmp(buf_cstr(&b), want, wl) == 0, "round %d: %s, not %s", round,
              buf_cstr(&b), want);
        buf_reset(&b);
        jw_init(&w, &b);
        jw_obj(&w);
        jw_key_n(&w, (const char *)in, n);
        jw_int(&w, 1);
        in[n] = '\0';
        if (strlen((const char *)in) == n)
            jw_kstr(&w, "k", (const char *)in);
        else
            jw_kstr(&w, "k", "");
        jw_key(&w, "raw");
        jw_raw(&w, want, wl);
        jw_end(&w);
        CHECK_INT(jw_finish(&w), 0);
        if (strlen((const char *)in) == n)
            snprintf(got, sizeof got, "{%s:1,\"k\":%s,\"raw\":%s}", want, want, want);
        else
            snprintf(got, sizeof got, "{%s:1,\"k\":\"\",\"raw\":%s}", want, want);
        CHECK_STR(buf_cstr(&b), got);
        checked++;
    }
    CHECK_INT(checked, 20000);
    buf_free(&b);
}

/* The literal-key writers (jw_kstr, jw_kint, jw_key of a literal) write
 * what jw_key_n and the value writers write, compact or spaced, first
 * member or not, and fail the same way where they must. */
static void lit_pair(bool spaced, int first, const char *s, int64_t v, size_t cap, char *out_lit,
                     char *out_ref, int *rc_lit, int *rc_ref)
{
    for (int pass = 0; pass < 2; pass++) {
        buf b = BUF_INIT(cap);
        jsonw w;
        if (spaced)
            jw_init_spaced(&w, &b);
        else
            jw_init(&w, &b);
        jw_obj(&w);
        for (int i = 0; i < first; i++) {
            if (pass == 0) {
                jw_kint(&w, "n", i);
            } else {
                jw_key_n(&w, "n", 1);
                jw_int(&w, i);
            }
        }
        if (pass == 0) {
            jw_kstr(&w, "text", s);
            jw_kint(&w, "count_of_things", v);
            jw_key(&w, "a_rather_long_key_name_here");
            jw_str(&w, s);
            jw_kint_or_null(&w, "maybe", v > 0, v);
        } else {
            jw_key_n(&w, "text", 4);
            jw_str(&w, s);
            jw_key_n(&w, "count_of_things", 15);
            jw_int(&w, v);
            jw_key_n(&w, "a_rather_long_key_name_here", 27);
            jw_str(&w, s);
            jw_key_n(&w, "maybe", 5);
            if (v > 0)
                jw_int(&w, v);
            else
                jw_null(&w);
        }
        jw_end(&w);
        int rc = jw_finish(&w);
        snprintf(pass == 0 ? out_lit : out_ref, 512, "%s", rc ? "" : buf_cstr(&b));
        *(pass == 0 ? rc_lit : rc_ref) = rc;
        buf_free(&b);
    }
}

TEST(test_jsonw_literal_keys)
{
    static const char *const texts[] = {
        "", "a", "abc", "abcd", "AED", "investment", "exactly8", "exactly16bytes!!",
        "seventeen bytes..", "thirty-two bytes of plain text..", "thirty-three bytes of plain text..",
        "a longer text of more than thirty-two bytes, plain", "tab\there", "quote\"", "\xD8\xB9\xD8\xB1",
        "x\xFFy", "new\nline in a longer text that goes on and on", NULL,
    };
    static const int64_t ints[] = {0, 7, -1, 1234567, INT64_MIN, INT64_MAX};
    char lit[512], ref[512];
    int rc_lit, rc_ref, cases = 0, same = 0;
    for (size_t t = 0; t < sizeof texts / sizeof texts[0]; t++)
        for (size_t k = 0; k < sizeof ints / sizeof ints[0]; k++)
            for (int spaced = 0; spaced < 2; spaced++)
                for (int first = 0; first < 3; first++)
                    for (size_t cap = 0; cap < 200; cap += cap < 8 ? 8 : 13) {
                        lit_pair(spaced, first, texts[t], ints[k], cap, lit, ref, &rc_lit, &rc_ref);
                        cases++;
                        if (rc_lit == rc_ref && strcmp(lit, ref) == 0)
                            same++;
                        else
                            CHECK(false, "literal keys: %s / %s (rc %d / %d)", lit, ref, rc_lit, rc_ref);
                    }
    CHECK_INT(same, cases);
    lit_pair(false, 1, "AED", 5, 0, lit, ref, &rc_lit, &rc_ref);
    CHECK_STR(lit, "{\"n\":0,\"text\":\"AED\",\"count_of_things\":5,\"a_rather_long_key_name_here\":\"AED\","
                   "\"maybe\":5}");

    /* misuse through a literal key is an error, as through jw_key_n */
    buf b = BUF_INIT(0);
    jsonw w;
    jw_init(&w, &b);
    jw_arr(&w);
    jw_kstr(&w, "k", "v");               /* a member in an array */
    CHECK(jw_finish(&w) != 0, "literal key in array");
    buf_reset(&b);
    jw_init(&w, &b);
    jw_kint(&w, "k", 1);                 /* a member outside any object */
    CHECK(jw_finish(&w) != 0, "literal key at the top");
    buf_reset(&b);
    jw_init(&w, &b);
    jw_obj(&w);
    jw_key(&w, "k");
    jw_kstr(&w, "k2", "v");              /* a key after a key */
    CHECK(jw_finish(&w) != 0, "literal key after a key");
    buf_free(&b);
}

/* jw_init_arena: the same text as through a heap buf, however often it
 * outgrows its block, found where jw_finish_to_arena says; out of arena
 * memory is an error. */
static void arena_doc(jsonw *w, int items)
{
    jw_obj(w);
    jw_kstr(w, "title", "a \"quoted\" title\nwith a newline and \xD8\xB9\xD8\xB1\xD8\xA8\xDB\x8C");
    jw_key(w, "items");
    jw_arr(w);
    for (int i = 0; i < items; i++) {
        jw_obj(w);
        jw_kint(w, "i", i);
        jw_kstr(w, "name", "an item with a name of some length");
        jw_kreal(w, "score", i / 8.0);
        jw_end(w);
    }
    jw_end(w);
    jw_end(w);
}

TEST(test_jsonw_arena)
{
    for (int items = 0; items < 300; items += 37) {
        buf hb = BUF_INIT(0), ab;
        jsonw w;
        jw_init(&w, &hb);
        arena_doc(&w, items);
        CHECK_INT(jw_finish(&w), 0);
        arena a;
        arena_init(&a, 0);
        jw_init_arena(&w, &ab, &a, 1);   /* a tiny start: grows many times */
        arena_doc(&w, items);
        char *text = jw_finish_to_arena(&w, &a);
        CHECK(text != NULL && strcmp(text, buf_cstr(&hb)) == 0, "%d items: the same text", items);
        arena b;
        arena_init(&b, 0);
        jw_init_arena(&w, &ab, &a, 256);
        arena_doc(&w, items);
        char *copy = jw_finish_to_arena(&w, &b);   /* another arena: a copy */
        CHECK(copy != NULL && strcmp(copy, buf_cstr(&hb)) == 0, "%d items: copied to another arena", items);
        arena_release(&b);
        arena_release(&a);
        buf_free(&hb);
    }
    arena small;
    arena_init(&small, 4096);
    buf ab;
    jsonw w;
    jw_init_arena(&w, &ab, &small, 64);
    arena_doc(&w, 200);                  /* ~12 KB: past the cap */
    CHECK(jw_finish(&w) != 0 && jw_finish_to_arena(&w, &small) == NULL, "out of arena memory is an error");
    arena_release(&small);
}

/* jw_real as it was written with printf (the short decimals, then the
 * shortest of %.15g / %.17g that reads back), to check the exact integer
 * formatting that replaced the printf part. */
static void ref_real(char *tmp, size_t size, double v)
{
    static const double pow10[] = {1, 10, 100, 1000, 10000};
    if (fabs(v) < 1e12)
        for (int k = 0; k <= 4; k++) {
            long long ll = llround(v * pow10[k]);
            if ((double)ll / pow10[k] != v)
                continue;
            long long a = ll < 0 ? -ll : ll;
            char digits[32];
            snprintf(digits, sizeof digits, "%lld", a);
            int nd = (int)strlen(digits);
            const char *sign = signbit(v) ? "-" : "";
            if (nd <= k)
                snprintf(tmp, size, "%s0.%.*s%s", sign, k - nd, "0000", digits);
            else if (k == 0)
                snprintf(tmp, size, "%s%s.0", sign, digits);
            else
                snprintf(tmp, size, "%s%.*s.%s", sign, nd - k, digits, digits + nd - k);
            return;
        }
    int n = snprintf(tmp, size, "%.15g", v);
    if (strtod(tmp, NULL) != v)
        n = snprintf(tmp, size, "%.17g", v);
    if (strpbrk(tmp, ".eEn") == NULL && n + 2 < (int)size)
        memcpy(tmp + n, ".0", 3);
}

static uint64_t rng_state = 88172645463325252ull;
static uint64_t rng(void)
{
    rng_state ^= rng_state << 13;
    rng_state ^= rng_state >> 7;
    rng_state ^= rng_state << 17;
    return rng_state;
}

TEST(test_jsonw_reals)
{
    buf b = BUF_INIT(0);
    jsonw w;
    int bad = 0;
    for (int i = 0; i < 400000; i++) {
        double v;
        uint64_t r = rng();
        switch (i % 5) {
        case 4:     /* halves of a last decimal (n + 0.5) / 10^k, and v * 10^4 near 2^50..2^53,
                     * where jw_real's rounding changes from its own to llround's */
            if (r & 1)
                v = ((double)(rng() % 2000000) + 0.5) / pow(10, (double)(r % 6)) * ((r >> 8) & 1 ? 1 : -1);
            else
                v = ldexp(1.0 + (double)(rng() % 4096) / 4096.0, 50 + (int)(r % 4)) / 1e4
                    + (double)((r >> 8) % 7) / 8.0;
            break;
        case 0: {   /* any bits with an exponent from 2^-20 to 2^52 */
            uint64_t e = 1023 - 20 + r % 73;
            uint64_t bits = (rng() & ((1ull << 52) - 1)) | (e << 52) | (r & (1ull << 63));
            memcpy(&v, &bits, sizeof v);
            break;
        }
        case 1:     /* sums and products of short decimals, as scores are */
            v = (double)(r % 100000) / 1000.0 * ((double)(rng() % 1000) / 100.0) - 0.2 * (double)(r % 7);
            break;
        case 2:     /* next to a power of ten or of two */
            v = nextafter(pow(10, (double)((int)(r % 20) - 5)), (r >> 8) & 1 ? 0 : 1e300);
            if ((r >> 9) & 1)
                v = ldexp(1.0, (int)(r % 60) - 20) * ((r >> 10) & 1 ? 1 : -1);
            break;
        default:    /* probabilities */
            v = (double)(r >> 11) / 9007199254740992.0;
            break;
        }
        char want[64];
        ref_real(want, sizeof want, v);
        buf_reset(&b);
        jw_init(&w, &b);
        jw_real(&w, v);
        if (strcmp(buf_cstr(&b), want) != 0 && bad++ < 10)
            CHECK(false, "%.17g: \"%s\", printf says \"%s\"", v, buf_cstr(&b), want);
    }
    CHECK_INT(bad, 0);
    buf_free(&b);
}

/* One random document (the same for a given seed) written into w: nested
 * objects and arrays of every kind of value and member writer. */
static void random_doc(jsonw *w, uint64_t *seed, int depth)
{
    static const char *const texts[] = {
        "", "a", "ab", "abc", "abcd", "hello", "seven77", "eight888", "a \"quoted\" word",
        "back\\slash", "line\nbreak", "\x01", "caf\xC3\xA9", "\xD8\xB9\xD8\xB1\xD8\xA8\xDB\x8C",
        "bad \xFF byte", "fifteen bytes!!", "sixteen bytes!!!", "seventeen bytes!!",
        "a plain text of more than thirty-two bytes, copied whole",
    };
    const int nt = (int)(sizeof texts / sizeof texts[0]);
    bool obj = depth == 0 || (*seed >> 7) % 2;
    if (obj)
        jw_obj(w);
    else
        jw_arr(w);
    *seed = *seed * 6364136223846793005ull + 1442695040888963407ull;
    int members = (int)((*seed >> 33) % 7);
    for (int i = 0; i < members; i++) {
        *seed = *seed * 6364136223846793005ull + 1442695040888963407ull;
        unsigned r = (unsigned)(*seed >> 33);
        const char *t = texts[r % (unsigned)nt];
        int64_t v = (int64_t)(*seed >> (r % 64)) * ((r >> 5) & 1 ? -1 : 1);
        if (obj) {
            switch ((r >> 8) % 8) {
            case 0: jw_kstr(w, "s", (r >> 12) % 9 ? t : NULL); continue;
            case 1: jw_kint(w, "an_integer", v); continue;
            case 2: jw_kbool(w, "b", (r >> 12) & 1); continue;
            case 3: jw_knull(w, "nothing"); continue;
            case 4: jw_kreal(w, "r", (double)v / 1024.0); continue;
            case 5: jw_key_n(w, t, strlen(t)); break;
            default: jw_key(w, "k"); break;
            }
        }
        switch ((r >> 16) % 9) {
        case 0: jw_str(w, t); break;
        case 1: jw_strn(w, t, strlen(t) / 2); break;
        case 2: jw_int(w, v); break;
        case 3: jw_bool(w, (r >> 20) & 1); break;
        case 4: jw_null(w); break;
        case 5: jw_raw(w, "{\"x\":[1,2]}", 11); break;
        case 6: jw_real(w, (double)v / 3.0); break;
        default:
            if (depth < 4)
                random_doc(w, seed, depth + 1);
            else
                jw_int(w, depth);
        }
    }
    jw_end(w);
}

/* The writers' fast paths (room already there, compact) write what their
 * general paths write: the same random documents into a growing buf, an
 * arena's (regrowing from 64 bytes), and a capped buf (whose cap is never
 * reached but turns every fast path off). */
TEST(test_jsonw_fast_paths)
{
    int same = 0;
    for (int round = 0; round < 3000; round++) {
        buf fast = BUF_INIT(0), slow = BUF_INIT(1 << 20), ab;
        jsonw w;
        arena ar, *a = &ar;
        arena_init(a, 0);
        uint64_t seed = 0x2545F4914F6CDD1Dull + (uint64_t)round;
        jw_init(&w, &fast);
        random_doc(&w, &seed, 0);
        CHECK_INT(jw_finish(&w), 0);
        seed = 0x2545F4914F6CDD1Dull + (uint64_t)round;
        jw_init(&w, &slow);
        random_doc(&w, &seed, 0);
        CHECK_INT(jw_finish(&w), 0);
        seed = 0x2545F4914F6CDD1Dull + (uint64_t)round;
        jw_init_arena(&w, &ab, a, 64);
        random_doc(&w, &seed, 0);
        const char *in_arena = jw_finish_to_arena(&w, a);
        CHECK(in_arena != NULL, "round %d: arena", round);
        CHECK_STR(buf_cstr(&fast), buf_cstr(&slow));
        CHECK_STR(in_arena ? in_arena : "", buf_cstr(&slow));
        json_error_t je;
        json_t *o = json_loads(buf_cstr(&fast), 0, &je);
        CHECK(o != NULL, "round %d: %s in %s", round, je.text, buf_cstr(&fast));
        json_decref(o);
        same += strcmp(buf_cstr(&fast), buf_cstr(&slow)) == 0;
        buf_free(&fast);
        buf_free(&slow);
        arena_release(a);
    }
    CHECK_INT(same, 3000);
}

/* ISO 4217 and ISO 3166-1 alpha-2: real codes, not only their shape; and,
 * where Debian's iso-codes data is installed, the same answer for each of
 * its codes (less the non-money currencies iso.c leaves out). */
TEST(test_iso_codes)
{
    const char *cur_yes[] = {"AED", "aed", "INR", "USD", "EUR", "SAR", "XOF", "XCG", "ZWG", "RUB", "IRR"};
    const char *cur_no[] = {"XYZ", "XAU", "XXX", "XTS", "AE", "AEDX", "A1D", "", "ÄED"};
    for (size_t i = 0; i < sizeof cur_yes / sizeof *cur_yes; i++)
        CHECK(iso_currency_known(cur_yes[i]), "currency %s", cur_yes[i]);
    for (size_t i = 0; i < sizeof cur_no / sizeof *cur_no; i++)
        CHECK(!iso_currency_known(cur_no[i]), "not a currency: %s", cur_no[i]);
    CHECK(!iso_currency_known(NULL) && !iso_region_known(NULL), "NULL");
    const char *reg_yes[] = {"AE", "ae", "IN", "US", "GB", "SA", "IR", "RU", "ZW", "AD"};
    const char *reg_no[] = {"XX", "UK", "EU", "ZZ", "A", "AEX", "1A", ""};
    for (size_t i = 0; i < sizeof reg_yes / sizeof *reg_yes; i++)
        CHECK(iso_region_known(reg_yes[i]), "region %s", reg_yes[i]);
    for (size_t i = 0; i < sizeof reg_no / sizeof *reg_no; i++)
        CHECK(!iso_region_known(reg_no[i]), "not a region: %s", reg_no[i]);

    static const char *const files[2] = {"/usr/share/iso-codes/json/iso_4217.json",
                                         "/usr/share/iso-codes/json/iso_3166-1.json"};
    for (int f = 0; f < 2; f++) {
        json_t *root = json_load_file(files[f], 0, NULL);
        if (root == NULL) {
            printf("    (no %s; skipped)\n", files[f]);
            continue;
        }
        json_t *arr = json_object_get(root, f == 0 ? "4217" : "3166-1");
        size_t i;
        json_t *e;
        int n = 0;
        json_array_foreach(arr, i, e) {
            const char *code = json_string_value(json_object_get(e, f == 0 ? "alpha_3" : "alpha_2"));
            if (code == NULL)
                continue;
            bool money = f == 1 || !strstr("XAG XAU XBA XBB XBC XBD XDR XPD XPT XSU XTS XUA XXX", code);
            bool got = f == 0 ? iso_currency_known(code) : iso_region_known(code);
            CHECK(got == money, "%s %s", f == 0 ? "currency" : "region", code);
            n++;
        }
        CHECK(n > 100, "%d codes in %s", n, files[f]);
        json_decref(root);
    }
}

TEST_MAIN(RUN(test_arena); RUN(test_arena_spares); RUN(test_arena_spare_bins); RUN(test_buf); RUN(test_errors); RUN(test_tz); RUN(test_jsonw); RUN(test_jsonw_literal_keys); RUN(test_jsonw_escape_random); RUN(test_jsonw_arena); RUN(test_jsonw_reals); RUN(test_jsonw_fast_paths); RUN(test_iso_codes);)
